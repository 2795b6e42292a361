// Changes scattered over a database larger than the main thread's cache: the pages written
// to blocks it does not hold wait there and cross in batches (not one crossing per page),
// and every read in the transaction, commit, rollback and a later reader see exactly what
// a local database holds. Both layouts.
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
const options = (layout) => ({ layout, blockSize: BLOCK, cacheSize: 1 << 20, rangeReadSize: 16 << 10 });

// The seed layout keeps nothing on disk: with a 1 MiB cache, its misses are GETs, so it
// gets a smaller database (still twice the cache) to stay quick.
const rowsFor = (layout) => (layout === 'compat' ? 7000 : 20000);

/** About 6 MiB (2 MiB): t(id, k, v) with an index on k, k in an order unrelated to id. */
function localFile(name, rows) {
  const file = path.join(dir, `${name}.db`);
  const db = new BetterSqlite3(file);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);
    INSERT INTO t SELECT value, (value * 7919) % 20011, printf('%0250d', value) FROM ${series(rows)};
    CREATE INDEX t_k ON t(k);`);
  db.close();
  return file;
}

// Half the rows, visited in k order (all over the table), then index entries moved all
// over the index: pages written in no order, to blocks the full cache mostly lacks.
const CHANGE = "UPDATE t SET v = printf('%0250d', id * 3) WHERE k < 10000; UPDATE t SET k = k + 20011 WHERE id % 13 = 5";
const DIGEST = 'SELECT count(*) AS n, sum(k) AS k, sum(length(v)) AS l, sum(CAST(substr(v, 200) AS INTEGER)) AS tail FROM t';
const BY_INDEX = 'SELECT sum(id) AS ids, count(*) AS n FROM t INDEXED BY t_k WHERE k > 20011';

describe.each(['compat', 'versioned'])('the %s layout', (layout) => {
  test('a scattered UPDATE crosses in batches, reads its own changes, and commits what a local database holds', async () => {
    const file = localFile(`commit-${layout}`, rowsFor(layout));
    const prefix = uniquePrefix('loose');
    await makeVfs(options(layout)).deserialize(prefix, fs.readFileSync(file));
    const local = new BetterSqlite3(file);
    local.exec(CHANGE);
    const expected = { digest: local.prepare(DIGEST).get(), byIndex: local.prepare(BY_INDEX).get() };
    local.close();

    const vfs = makeVfs(options(layout));
    const db = vfs.open(prefix);
    db.pragma('cache_size = 20'); // SQLite reads pages again through the VFS
    db.pragma('cache_spill = 20'); // and writes them out before the commit
    db.exec('BEGIN');
    vfs.resetStats();
    db.exec(CHANGE);
    const s = vfs.stats();
    expect(s.pagesWritten).toBeGreaterThan(layout === 'compat' ? 300 : 1000);
    // Crossings other than read misses: one per page written, as before, would be more than
    // pagesWritten. The seed layout's journal lives in the bucket, and its records must
    // reach the worker before the pages they guard: it still crosses about once per page.
    if (layout === 'versioned') expect(s.bridgeCrossings - s.mainCacheMisses).toBeLessThan(s.pagesWritten / 10);
    // Inside the transaction, through the table and through the index.
    expect(db.prepare(DIGEST).get()).toEqual(expected.digest);
    expect(db.prepare(BY_INDEX).get()).toEqual(expected.byIndex);
    db.exec('COMMIT');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const reader = makeVfs(options(layout)).open(prefix, { readonly: true });
    expect(reader.prepare(DIGEST).get()).toEqual(expected.digest);
    expect(reader.prepare(BY_INDEX).get()).toEqual(expected.byIndex);
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.close();
  });

  test('ROLLBACK of a scattered UPDATE leaves the database as it was', async () => {
    const file = localFile(`rollback-${layout}`, rowsFor(layout));
    const prefix = uniquePrefix('loose-rb');
    await makeVfs(options(layout)).deserialize(prefix, fs.readFileSync(file));
    const local = new BetterSqlite3(file, { readonly: true });
    const before = local.prepare(DIGEST).get();
    local.close();

    const vfs = makeVfs(options(layout));
    const db = vfs.open(prefix);
    db.pragma('cache_size = 20');
    db.pragma('cache_spill = 20');
    db.exec('BEGIN');
    db.exec(CHANGE);
    expect(db.prepare(DIGEST).get()).not.toEqual(before);
    db.exec('ROLLBACK');
    expect(db.prepare(DIGEST).get()).toEqual(before);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const reader = makeVfs(options(layout)).open(prefix, { readonly: true });
    expect(reader.prepare(DIGEST).get()).toEqual(before);
    reader.close();
  });
});
