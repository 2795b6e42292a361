// kill -9 a writer at each S3 request of a commit; the next open rolls back the hot
// journal it left, and the database is exactly the old or the new state.
const path = require('node:path');
const { config, makeVfs, closeAll, uniquePrefix, series, collect } = require('./support/helpers');
const { startCountingProxy, runKilledAt, assertKilledAt, restoreDatabase } = require('./support/counting-proxy');

let proxy;
beforeAll(async () => {
  if (!config.port) throw new Error('the crash tests need the local s3rver (they put a proxy in front of it)');
  proxy = await startCountingProxy(config.port);
});
afterAll(async () => {
  await closeAll();
  await proxy?.close();
});

/** Runs the writer through the proxy; kills it at the kill point killAt (null: never). */
function runWriter(args, killAt = null) {
  const script = path.join(__dirname, 'support', 'crash-writer.js');
  return runKilledAt(proxy, script, { ...args, bucket: config.bucket, s3: config.s3 }, killAt);
}

function snapshot(db) {
  return JSON.stringify(db.prepare('SELECT id, v FROM t ORDER BY id').all());
}

const modes = [
  { journalMode: 'DELETE', synchronous: 'FULL' },
  { journalMode: 'TRUNCATE', synchronous: 'FULL' },
  { journalMode: 'PERSIST', synchronous: 'NORMAL' },
  { journalMode: 'DELETE', synchronous: 'OFF' },
];

describe.each(modes)('journal $journalMode, synchronous $synchronous', ({ journalMode, synchronous }) => {
  test('a writer killed at any request of its commit leaves the old or the new state', async () => {
    const blockSize = 4096;
    const vfs = makeVfs({ blockSize });
    const prefix = uniquePrefix(`crash-${journalMode}-${synchronous}`);
    let db = vfs.open(prefix);
    db.pragma(`journal_mode = ${journalMode}`);
    db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT 'row ' || value || ' ' || hex(randomblob(100)) FROM ${series(800)}`);
    const before = snapshot(db);
    db.close();
    const original = await collect(vfs.serialize(prefix));

    // A clean run names the bucket-changing requests the commit makes, and the new state.
    const args = { prefix, journalMode, synchronous, blockSize };
    const clean = await runWriter(args);
    expect(clean.out).toContain('COMMITTED');
    expect(clean.mutations.length).toBeGreaterThan(3);
    db = vfs.open(prefix);
    const after = snapshot(db);
    db.close();
    expect(after).not.toBe(before);

    // Kill points: every one of the first few, then spread to the last.
    const all = clean.mutations;
    const total = all.length;
    const points = [...new Set([1, 2, 3, 4, 5, Math.floor(total / 3), Math.floor(total / 2), total - 2, total - 1, total])]
      .filter((n) => n >= 1 && n <= total)
      .map((n) => all[n - 1]);
    const seen = { before: 0, after: 0 };
    for (const [i, killAt] of points.entries()) {
      await restoreDatabase(vfs, prefix, original);
      assertKilledAt(await runWriter(args, killAt), killAt, clean);
      // Every other check reuses the VFS that has the database cached from before the
      // crash: a new open must still find the hot journal.
      const reuse = i % 2 === 0;
      const check = reuse ? vfs : makeVfs({ blockSize });
      db = check.open(prefix);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const state = snapshot(db);
      expect([before, after]).toContain(state);
      seen[state === before ? 'before' : 'after']++;
      db.close();
      if (!reuse) await check.close();
    }
    expect(seen.before + seen.after).toBe(points.length);
  });
});
