// deserialize (and the CLI's import) refuse a file that is not a whole database, and turn
// one in WAL mode, which could never be opened without shared memory, into one with a
// rollback journal, saying so.
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { makeVfs, closeAll, uniquePrefix, tempDir, collect, series } = require('../support/helpers');

const dir = tempDir();
afterAll(async () => {
  await closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

function localDb(name, setup) {
  const file = path.join(dir, name);
  const db = new BetterSqlite3(file);
  setup(db);
  db.close();
  return file;
}

describe.each(['versioned', 'compat'])('%s layout', (layout) => {
  test('a file cut at a page boundary is refused, and the database there stays as it was', async () => {
    const file = localDb(`cut-${layout}.db`, (db) => db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT randomblob(500) FROM ${series(200)}`));
    const whole = fs.readFileSync(file);
    const vfs = makeVfs({ layout });
    const prefix = uniquePrefix(`cut-${layout}`);
    await vfs.deserialize(prefix, [whole]);
    const cut = whole.subarray(0, whole.length - 4096 * 3);
    await expect(vfs.deserialize(prefix, [cut])).rejects.toThrow(/has \d+ pages but its header says the database has \d+: it is cut short/);
    expect((await collect(vfs.serialize(prefix))).equals(whole)).toBe(true);
  });

  test('a WAL-mode file becomes a rollback-journal one, with a note, and opens', async () => {
    const file = localDb(`wal-${layout}.db`, (db) => {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
    const bytes = fs.readFileSync(file);
    expect([bytes[18], bytes[19]]).toEqual([2, 2]);
    const vfs = makeVfs({ layout });
    const prefix = uniquePrefix(`wal-${layout}`);
    const report = await vfs.deserialize(prefix, [bytes]);
    expect(report).toMatchObject({ bytes: bytes.length, pages: bytes.length / 4096 });
    expect(report.notes).toEqual([expect.stringMatching(/was in WAL mode .* set to 1/)]);
    const db = vfs.open(prefix);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(db.prepare('SELECT sum(x) FROM t').pluck().get()).toBe(6);
    db.close();
  });
});

test('a whole file given as one Buffer (readFileSync, db.serialize()) imports as it is', async () => {
  const file = localDb('buffer.db', (db) => db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT randomblob(300) FROM ${series(100)}`));
  const vfs = makeVfs();
  const prefix = uniquePrefix('buffer');
  const whole = fs.readFileSync(file);
  const report = await vfs.deserialize(prefix, whole);
  expect(report.bytes).toBe(whole.length);
  expect((await collect(vfs.serialize(prefix))).equals(whole)).toBe(true);
  const mem = new BetterSqlite3(':memory:');
  mem.exec('CREATE TABLE m(x); INSERT INTO m VALUES (42)');
  const serialized = uniquePrefix('serialized');
  await vfs.deserialize(serialized, mem.serialize());
  mem.close();
  const db = vfs.open(serialized);
  expect(db.prepare('SELECT x FROM m').pluck().get()).toBe(42);
  db.close();
});

test('a plain file imports with no note', async () => {
  const file = localDb('plain.db', (db) => db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)'));
  const report = await makeVfs().deserialize(uniquePrefix('plain'), fs.createReadStream(file));
  expect(report.notes).toEqual([]);
});
