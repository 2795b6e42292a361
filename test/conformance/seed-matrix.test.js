// The Python sqlite-s3vfs test matrix: every page size x block size x journal mode, in the
// seed layout; the journal modes it refuses (MEMORY, OFF: not crash-safe there) run in the
// versioned layout, whose commits are atomic without a journal, and so do all page and
// block sizes with the default journal (its journal stays in memory, whatever the mode).
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { makeVfs, closeAll, uniquePrefix, tempDir, collect } = require('../support/helpers');
const { PAGE_SIZES, BLOCK_SIZES, JOURNAL_MODES, setPragmas, createDb, emptyDb, expectSeedContent } = require('../support/seed-db');

const vfsByBlock = new Map();
const vfsFor = (blockSize, layout) => {
  const key = `${layout}:${blockSize}`;
  if (!vfsByBlock.has(key)) vfsByBlock.set(key, makeVfs({ blockSize, layout }));
  return vfsByBlock.get(key);
};
const dir = tempDir();
afterAll(async () => {
  await closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cases = [];
for (const journalMode of JOURNAL_MODES) {
  for (const blockSize of BLOCK_SIZES) {
    for (const pageSize of PAGE_SIZES) {
      const refusedInCompat = journalMode === 'MEMORY' || journalMode === 'OFF';
      if (!refusedInCompat) cases.push([pageSize, blockSize, journalMode, 'compat']);
      if (refusedInCompat || journalMode === 'DELETE') cases.push([pageSize, blockSize, journalMode, 'versioned']);
    }
  }
}

describe.each(cases)('page %i, block %i, journal %s, %s layout', (pageSize, blockSize, journalMode, layout) => {
  test('create, query, reopen, serialize, vacuum, roll back', async () => {
    const vfs = vfsFor(blockSize, layout);
    const prefix = uniquePrefix(`m-${pageSize}-${blockSize}-${journalMode}-${layout}`);

    let db = vfs.open(prefix);
    setPragmas(db, pageSize, journalMode);
    createDb(db);
    expectSeedContent(db);
    db.close();

    db = vfs.open(prefix);
    db.exec('BEGIN');
    expectSeedContent(db);
    db.exec('COMMIT');
    db.close();

    // A local file built the same way is byte-for-byte what serialize gives.
    const local = path.join(dir, `${pageSize}-${blockSize}-${journalMode}-${layout}.db`);
    let ldb = new BetterSqlite3(local);
    setPragmas(ldb, pageSize, journalMode);
    createDb(ldb);
    ldb.close();
    const bytes = await collect(vfs.serialize(prefix));
    expect(bytes.length).toBe(fs.statSync(local).size);
    expect(bytes.equals(fs.readFileSync(local))).toBe(true);
    const copy = path.join(dir, `${pageSize}-${blockSize}-${journalMode}-${layout}-copy.db`);
    fs.writeFileSync(copy, bytes);
    const cdb = new BetterSqlite3(copy);
    expectSeedContent(cdb);
    cdb.close();

    // ... and after a VACUUM, which shrinks the file (truncating blocks away).
    db = vfs.open(prefix);
    emptyDb(db);
    db.exec('VACUUM');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    ldb = new BetterSqlite3(local);
    emptyDb(ldb);
    ldb.exec('VACUUM');
    ldb.close();
    const vacuumed = await collect(vfs.serialize(prefix));
    expect(vacuumed.length).toBe(fs.statSync(local).size);
    expect(vacuumed.equals(fs.readFileSync(local))).toBe(true);

    // A transaction that fails is rolled back (from the journal in the bucket, in the seed layout).
    db = vfs.open(prefix);
    db.exec('CREATE TABLE kept(v)');
    db.exec("INSERT INTO kept VALUES ('before')");
    const failing = db.transaction(() => {
      db.exec("INSERT INTO kept VALUES ('inside')");
      db.exec(`CREATE TABLE bulk(v); INSERT INTO bulk SELECT randomblob(${pageSize}) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 40) SELECT i FROM c)`);
      throw new Error('abort');
    });
    expect(() => failing()).toThrow('abort');
    if (journalMode !== 'OFF') {
      // With journal_mode=OFF SQLite documents ROLLBACK as undefined.
      expect(db.prepare('SELECT v FROM kept').pluck().all()).toEqual(['before']);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'bulk'").pluck().get()).toBe(0);
    }
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  test('deserialize a plain SQLite file', async () => {
    const vfs = vfsFor(blockSize, layout);
    const local = path.join(dir, `d-${pageSize}-${blockSize}-${journalMode}-${layout}.db`);
    const ldb = new BetterSqlite3(local);
    setPragmas(ldb, pageSize, journalMode);
    createDb(ldb);
    ldb.close();
    const prefix = uniquePrefix('deser');
    await vfs.deserialize(prefix, fs.createReadStream(local, { highWaterMark: 1000 }));
    const db = vfs.open(prefix);
    db.exec('BEGIN');
    expectSeedContent(db);
    db.exec('COMMIT');
    db.close();
    expect((await collect(vfs.serialize(prefix))).equals(fs.readFileSync(local))).toBe(true);
  });
});
