// The disk cache: a database read once on a machine is read from disk by the next
// connection, process and run; damaged or truncated entries are caught and fetched again;
// the seed layout's mutable blocks are never kept; the directory stays under its limit.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { config, makeVfs, closeAll, uniquePrefix, series, tempDir, rawClient, getObject } = require('../support/helpers');
const { DiskCache } = require('../../dist/store/disk-cache');
const { describeEndpoint } = require('../../dist/store/s3-objects');
const { Counters } = require('../../dist/stats');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

const BLOCK = 64 << 10;

/** Every file the cache holds under `dir`, with its size. */
function entries(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((sub) => fs.readdirSync(path.join(dir, sub)).filter((n) => n.endsWith('.block2')).map((n) => path.join(dir, sub, n)));
}

/** A versioned database of about 1.2 MB (about 19 blocks of 64 KiB), written with the disk cache in `cacheDir`. */
async function build(cacheDir, layout = 'versioned') {
  const prefix = uniquePrefix('disk');
  const vfs = makeVfs({ layout, blockSize: BLOCK, cacheDir, diskCacheSize: 64 << 20 });
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX tv ON t(v); INSERT INTO t SELECT value, hex(randomblob(40)) FROM ${series(8000)}`);
  db.close();
  await vfs.close(); // waits for the cache's writes
  return prefix;
}

const sum = (db) => db.prepare('SELECT count(*) AS n, sum(length(v)) AS bytes FROM t').get();

test('a new connection reads the blocks a writer uploaded from disk: only the manifest comes from S3', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  expect(entries(dir).length).toBeGreaterThan(10);
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const db = reader.open(prefix, { readonly: true });
  expect(sum(db)).toEqual({ n: 8000, bytes: 8000 * 80 });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const s = reader.stats();
  // No block from S3: what came down is the manifest (its load, and a conditional GET of it
  // per transaction, which this default strict reader makes).
  expect(s.diskMisses).toBe(0);
  expect(s.diskHits).toBeGreaterThan(10);
  expect(s.bytesDown).toBeLessThan(8 << 10);
  db.close();
});

test('a load in many commits keeps each block on disk once: the versions later commits replaced are never written', async () => {
  const dir = tempDir();
  const prefix = uniquePrefix('disk-load');
  const vfs = makeVfs({ layout: 'versioned', blockSize: BLOCK, cacheDir: dir, diskCacheSize: 64 << 20 });
  const db = vfs.open(prefix);
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
  // 40 commits of about 60 KiB: each rewrites the header block and the last block.
  for (let c = 0; c < 40; c++) db.transaction(() => { for (let i = 0; i < 500; i++) insert.run(c * 500 + i, 'x'.repeat(100)); })();
  const blocks = Math.ceil((Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }))) / BLOCK);
  db.close();
  await vfs.close();
  // One entry per block of the database as committed last, not one per version uploaded
  // (about 80 more here).
  expect(entries(dir).length).toBe(blocks);
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const rdb = reader.open(prefix, { readonly: true });
  expect(rdb.prepare('SELECT count(*) FROM t').pluck().get()).toBe(20000);
  expect(rdb.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(reader.stats().diskMisses).toBe(0);
  rdb.close();
});

test('a second run of a script in a new process makes only the manifest request', async () => {
  const dir = tempDir();
  const prefix = await build(tempDir()); // written elsewhere: the first run here starts cold
  const script = `
    const { S3VFS } = require(${JSON.stringify(path.join(__dirname, '..', '..'))});
    const o = JSON.parse(process.argv[1]);
    (async () => {
      const vfs = new S3VFS({ bucket: o.bucket, s3: o.s3, cacheDir: o.dir });
      const db = vfs.open(o.prefix, { readonly: true });
      const row = db.prepare('SELECT count(*) AS n FROM t WHERE v > ?').get('8');
      db.close();
      const s = vfs.stats();
      await vfs.close();
      console.log(JSON.stringify({ n: row.n, get: s.get, head: s.head, list: s.list, bytesDown: s.bytesDown, diskHits: s.diskHits }));
    })();`;
  const args = JSON.stringify({ bucket: config.bucket, s3: config.s3, dir, prefix });
  const run = () => JSON.parse(spawnSync(process.execPath, ['-e', script, args], { encoding: 'utf8' }).stdout);
  const first = run();
  const second = run();
  expect(first.diskHits).toBe(0);
  expect(first.bytesDown).toBeGreaterThan(8000 * 40);
  // The same answer, the same requests for the manifest, and no block downloaded.
  expect(second).toEqual({ ...first, get: expect.any(Number), bytesDown: expect.any(Number), diskHits: expect.any(Number) });
  // The manifest's load and a conditional GET of it per transaction: no block.
  expect(second.get).toBeLessThanOrEqual(3);
  expect(second.bytesDown).toBeLessThan(8 << 10);
  expect(second.diskHits).toBeGreaterThan(0);
});

test('a damaged or truncated entry is caught (CRC32, length), fetched again from S3 and replaced', async () => {
  const dir = tempDir();
  const prefix = await build(dir);
  // What a reader with an intact cache asks S3 for: the manifest's GETs only.
  const control = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const cdb = control.open(prefix, { readonly: true });
  sum(cdb);
  cdb.pragma('integrity_check');
  const manifestGets = control.stats().get;
  cdb.close();
  await control.close();
  // Two blocks the manifest lists (the cache also holds blocks a commit replaced).
  const manifest = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  const cache = new DiskCache(dir, 0, `${describeEndpoint(config.s3)}|${config.bucket}`, new Counters());
  const files = manifest.blocks.slice(3, 5).map((b) => cache.pathOf(`${prefix}/${b.key}`));
  expect(files.every((f) => fs.existsSync(f))).toBe(true);
  const damaged = files[0];
  const bytes = fs.readFileSync(damaged);
  bytes[100] ^= 0xff;
  fs.writeFileSync(damaged, bytes);
  fs.truncateSync(files[1], 10);
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const db = reader.open(prefix, { readonly: true });
  expect(sum(db)).toEqual({ n: 8000, bytes: 8000 * 80 });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(reader.stats().get).toBe(manifestGets + 2); // and the two bad blocks
  db.close();
  await reader.close();
  // Both were replaced by good copies: the next reader needs S3 for the manifest only.
  const again = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const db2 = again.open(prefix, { readonly: true });
  expect(sum(db2)).toEqual({ n: 8000, bytes: 8000 * 80 });
  db2.pragma('integrity_check');
  expect(again.stats().get).toBe(manifestGets);
  expect(again.stats().diskMisses).toBe(0);
  db2.close();
});

test('the seed layout, whose blocks change in place, keeps nothing on disk', async () => {
  const dir = tempDir();
  const prefix = await build(dir, 'compat');
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: 64 << 20 });
  const db = reader.open(prefix, { readonly: true });
  expect(sum(db).n).toBe(8000);
  db.close();
  await reader.close();
  expect(entries(dir)).toEqual([]);
});

test('the directory is kept under diskCacheSize, least recently used first', async () => {
  const dir = tempDir();
  const prefix = await build(tempDir()); // written elsewhere: this directory starts empty
  const limit = 6 * BLOCK;
  const reader = makeVfs({ cacheDir: dir, diskCacheSize: limit });
  const db = reader.open(prefix, { readonly: true });
  expect(sum(db).n).toBe(8000);
  db.close();
  await reader.close();
  const total = entries(dir).reduce((n, f) => n + fs.statSync(f).size, 0);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(limit);
});

test('diskCacheSize 0 turns it off; bad values are refused by name', () => {
  const dir = tempDir();
  const vfs = makeVfs({ cacheDir: dir, diskCacheSize: 0 });
  expect(vfs.stats().diskHits).toBe(0);
  expect(() => makeVfs({ diskCacheSize: -1 })).toThrow(/diskCacheSize must be a positive integer/);
  expect(() => makeVfs({ cacheDir: '' })).toThrow(/cacheDir must be a directory path/);
});
