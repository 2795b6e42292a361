// A working set larger than the main thread's cache: lookups that follow an index cross the
// bridge as pieces, not as runs of whole blocks.
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

// The versioned layout only: its blocks are kept on disk, so a miss costs a crossing. In the
// seed layout, with nothing on disk, a miss the worker's memory cannot serve is a GET.
test('reading a table in index order, many times the cache, crosses the bridge in pieces', async () => {
  const layout = 'versioned';
  const bytes = localDatabase();
  const prefix = uniquePrefix('ws-index');
  await makeVfs({ layout, blockSize: BLOCK }).deserialize(prefix, bytes);
  const local = new BetterSqlite3(bytes);
  const expected = local.prepare(INDEX_ORDER).get();
  local.close();

  const vfs = makeVfs(readerOptions(layout));
  const db = vfs.open(prefix, { readonly: true });
  expect(db.prepare(INDEX_ORDER).get()).toEqual(expected);
  const s = vfs.stats();
  expect(s.mainCacheMisses).toBeGreaterThan(100); // the working set really is larger than the cache
  // A piece per miss, give or take the few whole blocks of a scan: runs of whole blocks
  // sent ahead (as before) cost many times that, and push out what the next lookup needs.
  expect(s.bridgeBytes / s.mainCacheMisses).toBeLessThan(3 * PIECE);
  db.close();
});
