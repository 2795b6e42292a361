// Kill points, for both layouts: a writer killed (kill -9) at each S3 request that changes
// the bucket during its commit leaves exactly the old or the new database. The seed layout
// rolls back the hot journal it left; the versioned layout's commit point is the manifest's
// PUT, so the state is known from the kill point alone.
const { config, makeVfs, closeAll, uniquePrefix, series, collect } = require('../support/helpers');
const { assertKilledAt, restoreDatabase, crashWriterHarness } = require('../support/counting-proxy');

const writer = crashWriterHarness(config);
afterAll(closeAll);
const killTest = writer.available ? test : test.skip; // a proxy must stand in front of the server

const snapshot = (db) => JSON.stringify(db.prepare('SELECT id, v FROM t ORDER BY id').all());

const modes = [
  { journalMode: 'DELETE', synchronous: 'FULL' },
  { journalMode: 'TRUNCATE', synchronous: 'FULL' },
  { journalMode: 'PERSIST', synchronous: 'NORMAL' },
  { journalMode: 'DELETE', synchronous: 'OFF' },
  // SQLite's cache spilling mid-transaction: journal records and database pages in turn.
  { journalMode: 'DELETE', synchronous: 'OFF', cachePages: 5 },
  { journalMode: 'PERSIST', synchronous: 'FULL', cachePages: 5 },
];

describe.each(modes)('compat layout, journal $journalMode, synchronous $synchronous, cache $cachePages pages', ({ journalMode, synchronous, cachePages }) => {
  killTest('a writer killed at any request of its commit leaves the old or the new state', async () => {
    const blockSize = 4096;
    const vfs = makeVfs({ blockSize, layout: 'compat' });
    const prefix = uniquePrefix(`crash-${journalMode}-${synchronous}`);
    let db = vfs.open(prefix);
    db.pragma(`journal_mode = ${journalMode}`);
    db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT 'row ' || value || ' ' || hex(randomblob(100)) FROM ${series(800)}`);
    const before = snapshot(db);
    db.close();
    const original = await collect(vfs.serialize(prefix));

    // A clean run names the bucket-changing requests the commit makes, and the new state.
    const args = { prefix, journalMode, synchronous, blockSize, layout: 'compat', cachePages };
    const clean = await writer.run(args);
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
      assertKilledAt(await writer.run(args, killAt), killAt, clean);
      // Every other check reuses the VFS that has the database cached from before the
      // crash: a new open must still find the hot journal.
      const reuse = i % 2 === 0;
      const check = reuse ? vfs : makeVfs({ blockSize, layout: 'compat' });
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

killTest.each([
  { journalMode: 'DELETE', synchronous: 'FULL', small: false },
  { journalMode: 'PERSIST', synchronous: 'OFF', small: false },
  // A few rows: the commit uploads patches, not blocks.
  { journalMode: 'DELETE', synchronous: 'FULL', small: true },
])('versioned layout: a writer killed at every request of a commit leaves the old state up to the manifest PUT, the new one after (journal $journalMode, synchronous $synchronous, small $small)', async ({ journalMode, synchronous, small }) => {
  const blockSize = 16384;
  const vfs = makeVfs({ blockSize, layout: 'versioned' });
  const prefix = uniquePrefix(`v-crash-${journalMode}`);
  let db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT 'row ' || value || ' ' || hex(randomblob(100)) FROM ${series(800)}`);
  const before = snapshot(db);
  db.close();
  const original = await collect(vfs.serialize(prefix));

  const args = { prefix, journalMode, synchronous, blockSize, layout: 'versioned', leaseTtlMs: 400, small };
  const clean = await writer.run(args);
  expect(clean.out).toContain('COMMITTED');
  expect(clean.mutations.some((p) => p.includes('/v/patch '))).toBe(small);
  db = vfs.open(prefix);
  const after = snapshot(db);
  db.close();
  expect(after).not.toBe(before);

  // The commit point is the last PUT of the manifest: killed at it or before (the request
  // is dropped by the proxy), the old state; after it comes only the lease's release.
  const commitPoint = clean.mutations.findLastIndex((p) => p.startsWith(`PUT ${config.bucket}/${prefix}/manifest.json `));
  expect(commitPoint).toBeGreaterThan(0);
  for (const [i, killAt] of clean.mutations.entries()) {
    await restoreDatabase(vfs, prefix, original);
    assertKilledAt(await writer.run(args, killAt), killAt, clean);
    const check = i % 2 === 0 ? vfs : makeVfs({ blockSize, layout: 'versioned' });
    db = check.open(prefix);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const state = snapshot(db);
    const seen = state === before ? 'before' : state === after ? 'after' : 'neither';
    expect({ killAt, seen }).toEqual({ killAt, seen: i <= commitPoint ? 'before' : 'after' });
    db.close();
  }
  expect(clean.mutations.length - commitPoint - 1).toBe(1); // the release
  expect(clean.mutations.length).toBeGreaterThanOrEqual(4);
});
