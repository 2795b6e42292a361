// The main thread reads pages from the disk cache's files itself: with a working set larger
// than the memory cache, a block on this machine's disk is opened and checked by the worker
// once, then read there without crossing the bridge. Reads stay correct through writes to
// those blocks, a rollback, a shrink and another client's commit.
const fs = require('node:fs');
const BetterSqlite3 = require('better-sqlite3');
const { makeVfs, closeAll, uniquePrefix, series, tempDir } = require('../support/helpers');

afterAll(closeAll);

const BLOCK = 64 << 10;
const ROWS = 12000;
// Far smaller than the database (about 2 MB): its cache is full after four blocks.
const SMALL_CACHE = 4 * BLOCK;

/** A versioned database of about 2 MB in blocks of 64 KiB, its blocks kept in `dir` too. */
async function build(dir) {
  const prefix = uniquePrefix('disk-reads');
  const vfs = makeVfs({ layout: 'versioned', blockSize: BLOCK, cacheDir: dir, diskCacheSize: 64 << 20 });
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX tv ON t(v);
    INSERT INTO t SELECT value, printf('%08d', value * 7919 % 100003) || hex(randomblob(60)) FROM ${series(ROWS)}`);
  db.close();
  await vfs.close(); // waits for the disk cache's writes
  return prefix;
}

/** Opens with SQLite's own page cache nearly off: every page read is the VFS's, and a
 *  write spills its pages to the VFS mid-transaction. */
function open(vfs, prefix, options) {
  const db = vfs.open(prefix, options);
  db.pragma('cache_size = 8');
  db.pragma('cache_spill = 8');
  return db;
}

/** Lookups that land all over the file: by key, and through the index. */
function lookups(db) {
  const byId = db.prepare('SELECT v FROM t WHERE id = ?').pluck();
  const byV = db.prepare('SELECT id FROM t WHERE v >= ? ORDER BY v LIMIT 1').pluck();
  const out = [];
  for (let k = 1; k <= 300; k++) {
    const id = 1 + ((k * 4111) % ROWS);
    out.push(byId.get(id), byV.get(String((k * 337) % 100003).padStart(8, '0')));
  }
  return out;
}

test('a working set larger than the memory cache is read from the disk files: once they are open, no read crosses', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  const control = makeVfs({ cacheDir: tempDir() });
  const expected = lookups(open(control, prefix, { readonly: true }));

  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE, maxStalenessMs: 60_000 });
  const fdsBefore = openFds();
  const db = open(reader, prefix, { readonly: true });
  expect(lookups(db)).toEqual(expected);
  const first = reader.stats();
  expect(first.get).toBeLessThanOrEqual(2); // the manifest: every block was on disk
  expect(first.mainDiskReads).toBeGreaterThan(100);
  // A block's file crosses as its path, not as its bytes.
  expect(first.bridgeBytes).toBeLessThan(ROWS * 100);

  reader.resetStats();
  expect(lookups(db)).toEqual(expected);
  const again = reader.stats();
  expect(again.mainDiskReads).toBeGreaterThan(100);
  // Every page from memory or a file already open, and every read transaction within the
  // freshness window: nothing crossed.
  expect(again.bridgeCrossings).toBe(0);
  expect(again.get + again.diskHits).toBe(0);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  if (fdsBefore === undefined) return;
  // One descriptor per block file, until the database is closed (the worker's sockets to
  // S3 stay open).
  const during = openFds();
  expect(during - fdsBefore).toBeGreaterThan(10);
  db.close();
  expect(during - openFds()).toBeGreaterThan(10);
});

test('stats() after close() still counts what the main thread did: nothing goes down', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE });
  lookups(open(reader, prefix, { readonly: true }));
  const open_ = reader.stats();
  expect(open_.mainDiskReads).toBeGreaterThan(100);
  expect(open_.mainCacheHits).toBeGreaterThan(0);
  await reader.close();
  const closed = reader.stats();
  for (const k of Object.keys(open_)) expect([k, closed[k]]).toEqual([k, expect.any(Number)]);
  for (const k of ['mainCacheHits', 'mainCacheMisses', 'mainDiskReads', 'diskHits', 'bridgeBytes', 'bridgeCrossings']) {
    expect([k, closed[k] >= open_[k]]).toEqual([k, true]);
  }
  expect(closed.mainDiskReads).toBe(open_.mainDiskReads);
});

test('a damaged chunk of a disk file is caught when first read: the file is deleted and the block read from S3', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  const expected = lookups(open(makeVfs({ cacheDir: tempDir() }), prefix, { readonly: true }));
  // One bit flipped in every 4 KiB chunk of every entry's data: any page read from a file
  // unchecked would be wrong.
  const entries = fs.readdirSync(dir).flatMap((sub) => fs.readdirSync(`${dir}/${sub}`).filter((n) => n.endsWith('.block2')).map((n) => `${dir}/${sub}/${n}`));
  expect(entries.length).toBeGreaterThan(20);
  const before = new Map();
  for (const file of entries) {
    const bytes = fs.readFileSync(file);
    before.set(file, Buffer.from(bytes));
    const data = bytes.length - (4 * Math.ceil(BLOCK / 4096) + 8);
    for (let at = 1000; at < data; at += 4096) bytes[at] ^= 0x10;
    fs.writeFileSync(file, bytes);
  }

  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE });
  const db = open(reader, prefix, { readonly: true });
  expect(lookups(db)).toEqual(expected);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const s = reader.stats();
  expect(s.mainDiskDamaged).toBeGreaterThan(0);
  expect(s.get).toBeGreaterThan(s.mainDiskDamaged); // the manifest, then each damaged block again
  db.close();
  await reader.close();
  // Each damaged entry the reader found is gone, or written again whole from S3.
  const restored = entries.filter((f) => fs.existsSync(f) && Buffer.compare(fs.readFileSync(f), before.get(f)) === 0);
  const gone = entries.filter((f) => !fs.existsSync(f));
  expect(restored.length + gone.length).toBeGreaterThanOrEqual(s.mainDiskDamaged);
});

test("an entry whose chunks and their sums were changed together is refused when opened: the sums no longer make up the manifest's CRC32", async () => {
  const { crc32 } = require('node:zlib');
  const dir = tempDir();
  const prefix = await build(dir);
  const expected = lookups(open(makeVfs({ cacheDir: tempDir() }), prefix, { readonly: true }));
  const entries = fs.readdirSync(dir).flatMap((sub) => fs.readdirSync(`${dir}/${sub}`).filter((n) => n.endsWith('.block2')).map((n) => `${dir}/${sub}/${n}`));
  for (const file of entries) {
    const bytes = fs.readFileSync(file);
    const chunks = Math.ceil((bytes.length - 8) / (4096 + 4));
    const data = bytes.length - 4 * chunks - 8;
    // Every chunk changed, its sum made to match, the trailer's own CRC32 made to match: only
    // the sums' combination (against the data CRC, the manifest's) can tell.
    for (let c = 0; c < chunks; c++) {
      bytes[c * 4096 + 10] ^= 0x40;
      bytes.writeUInt32LE(crc32(bytes.subarray(c * 4096, Math.min(data, (c + 1) * 4096))), data + 4 * c);
    }
    bytes.writeUInt32LE(crc32(bytes.subarray(data, data + 4 * chunks + 4)), data + 4 * chunks + 4);
    fs.writeFileSync(file, bytes);
  }
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE });
  const db = open(reader, prefix, { readonly: true });
  expect(lookups(db)).toEqual(expected);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(reader.stats().mainDiskDamaged).toBeGreaterThan(5);
  db.close();
});

/** A database, and a reader with a small cache whose lookups went to the blocks' disk files. */
async function readerOnDiskFiles() {
  const dir = tempDir();
  const prefix = await build(dir);
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE });
  const r = open(reader, prefix, { readonly: true });
  lookups(r);
  expect(reader.stats().mainDiskReads).toBeGreaterThan(100);
  return { prefix, r };
}

/** How many descriptors this process has open (Linux), or undefined. */
function openFds() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

test('a database replaced elsewhere with another block size is read right by a reader holding its blocks', async () => {
  const { prefix, r } = await readerOnDiskFiles();

  const local = new BetterSqlite3(':memory:');
  local.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t SELECT value, 'replaced-' || value || hex(randomblob(40)) FROM ${series(ROWS)}`);
  await makeVfs({ layout: 'versioned', blockSize: 4 * BLOCK, cacheDir: tempDir() }).deserialize(prefix, local.serialize());
  local.close();

  const get = r.prepare('SELECT v FROM t WHERE id = ?').pluck();
  for (const id of [1, 97, 5000, ROWS]) expect(get.get(id)).toMatch(new RegExp(`^replaced-${id}[0-9A-F]{80}$`));
  expect(r.prepare('SELECT count(*) FROM t').pluck().get()).toBe(ROWS);
  expect(r.pragma('integrity_check', { simple: true })).toBe('ok');
});

test('pages written over blocks read from disk files read back as written, through a rollback and a shrink', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  const vfs = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20, cacheSize: SMALL_CACHE });
  const db = open(vfs, prefix);
  lookups(db);
  expect(vfs.stats().mainDiskReads).toBeGreaterThan(100);
  const get = db.prepare('SELECT v FROM t WHERE id = ?').pluck();

  // Rows all over the file, in blocks whose files are open.
  db.exec(`UPDATE t SET v = 'changed-' || id WHERE id % 97 = 0`);
  const changed = () => Array.from({ length: Math.floor(ROWS / 97) }, (_, k) => get.get(97 * (k + 1)));
  const written = Array.from({ length: Math.floor(ROWS / 97) }, (_, k) => `changed-${97 * (k + 1)}`);
  expect(changed()).toEqual(written);
  // Once the written blocks have left the memory cache (a scan), they are read again.
  db.prepare('SELECT sum(length(v)) FROM t').get();
  expect(changed()).toEqual(written);
  expect(db.prepare(`SELECT count(*) FROM t WHERE v LIKE 'changed-%'`).pluck().get()).toBe(Math.floor(ROWS / 97));

  const kept = get.get(89);
  db.exec('BEGIN');
  db.exec(`UPDATE t SET v = 'rolled back' WHERE id % 89 = 0`);
  expect(get.get(89)).toBe('rolled back');
  db.exec('ROLLBACK');
  expect(get.get(89)).toBe(kept);
  expect(db.prepare(`SELECT count(*) FROM t WHERE v = 'rolled back'`).pluck().get()).toBe(0);

  db.exec(`DELETE FROM t WHERE id > ${ROWS / 4}; VACUUM`);
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(ROWS / 4);
  db.exec(`INSERT INTO t SELECT value + ${ROWS}, 'grown-' || value FROM ${series(2000)}`);
  expect(db.prepare(`SELECT count(*) FROM t WHERE v LIKE 'grown-%'`).pluck().get()).toBe(2000);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();

  // What a new reader finds in the bucket.
  const check = makeVfs({ cacheDir: tempDir() }).open(prefix, { readonly: true });
  expect(check.prepare('SELECT count(*) FROM t').pluck().get()).toBe(ROWS / 4 + 2000);
  expect(check.prepare(`SELECT v FROM t WHERE id = 97`).pluck().get()).toBe('changed-97');
  expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
});

test("another client's commit ends the use of the files: the reader sees it at its next transaction", async () => {
  const { prefix, r } = await readerOnDiskFiles();
  const get = r.prepare('SELECT v FROM t WHERE id = ?').pluck();
  const old = get.get(5000);

  const writer = makeVfs({ cacheDir: tempDir() }).open(prefix);
  writer.exec(`UPDATE t SET v = 'elsewhere-' || id WHERE id % 50 = 0`);
  writer.close();
  expect(get.get(5000)).toBe('elsewhere-5000');
  expect(get.get(5001)).not.toBe('elsewhere-5001');
  expect(old).not.toBe('elsewhere-5000');
  expect(r.prepare(`SELECT count(*) FROM t WHERE v LIKE 'elsewhere-%'`).pluck().get()).toBe(ROWS / 50);
});
