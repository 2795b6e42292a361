// Bulk writes in the default (versioned) layout: pages SQLite writes stay on the main
// thread until a commit or a full cache needs them in the worker, the rollback journal
// never leaves the main thread, and a page changed in a large block crosses as that page.
const BetterSqlite3 = require('better-sqlite3');
const { makeVfs, closeAll, uniquePrefix, series } = require('../support/helpers');

afterAll(closeAll);

const versioned = (options = {}) => makeVfs({ layout: 'versioned', ...options });

/** A table and two indexes whose entries an UPDATE of `grp` moves all over. */
const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, v TEXT);
  CREATE INDEX t_grp ON t(grp); CREATE INDEX t_v ON t(v, grp)`;
const fill = (n) => `INSERT INTO t(grp, v) SELECT (value * 7) % 1000, printf('%08d-', value) || hex(zeroblob(40)) FROM ${series(n)}`;
const MOVE = 'UPDATE t SET grp = (grp * 37 + id) % 1000, v = v || \'x\' WHERE id % 3 <> 0';
const digest = (db) => db.prepare("SELECT count(*) AS n, sum(grp) AS g, sum(length(v)) AS l, group_concat(grp % 7, '') AS p FROM (SELECT grp, v FROM t ORDER BY grp, v)").get();

test('a bulk UPDATE that spills SQLite\'s page cache crosses the bridge tens of times, not once per page', async () => {
  // The database (about 6 MB) is larger than SQLite's page cache (64 pages), so SQLite
  // spills pages mid-transaction and syncs its journal before each spill.
  const vfs = versioned({ blockSize: 65536, cacheSize: 16 << 20 });
  const prefix = uniquePrefix('bulk-update');
  const db = vfs.open(prefix);
  db.exec(SCHEMA);
  db.exec(fill(30000));
  db.pragma('cache_size = 64');
  db.pragma('cache_spill = 64'); // the VFS's default holds cacheSize of changed pages
  const local = new BetterSqlite3(':memory:');
  local.exec(SCHEMA);
  local.exec(fill(30000));
  local.exec(MOVE);

  vfs.resetStats();
  db.exec(MOVE);
  const s = vfs.stats();
  expect(s.pagesWritten).toBeGreaterThan(1000);
  expect(s.bridgeCrossings).toBeLessThan(100);
  expect(s.bridgeCrossings / s.pagesWritten).toBeLessThan(0.05);
  expect(digest(db)).toEqual(digest(local));
  db.close();

  const fresh = versioned();
  const again = fresh.open(prefix, { readonly: true });
  expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(digest(again)).toEqual(digest(local));
  again.close();
  local.close();
});

const journalCases = ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY'].flatMap((journalMode) => [
  // Spilled pages wait in the worker; with a small cache, in its spill file on local disk.
  { journalMode, cacheSize: 8 << 20, cache: 'large' },
  { journalMode, cacheSize: 512 << 10, cache: 'small' },
]);
describe.each(journalCases)('journal_mode $journalMode, $cache cache', ({ journalMode, cacheSize }) => {
  test('ROLLBACK of a transaction that spilled restores the database from the memory journal', async () => {
    const vfs = versioned({ blockSize: 16384, cacheSize });
    const prefix = uniquePrefix(`bulk-rollback-${journalMode}`);
    const db = vfs.open(prefix);
    db.pragma(`journal_mode = ${journalMode}`);
    db.exec(SCHEMA);
    db.exec(fill(4000));
    db.pragma('cache_size = 16');
    db.pragma('cache_spill = 16');
    const before = digest(db);
    vfs.resetStats();
    db.exec('BEGIN');
    db.exec(MOVE);
    db.exec('DELETE FROM t WHERE id % 5 = 0');
    expect(digest(db)).not.toEqual(before);
    expect(vfs.stats().pagesWritten).toBeGreaterThan(500); // SQLite spilled its page cache
    db.exec('ROLLBACK');
    expect(digest(db)).toEqual(before);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // The next transaction commits on top of the restored pages.
    db.exec("UPDATE t SET v = 'one' WHERE id = 1");
    db.close();
    const check = versioned().open(prefix, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.prepare('SELECT count(*) FROM t').pluck().get()).toBe(4000);
    expect(check.prepare('SELECT v FROM t WHERE id = 1').pluck().get()).toBe('one');
    check.close();
  });
});

describe('a row changed in a 1 MiB block', () => {
  const blockSize = 1 << 20;
  let vfs;
  let prefix;
  beforeAll(() => {
    vfs = versioned({ blockSize });
    prefix = uniquePrefix('bulk-ranges');
    const db = vfs.open(prefix);
    db.exec(SCHEMA);
    db.exec(fill(40000)); // several blocks
    db.close();
  });

  test('crosses the bridge as the pages it changed, not as the block', () => {
    const db = vfs.open(prefix);
    db.prepare('SELECT count(*) FROM t').get(); // the blocks are in both caches
    vfs.resetStats();
    db.prepare("UPDATE t SET v = 'changed' WHERE id = 20000").run();
    const s = vfs.stats();
    expect(s.pagesWritten).toBeGreaterThanOrEqual(2);
    expect(s.bridgeBytes).toBeLessThan(64 * 1024);
    expect(s.put).toBeGreaterThanOrEqual(2); // the whole new block objects, then the manifest
    db.close();
  });

  test('a block the worker no longer holds comes again whole, with no GET on the write path', async () => {
    const db = vfs.open(prefix);
    db.prepare('SELECT count(*) FROM t').get();
    await vfs._testHook('evictClean', prefix);
    vfs.resetStats();
    db.prepare("UPDATE t SET v = 'again' WHERE id = 30000").run();
    const s = vfs.stats();
    expect(s.bytesDown).toBeLessThan(blockSize / 2); // the manifest's revalidation (304) at most
    expect(s.bridgeBytes).toBeGreaterThan(blockSize);
    db.close();
    const check = versioned().open(prefix, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.prepare('SELECT id, v FROM t WHERE v IN (\'changed\', \'again\') ORDER BY id').all()).toEqual([
      { id: 20000, v: 'changed' },
      { id: 30000, v: 'again' },
    ]);
    expect(check.prepare('SELECT count(*) FROM t').pluck().get()).toBe(40000);
    check.close();
  });
});

test('journal_mode=OFF: a rollback after SQLite spilled pages leaves S3 as it was, and so sees the connection', async () => {
  const { getObject, rawClient } = require('../support/helpers');
  const client = rawClient();
  const vfs = versioned({ blockSize: 16384, cacheSize: 256 << 10 });
  const prefix = uniquePrefix('bulk-journal-off');
  const db = vfs.open(prefix);
  db.exec(SCHEMA);
  db.exec(fill(4000));
  db.unsafeMode(true); // better-sqlite3 refuses journal_mode=OFF otherwise (SQLite's defensive mode)
  db.pragma('journal_mode = OFF');
  expect(db.pragma('journal_mode', { simple: true })).toBe('off');
  db.pragma('cache_size = 16');
  db.pragma('cache_spill = 16');
  const before = digest(db);
  const commit = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString()).commit;
  db.exec('BEGIN');
  db.exec(MOVE);
  expect(vfs.stats().pagesWritten).toBeGreaterThan(100); // pages went to the file before the end
  db.exec('ROLLBACK');
  expect(JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString()).commit).toBe(commit);
  expect(digest(db)).toEqual(before);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
  const check = versioned().open(prefix, { readonly: true });
  expect(digest(check)).toEqual(before);
  check.close();
  client.destroy();
});

// A transaction larger than the memory cache, on a database several times that size:
// random index inserts touch every block again and again. Its written blocks wait on local
// disk (the spill file) and go up once, at the commit. Uploading them early instead sent
// each up again every time the transaction touched it: in the versioned case below, 1.4 GB
// for a 10 MB database, in minutes. In the seed layout, SQLite's spills append journal
// records and write the database in turn; uploading the database's written blocks at each
// turn (before the journal changed) sent them up tens of times.
const spillCases = [
  { layout: 'versioned', pageCache: 500, rows: 30000, bound: 1.5 },
  { layout: 'compat', pageCache: 500, rows: 30000, bound: 2.5 },
];
describe.each(spillCases)('a transaction larger than the cache, $layout layout', ({ layout, pageCache, rows, bound }) => {
  test('uploads each block it changed about once, and commits what a local database holds', async () => {
    const blockSize = 64 * 1024;
    const vfs = makeVfs({ layout, blockSize, cacheSize: 1 << 20 });
    const prefix = uniquePrefix(`bulk-spill-${layout}`);
    const db = vfs.open(prefix);
    const local = new BetterSqlite3(':memory:');
    for (const d of [db, local]) {
      d.exec(SCHEMA);
      d.exec(fill(20000));
    }
    // A small SQLite page cache writes pages out again and again, as a transaction much
    // larger than SQLite's cache does.
    if (pageCache) db.pragma(`cache_size = ${pageCache}`);
    if (pageCache) db.pragma(`cache_spill = ${pageCache}`);
    const insert = `INSERT INTO t(grp, v) SELECT (value * 7919) % 100000, printf('%08d', (value * 104729) % 1000003) || hex(zeroblob(30)) FROM ${series(rows)}`;
    vfs.resetStats();
    db.exec(insert);
    local.exec(insert);
    const s = vfs.stats();
    const size = Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }));
    expect(size).toBeGreaterThan(6 << 20); // several times the cache
    // Every block once, plus the manifest (versioned) or the rollback journal (seed layout).
    expect(s.bytesUp).toBeLessThan(bound * size);
    expect(s.bytesSpilled).toBeGreaterThan(1 << 20);
    db.close();
    // Read back by a VFS with the default cache: with 1 MiB, this query's lookups in
    // rowid order would fetch a block per row.
    const check = makeVfs({ layout }).open(prefix, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(digest(check)).toEqual(digest(local));
    check.close();
    local.close();
  }, 60_000);
});

// SQLite spills changed pages once its cache is full and reads them back as it needs
// them: each costs a crossing here. A connection holds up to cacheSize of changed pages
// instead, however small SQLite's cache of clean pages is.
describe('changed pages held by SQLite', () => {
  test('hold up to cacheSize: a transaction below it writes each page about once', () => {
    // Twice better-sqlite3's own 16 MB, which SQLite's held pages never fall below.
    const cacheSize = 32 << 20;
    const vfs = versioned({ blockSize: 65536, cacheSize });
    const db = vfs.open(uniquePrefix('bulk-hold'));
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const held = Number(db.pragma('cache_spill', { simple: true }));
    // SQLite counts each page's bookkeeping too: a few hundred bytes.
    expect(held).toBeLessThanOrEqual(cacheSize / pageSize);
    expect(held).toBeGreaterThan(cacheSize / (pageSize + 512));
    db.exec(SCHEMA);
    db.pragma('cache_size = 16'); // a cache of clean pages that alone would spill at 16
    vfs.resetStats();
    db.exec(fill(30000)); // about 1,700 pages, far below the hold
    const pages = Number(db.pragma('page_count', { simple: true }));
    expect(pages).toBeGreaterThan(1000);
    // Each page written once (two for the few the commit's journal records guard), where
    // spilling at 16 pages wrote them several times over.
    expect(vfs.stats().pagesWritten).toBeLessThan(1.2 * pages);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  test('a connection may still choose to spill sooner', () => {
    const vfs = versioned({ blockSize: 65536, cacheSize: 16 << 20 });
    const db = vfs.open(uniquePrefix('bulk-hold-own'));
    db.exec(SCHEMA);
    db.pragma('cache_size = 16');
    db.pragma('cache_spill = 16');
    vfs.resetStats();
    db.exec(fill(30000));
    const pages = Number(db.pragma('page_count', { simple: true }));
    expect(vfs.stats().pagesWritten).toBeGreaterThan(2 * pages);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
