// A working set larger than the main thread's cache: lookups that follow an index read the
// blocks' files on this machine's disk, or without a disk cache cross the bridge as pieces,
// not as runs of whole blocks; and a scan does not push out the pages that lookups keep using.
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { makeVfs, closeAll, uniquePrefix, series, tempDir } = require('../support/helpers');

const dir = tempDir();
afterAll(async () => {
  await closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

const BLOCK = 256 << 10;
const PIECE = 16 << 10;
const CACHE = 1 << 20; // 4 blocks, for a database of about 30
// With the disk cache on, as by default: a miss here costs a crossing, not a GET.
const readerOptions = (layout) => ({ layout, blockSize: BLOCK, cacheSize: CACHE, rangeReadSize: PIECE, cacheDir: path.join(dir, 'blocks'), diskCacheSize: 64 << 20 });

/**
 * hot(id, v): about 600 KiB, looked up over and over; t(id, k, v): about 6 MiB, k in
 * random order with an index on it, so that reading t in k order jumps around t.
 */
function localDatabase() {
  const file = path.join(dir, `ws-${Date.now()}-${Math.random()}.db`);
  const db = new BetterSqlite3(file);
  db.exec(`CREATE TABLE hot(id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO hot SELECT value, printf('%0500d', value) FROM ${series(1000)};
    CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v BLOB);
    INSERT INTO t SELECT value, (value * 7919) % 20011, randomblob(280) FROM ${series(20000)};
    CREATE INDEX t_k ON t(k);`);
  db.close();
  return fs.readFileSync(file);
}

const INDEX_ORDER = 'SELECT count(*) AS n, sum(length(v)) AS bytes, sum(id * k % 1000) AS mix FROM t INDEXED BY t_k WHERE k >= 0';

describe.each(['compat', 'versioned'])('the %s layout', (layout) => {
  test('a scan of a table larger than the cache leaves the pages that lookups keep using', async () => {
    const bytes = localDatabase();
    const prefix = uniquePrefix('ws-scan');
    await makeVfs({ layout, blockSize: BLOCK }).deserialize(prefix, bytes);
    const vfs = makeVfs(readerOptions(layout));
    const db = vfs.open(prefix, { readonly: true });
    db.pragma('cache_size = 20'); // SQLite's own page cache would hide ours
    const lookup = db.prepare('SELECT v FROM hot WHERE id = ?').pluck();
    const lookAll = () => {
      for (let id = 1; id <= 1000; id += 1) expect(lookup.get(id)).toBe(String(id).padStart(500, '0'));
    };
    db.exec('BEGIN');
    lookAll();
    lookAll(); // each page of hot read again: in use
    const before = vfs.stats().mainCacheMisses;
    expect(db.prepare('SELECT count(*), sum(length(v)) FROM t').raw().get()).toEqual([20000, 20000 * 280]);
    const scanned = vfs.stats().mainCacheMisses;
    expect(scanned - before).toBeGreaterThan(5); // the scan did go through the cache
    lookAll();
    // A plain LRU would have lost every page of hot to the scan.
    expect(vfs.stats().mainCacheMisses - scanned).toBeLessThanOrEqual(1);
    db.exec('COMMIT');
    db.close();
  });
});

// The versioned layout only: its blocks are kept on disk, so the main thread reads a miss
// from the block's file there. In the seed layout, with nothing on disk, a miss the worker's
// memory cannot serve is a GET.
test('reading a table in index order, many times the cache, reads the blocks from their disk files', async () => {
  const { prefix, expected } = await indexOrderDatabase();
  const vfs = makeVfs(readerOptions('versioned'));
  const db = vfs.open(prefix, { readonly: true });
  db.pragma('cache_size = 20');
  expect(db.prepare(INDEX_ORDER).get()).toEqual(expected);
  const s = vfs.stats();
  // The working set really is larger than the cache: most pages came from the files.
  expect(s.mainDiskReads).toBeGreaterThan(1000);
  // Each block's file crossed once at most, as its path; its pages did not cross at all.
  expect(s.bridgeCrossings).toBeLessThan(s.mainDiskReads / 20);
  expect(s.bridgeBytes).toBeLessThan(8 * BLOCK);
  db.close();
});

test('without a disk cache, reading a table in index order, many times the cache, crosses the bridge in pieces', async () => {
  // A twentieth of the table: each miss here may be a GET.
  const sql = INDEX_ORDER.replace('k >= 0', 'k < 1000');
  const { prefix, expected } = await indexOrderDatabase(sql);
  const vfs = makeVfs({ ...readerOptions('versioned'), diskCacheSize: 0 });
  const db = vfs.open(prefix, { readonly: true });
  expect(db.prepare(sql).get()).toEqual(expected);
  const s = vfs.stats();
  expect(s.mainCacheMisses).toBeGreaterThan(100); // the working set really is larger than the cache
  expect(s.mainDiskReads).toBe(0);
  // A piece per miss, give or take the few whole blocks of a scan: runs of whole blocks
  // sent ahead cost many times that, and push out what the next lookup needs.
  expect(s.bridgeBytes / s.mainCacheMisses).toBeLessThan(3 * PIECE);
  db.close();
});

/** The database of localDatabase() in a versioned prefix, with the answer `sql` gives. */
async function indexOrderDatabase(sql = INDEX_ORDER) {
  const bytes = localDatabase();
  const prefix = uniquePrefix('ws-index');
  await makeVfs({ layout: 'versioned', blockSize: BLOCK }).deserialize(prefix, bytes);
  const local = new BetterSqlite3(bytes);
  const expected = local.prepare(sql).get();
  local.close();
  return { prefix, expected };
}
