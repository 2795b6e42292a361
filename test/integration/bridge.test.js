// The synchronous bridge fails fast and for good when the worker dies or stalls.
const { makeVfs, closeAll, uniquePrefix, timed, busyWait } = require('../support/helpers');

afterAll(closeAll);

test('a worker that dies is noticed at once, not after the timeout', async () => {
  const vfs = makeVfs({ timeoutMs: 60000 });
  const db = vfs.open(uniquePrefix('dies'));
  db.exec('CREATE TABLE t(v)');
  await vfs._testHook('crash', 200);
  // Keep this thread blocked, as it would be inside a query: no 'exit' event can run.
  busyWait(500);
  const first = timed(() => db.exec("INSERT INTO t VALUES (1)"));
  // Either the worker's own last words, or (if this thread got to its event loop
  // first) the 'exit' event; both within moments, not the 60 s timeout.
  expect(first.error.message).toMatch(/worker thread (died: worker crashed on purpose|exited)/);
  expect(first.ms).toBeLessThan(2000);
  const second = timed(() => db.prepare('SELECT count(*) FROM t').get());
  expect(second.error.message).toMatch(/worker thread died/);
  expect(second.ms).toBeLessThan(500);
  expect(() => db.close()).not.toThrow();
});

test('a stalled worker times out; the late reply is never taken for a later request', async () => {
  const vfs = makeVfs({ timeoutMs: 1000 });
  const db = vfs.open(uniquePrefix('stall'));
  db.exec('CREATE TABLE t(v); INSERT INTO t VALUES (42)');
  vfs._testHook('stall', 2500).catch(() => undefined);
  busyWait(100);
  const slow = timed(() => db.exec('INSERT INTO t VALUES (43)'));
  expect(slow.error.message).toMatch(/took longer than 1000 ms; the VFS is now unusable/);
  expect(slow.ms).toBeGreaterThanOrEqual(900);
  expect(slow.ms).toBeLessThan(5000);
  await new Promise((r) => setTimeout(r, 2500)); // the worker wakes up and answers, late
  const after = timed(() => db.prepare('SELECT v FROM t').all());
  expect(after.error.message).toMatch(/unusable/);
  expect(after.ms).toBeLessThan(500);
});

test('closing the VFS closes its databases and makes their writes durable', async () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('close');
  const db = vfs.open(prefix);
  // Exclusive locking and synchronous=OFF: SQLite never syncs or unlocks, so only
  // close() pushes these writes to the bucket.
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('synchronous = OFF');
  db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('durable')");
  await vfs.close();
  expect(db.open).toBe(false);
  expect(() => vfs.open(prefix)).toThrow(/is closed/);
  const again = makeVfs();
  const db2 = again.open(prefix);
  expect(db2.prepare('SELECT v FROM t').pluck().get()).toBe('durable');
  db2.close();
});

test('two connections in one process lock each other like SQLite files do', () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('locks');
  const a = vfs.open(prefix, { timeout: 0 });
  const b = vfs.open(prefix, { timeout: 0 });
  a.exec('CREATE TABLE t(v)');
  a.exec('BEGIN IMMEDIATE');
  a.exec('INSERT INTO t VALUES (1)');
  expect(() => b.exec('BEGIN IMMEDIATE')).toThrow(/database is locked/);
  expect(b.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  a.exec('COMMIT');
  expect(b.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
  b.exec("INSERT INTO t VALUES (2)");
  expect(a.prepare('SELECT sum(v) FROM t').pluck().get()).toBe(3);
  a.close();
  b.close();
});

test('stats count S3 requests and bridge crossings, and reset', () => {
  const vfs = makeVfs();
  const db = vfs.open(uniquePrefix('stats'));
  db.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const s = vfs.stats();
  expect(s.put).toBeGreaterThan(0);
  expect(s.list).toBeGreaterThan(0);
  expect(s.bytesUp).toBeGreaterThan(0);
  expect(s.bridgeCrossings).toBeGreaterThan(0);
  vfs.resetStats();
  expect(vfs.stats().put).toBe(0);
  db.exec('INSERT INTO t VALUES (2)');
  expect(vfs.stats().put).toBeGreaterThan(0);
  db.close();
});
