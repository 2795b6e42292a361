// An S3VFS belongs to the JavaScript thread that created it; other threads make their own.
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const BetterSqlite3 = require('better-sqlite3');
const { Database } = require('../..');
const { config, makeVfs, closeAll, uniquePrefix, tempDir } = require('../support/helpers');

afterAll(closeAll);

function runThread(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, '..', 'support', 'thread-user.js'), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('a worker thread can use its own S3VFS', async () => {
  const prefix = uniquePrefix('thread');
  const r = await runThread({ mode: 'own', bucket: config.bucket, s3: config.s3, prefix });
  expect(r).toEqual({ ok: true, v: 'from a worker thread' });
  const db = makeVfs().open(prefix);
  expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('from a worker thread');
  db.close();
});

test("another thread cannot use this thread's S3VFS, and is told why", async () => {
  const vfs = makeVfs();
  const r = await runThread({ mode: 'foreign', prefix: uniquePrefix('foreign'), foreignName: vfs.name });
  expect(r.error).toMatch(/no S3VFS named '.*' exists in this thread/);
});

test('new Database(prefix, { vfs }) takes the instance or its name', () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('byname');
  const a = new Database(prefix, { vfs });
  a.exec('CREATE TABLE t(v)');
  a.close();
  const b = Database(prefix, { vfs: vfs.name });
  expect(b.prepare("SELECT name FROM sqlite_master").pluck().all()).toEqual(['t']);
  expect(b).toBeInstanceOf(BetterSqlite3);
  expect(b.name).toBe(prefix);
  b.close();
  expect(() => new Database(prefix, { vfs: 'nope' })).toThrow(/no S3VFS named 'nope'/);
  // @ts-expect-error: no vfs, on purpose
  expect(() => new Database(prefix, {})).toThrow(/vfs option/);
});

test('plain better-sqlite3 databases are untouched by a registered S3VFS', () => {
  makeVfs();
  const dir = tempDir();
  const file = path.join(dir, 'local.db');
  const db = new BetterSqlite3(file);
  db.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  db.close();
  expect(fs.statSync(file).size).toBeGreaterThan(0);
  fs.rmSync(dir, { recursive: true });
});

test('temporary files go to the local temp_store_directory, not to the bucket', () => {
  const vfs = makeVfs();
  const dir = tempDir();
  const db = vfs.open(uniquePrefix('temp'));
  db.pragma(`temp_store_directory = '${dir}'`);
  db.pragma('temp_store = FILE');
  db.pragma('cache_size = 10');
  db.exec('CREATE TABLE t(v)');
  vfs.resetStats();
  db.exec("CREATE TEMP TABLE big AS SELECT hex(randomblob(500)) AS v FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 5000) SELECT i FROM s)");
  expect(db.prepare('SELECT count(*) FROM (SELECT v FROM big ORDER BY v)').pluck().get()).toBe(5000);
  const s = vfs.stats();
  expect(s.put + s.get + s.list).toBe(0);
  expect(() => db.pragma(`temp_store_directory = '${path.join(dir, 'does-not-exist')}'`)).toThrow();
  db.close();
  fs.rmSync(dir, { recursive: true });
});
