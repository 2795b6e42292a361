// vfs.migrate: a seed-layout database becomes versioned in place (one manifest PUT, no
// copy); a hot journal left by a crashed seed-layout writer is rolled back first.
const { config, makeVfs, closeAll, uniquePrefix, series, rawClient, listObjects, getObject, collect } = require('../support/helpers');
const { assertKilledAt, restoreDatabase, crashWriterHarness } = require('../support/counting-proxy');

const client = rawClient();
const writer = crashWriterHarness(config);
afterAll(async () => {
  await closeAll();
  client.destroy();
});

const keysUnder = async (prefix) => (await listObjects(client, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1)).sort();
const snapshot = (db) => JSON.stringify(db.prepare('SELECT id, v FROM t ORDER BY id').all());

function createSeed(prefix, rows = 800) {
  const compat = makeVfs({ layout: 'compat', blockSize: 4096 });
  const db = compat.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT 'row ' || value || ' ' || hex(randomblob(100)) FROM ${series(rows)}`);
  const state = snapshot(db);
  db.close();
  return { compat, state };
}

test('migrate lists the seed blocks in a manifest; later commits write new blocks; gc removes the replaced seed blocks', async () => {
  const prefix = uniquePrefix('migrate');
  const { compat, state } = createSeed(prefix);
  const bytes = await collect(compat.serialize(prefix));
  const seedKeys = await keysUnder(prefix);
  expect(seedKeys.every((k) => /^\d{10}$/.test(k))).toBe(true);

  const vfs = makeVfs({ layout: 'versioned' });
  vfs.resetStats();
  const report = await vfs.migrate(prefix);
  expect(report).toEqual({ migrated: true, size: bytes.length, blocks: seedKeys.length });
  expect(vfs.stats().put).toBe(3); // the manifest, nothing copied (after this VFS's probe of conditional writes: 2 PUTs)
  const manifest = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  expect(manifest).toMatchObject({ format: 'sqlite-s3vfs/versioned', blockSize: 4096, pageSize: 4096, size: bytes.length, commit: 0 });
  expect(manifest.blocks.map((b) => b.key)).toEqual(seedKeys);
  expect(manifest.blocks.every((b) => b.crc32 === undefined)).toBe(true); // adopted, not read
  expect(await keysUnder(prefix)).toEqual([...seedKeys, 'manifest.json'].sort());
  expect(await vfs.migrate(prefix)).toEqual({ migrated: false, size: bytes.length, blocks: seedKeys.length });

  // Opened now as versioned: same bytes, one GET to open, and writes make new objects.
  expect((await collect(vfs.serialize(prefix))).equals(bytes)).toBe(true);
  vfs.resetStats();
  const db = vfs.open(prefix);
  expect(snapshot(db)).toBe(state);
  expect(vfs.stats().list).toBe(0);
  db.exec("UPDATE t SET v = 'changed' WHERE id % 100 = 0");
  const after = snapshot(db);
  db.close();
  const changed = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  const changedKeys = changed.blocks.map((b) => b.key);
  const replaced = seedKeys.filter((k) => !changedKeys.includes(k));
  expect(replaced.length).toBeGreaterThan(0);
  expect(changedKeys.filter((k) => k.startsWith('v/')).length).toBe(replaced.length);
  for (const k of seedKeys) expect(await keysUnder(prefix)).toContain(k); // seed blocks are never written

  expect(await vfs.gc(prefix, { olderThan: 0 })).toMatchObject({ deleted: replaced.length, waiting: 0 });
  const left = await keysUnder(prefix);
  for (const k of replaced) expect(left).not.toContain(k);
  const reader = makeVfs({ layout: 'versioned' }).open(prefix, { readonly: true });
  expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(snapshot(reader)).toBe(after);
  reader.close();
});

/** Runs the seed-layout crash writer through the proxy, killed at the kill point killAt (null: never). */
function runKilledWriter(prefix, killAt = null) {
  return writer.run({ prefix, journalMode: 'DELETE', synchronous: 'FULL', blockSize: 4096, layout: 'compat' }, killAt);
}

const withProxy = writer.available ? test : test.skip; // kills a writer behind the local server's proxy
withProxy('migrate rolls back the hot journal a crashed seed-layout writer left, then converts', async () => {
  const prefix = uniquePrefix('migrate-hot');
  const { state } = createSeed(prefix);
  const original = await collect(makeVfs({ layout: 'compat' }).serialize(prefix));
  // Kill the writer late in its commit (its last requests write the database, then delete
  // the journal) so that it leaves a hot journal and database blocks written (the raw
  // blocks differ from the original).
  const raw = makeVfs({ layout: 'compat', blockSize: 4096 });
  const clean = await runKilledWriter(prefix);
  let torn = false;
  for (const killAt of clean.mutations.slice(-6).reverse()) {
    if (torn) break;
    await restoreDatabase(raw, prefix, original);
    assertKilledAt(await runKilledWriter(prefix, killAt), killAt, clean);
    const journal = await listObjects(client, `${prefix}-journal/`);
    const hot = journal.length > 0 && (await getObject(client, journal[0].key))[0] !== 0;
    torn = hot && !(await collect(raw.serialize(prefix))).equals(original);
  }
  expect(torn).toBe(true);

  const vfs = makeVfs({ layout: 'versioned' });
  expect((await vfs.migrate(prefix)).migrated).toBe(true);
  expect(await listObjects(client, `${prefix}-journal/`)).toEqual([]);
  const db = vfs.open(prefix);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(snapshot(db)).toBe(state); // the interrupted transaction was rolled back
  db.close();
});

test('migrate names what is wrong: no database, an open database', async () => {
  const vfs = makeVfs({ layout: 'versioned' });
  await expect(vfs.migrate(uniquePrefix('migrate-none'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/no database at .* to migrate/) });
  const prefix = uniquePrefix('migrate-open');
  createSeed(prefix, 10);
  const db = vfs.open(prefix);
  await expect(vfs.migrate(prefix)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringMatching(/cannot migrate .* while it is open/) });
  db.close();
  expect((await vfs.migrate(prefix)).migrated).toBe(true);
});
