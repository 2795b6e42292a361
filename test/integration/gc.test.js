// vfs.gc on versioned databases: it deletes the blocks commits replaced once nobody can
// need them, never a listed block or a writer's uploads for its next commit, and its
// grace period lets a reader on an older manifest finish its transaction.
const fs = require('node:fs');
const path = require('node:path');
const { config, elsewhere, makeVfs, closeAll, uniquePrefix, series, rawClient, listObjects, getObject, tempDir } = require('../support/helpers');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

const versioned = (options = {}) => makeVfs({ layout: 'versioned', blockSize: 4096, ...options });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function manifestOf(prefix) {
  return JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
}

/** Block objects in the bucket, relative to the prefix, and those the manifest does not list. */
async function blocksOf(prefix) {
  const manifest = await manifestOf(prefix);
  const all = (await listObjects(client, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1)).filter((k) => /^(v\/|\d{10}$)/.test(k));
  const listed = new Set(manifest.blocks.map((b) => b.key));
  return { manifest, all, unreferenced: all.filter((k) => !listed.has(k)) };
}

function createWithUpdates(vfs, prefix, commits) {
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(150)) FROM ${series(600)}`);
  const update = db.prepare('UPDATE t SET v = ? WHERE id % 50 = ?');
  for (let i = 0; i < commits; i++) update.run(`commit ${i}`, i % 50);
  return db;
}

test('gc deletes the blocks commits replaced, after the grace period; never a block the manifest lists', async () => {
  const vfs = versioned();
  const prefix = uniquePrefix('gc-basic');
  const db = createWithUpdates(vfs, prefix, 12);
  const expected = db.prepare('SELECT sum(length(v)), group_concat(v) FROM t').raw().get();
  db.close();
  const before = await blocksOf(prefix);
  expect(before.unreferenced.length).toBeGreaterThan(12);

  // Just committed: within the default grace (1 hour) nothing goes; gc records what waits.
  const first = await vfs.gc(prefix);
  expect(first).toMatchObject({ deleted: 0, waiting: before.unreferenced.length, referenced: before.manifest.blocks.length, inFlight: 0 });
  expect((await blocksOf(prefix)).all).toHaveLength(before.all.length);
  const record = JSON.parse((await getObject(client, `${prefix}/gc.json`)).toString());
  expect(record.seen.flatMap((s) => s.keys).sort()).toEqual([...before.unreferenced].sort());

  // No grace: every unreferenced block goes, and only those.
  vfs.resetStats();
  const second = await vfs.gc(prefix, { olderThan: 0 });
  expect(second).toMatchObject({ deleted: before.unreferenced.length, waiting: 0, commit: before.manifest.commit });
  expect(second.deletedBytes).toBeGreaterThan(0);
  const after = await blocksOf(prefix);
  expect(after.unreferenced).toEqual([]);
  expect(after.all.sort()).toEqual(before.manifest.blocks.map((b) => b.key).sort());
  expect((await listObjects(client, `${prefix}/gc.json`)).length).toBe(0);

  const reader = versioned().open(prefix, { readonly: true });
  expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(reader.prepare('SELECT sum(length(v)), group_concat(v) FROM t').raw().get()).toEqual(expected);
  reader.close();
  expect(await vfs.gc(prefix, { olderThan: 0 })).toMatchObject({ deleted: 0, waiting: 0 });
});

test('an idle database: blocks the manifest dropped go once the manifest is older than the grace', async () => {
  const vfs = versioned();
  const prefix = uniquePrefix('gc-idle');
  createWithUpdates(vfs, prefix, 5).close();
  const { unreferenced } = await blocksOf(prefix);
  expect(await vfs.gc(prefix, { olderThan: 30_000 })).toMatchObject({ deleted: 0 });
  await sleep(2300); // the manifest's Last-Modified has whole seconds
  expect(await vfs.gc(prefix, { olderThan: 1000 })).toMatchObject({ deleted: unreferenced.length, waiting: 0 });
});

test('a database written continuously: a block goes on the first run at least olderThan after a run saw it unreferenced', async () => {
  const vfs = versioned();
  const prefix = uniquePrefix('gc-busy');
  const db = createWithUpdates(vfs, prefix, 5);
  const seenFirst = (await blocksOf(prefix)).unreferenced;
  expect(await vfs.gc(prefix, { olderThan: 2000 })).toMatchObject({ deleted: 0, waiting: seenFirst.length });
  await sleep(2100);
  db.prepare("UPDATE t SET v = 'later' WHERE id % 7 = 0").run(); // the manifest is new again
  const beforeSecond = await blocksOf(prefix);
  const droppedLater = beforeSecond.unreferenced.filter((k) => !seenFirst.includes(k));
  expect(droppedLater.length).toBeGreaterThan(0);

  const second = await vfs.gc(prefix, { olderThan: 2000 });
  expect(second).toMatchObject({ deleted: seenFirst.length, waiting: droppedLater.length });
  const left = await blocksOf(prefix);
  expect(left.unreferenced.sort()).toEqual([...droppedLater].sort());
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
});

test("gc leaves a writer's uploads for its next commit alone, so the commit stays whole", async () => {
  // A small cache makes the transaction move its blocks out of memory before it commits;
  // with no spill file to keep them in (cacheDir under a file), they go up early instead.
  const file = path.join(tempDir(), 'a-file');
  fs.writeFileSync(file, '');
  const writerVfs = versioned({ cacheSize: 64 * 1024, cacheDir: path.join(file, 'cache') });
  const prefix = uniquePrefix('gc-inflight');
  const db = writerVfs.open(prefix);
  // SQLite's own page cache would hold the whole transaction
  db.pragma('cache_size = 16');
  db.pragma('cache_spill = 16');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  db.exec('BEGIN');
  db.exec(`INSERT INTO t(v) SELECT hex(randomblob(200)) FROM ${series(2000)}`);
  const uploaded = (await blocksOf(prefix)).unreferenced;
  expect(uploaded.length).toBeGreaterThan(8);

  expect(writerVfs.stats().bytesSpilled).toBe(0);
  const report = await versioned().gc(prefix, { olderThan: 0 });
  expect(report.inFlight).toBe(uploaded.length);
  expect(report.deleted).toBe(0);
  db.exec('COMMIT');
  db.close();

  const reader = versioned().open(prefix, { readonly: true });
  expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2000);
  reader.close();
});

describe('gc under a live reader', () => {
  // A reader whose caches (SQLite's and the VFS's) hold little must fetch old blocks again
  // within its transaction.
  async function readerMidTransaction(label) {
    const vfs = versioned();
    const prefix = uniquePrefix(label);
    const w = vfs.open(prefix);
    w.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(300)) FROM ${series(1500)}`);
    // The reader is elsewhere (as if on another machine): the writer does not wait for it.
    const readerVfs = versioned({ cacheSize: 32 * 1024, s3: elsewhere(config.s3) });
    const reader = readerVfs.open(prefix, { readonly: true });
    reader.pragma('cache_size = 10');
    reader.exec('BEGIN');
    const sum = reader.prepare('SELECT sum(length(v)), count(*) FROM t').raw();
    const snapshot = sum.get();
    w.exec("UPDATE t SET v = 'rewritten'"); // every block replaced
    return { vfs, prefix, w, reader, readerVfs, sum, snapshot };
  }

  test('with a grace period the reader finishes its transaction on the old manifest', async () => {
    const { vfs, prefix, w, reader, sum, snapshot } = await readerMidTransaction('gc-reader');
    const report = await vfs.gc(prefix, { olderThan: 60_000 });
    expect(report.deleted).toBe(0);
    expect(report.waiting).toBeGreaterThan(50);
    expect(sum.get()).toEqual(snapshot);
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.exec('COMMIT');
    expect(sum.get()).toEqual([1500 * 'rewritten'.length, 1500]);
    reader.close();
    w.close();
  });

  test('without one (olderThan: 0) the reader gets an error naming the vanished block, never wrong data', async () => {
    const { vfs, prefix, w, reader, readerVfs, sum } = await readerMidTransaction('gc-reader-nograce');
    expect((await vfs.gc(prefix, { olderThan: 0 })).deleted).toBeGreaterThan(50);
    expect(() => sum.get()).toThrow();
    expect(readerVfs.lastError?.message).toMatch(/block \d+ of '.*' \(.*v\/\d{10}\.\d+\.[0-9a-f]+\) has vanished.*vfs\.gc/);
    try {
      reader.exec('COMMIT');
    } catch {
      // the failed statement may have ended the transaction already
    }
    // The next transaction reads the new manifest, whose blocks are all there.
    expect(sum.get()).toEqual([1500 * 'rewritten'.length, 1500]);
    reader.close();
    w.close();
  });
});

test('gc names what is wrong: a seed-layout database, no database, a bad olderThan', async () => {
  const vfs = versioned();
  const seed = uniquePrefix('gc-seed');
  const compat = makeVfs({ layout: 'compat', blockSize: 4096 });
  compat.open(seed).exec('CREATE TABLE t(v)');
  await expect(vfs.gc(seed)).rejects.toMatchObject({ code: 'ELAYOUT', message: expect.stringMatching(/seed layout.*vfs\.migrate/) });
  await expect(vfs.gc(uniquePrefix('gc-none'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/no database at .*manifest\.json/) });
  await expect(vfs.gc(seed, { olderThan: -1 })).rejects.toThrow(/olderThan must be a number of milliseconds >= 0/);
});
