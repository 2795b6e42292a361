// The objects in the bucket are exactly the Python sqlite-s3vfs layout.
const BetterSqlite3 = require('better-sqlite3');
const fs = require('node:fs');
const path = require('node:path');
const { makeVfs, closeAll, uniquePrefix, rawClient, listObjects, getObject, putObject, tempDir, collect, series } = require('../support/helpers');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

/** The objects the seed writes for these bytes: 10-digit block keys, full blocks but the last. */
function seedObjects(prefix, bytes, blockSize) {
  const out = [];
  for (let i = 0; i * blockSize < bytes.length; i++) {
    out.push({ key: `${prefix}/${String(i).padStart(10, '0')}`, body: bytes.subarray(i * blockSize, (i + 1) * blockSize) });
  }
  return out;
}

async function expectSeedLayout(prefix, bytes, blockSize) {
  const expected = seedObjects(prefix, bytes, blockSize);
  const listed = await listObjects(client, `${prefix}/`);
  expect(listed.map((o) => o.key)).toEqual(expected.map((o) => o.key));
  for (const o of expected) expect((await getObject(client, o.key)).equals(Buffer.from(o.body))).toBe(true);
  // After a commit the journal is a tombstone (docs/FORMAT.md), or nothing.
  const journal = await listObjects(client, `${prefix}-journal/`);
  if (journal.length) {
    expect(journal).toEqual([{ key: `${prefix}-journal/0000000000`, size: 16 }]);
    const tombstone = await getObject(client, journal[0].key);
    expect(tombstone[0]).toBe(0); // SQLite: not a hot journal
    // SQLite itself, given the database and that journal side by side, changes nothing.
    const dir = tempDir();
    const file = path.join(dir, 'db');
    fs.writeFileSync(file, bytes);
    fs.writeFileSync(`${file}-journal`, tombstone);
    const local = new BetterSqlite3(file);
    expect(local.pragma('integrity_check', { simple: true })).toBe('ok');
    local.close();
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
  }
}

test.each([4095, 4096, 4097, 65536])('objects written with block size %i are the seed layout', async (blockSize) => {
  const vfs = makeVfs({ blockSize });
  const prefix = uniquePrefix('layout');
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT hex(randomblob(300)) FROM ${series(200)}`);
  db.close();
  const bytes = await collect(vfs.serialize(prefix));
  expect(bytes.length % 4096).toBe(0);
  await expectSeedLayout(prefix, bytes, blockSize);
});

test('a database written by the seed (blocks put directly) opens, changes and stays in the seed layout', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'seed.db');
  const local = new BetterSqlite3(file);
  local.pragma('page_size = 1024');
  local.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT 'row ' || value FROM ${series(500)}`);
  local.close();
  const blockSize = 4095;
  const prefix = uniquePrefix('seed');
  for (const o of seedObjects(prefix, fs.readFileSync(file), blockSize)) await putObject(client, o.key, o.body);

  const vfs = makeVfs({ blockSize });
  const db = vfs.open(prefix);
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(500);
  db.exec(`INSERT INTO t(v) SELECT 'more ' || value FROM ${series(500)}`);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
  const bytes = await collect(vfs.serialize(prefix));
  await expectSeedLayout(prefix, bytes, blockSize);
  fs.rmSync(dir, { recursive: true });
});

test('an existing database is read and written with the block size it was written with', async () => {
  const writer = makeVfs({ blockSize: 4096 });
  const prefix = uniquePrefix('bs');
  const db = writer.open(prefix);
  db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT randomblob(1000) FROM ${series(50)}`);
  db.close();
  const other = makeVfs({ blockSize: 65536 });
  const db2 = other.open(prefix);
  expect(db2.prepare('SELECT count(*) FROM t').pluck().get()).toBe(50);
  db2.exec(`INSERT INTO t SELECT randomblob(1000) FROM ${series(50)}`);
  db2.close();
  const bytes = await collect(other.serialize(prefix));
  await expectSeedLayout(prefix, bytes, 4096);
});

/** A database of `rows` 500-byte blobs under a new prefix, written with `blockSize`. */
function blobDatabase(label, blockSize, rows, layout = 'compat') {
  const prefix = uniquePrefix(label);
  const db = makeVfs({ blockSize, layout }).open(prefix);
  db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT randomblob(500) FROM ${series(rows)}`);
  db.close();
  return prefix;
}

test.each(['compat', 'versioned'])('prefetch warms the cache so that a scan makes no request (%s layout)', async (layout) => {
  const prefix = blobDatabase('prefetch', 65536, 2000, layout);
  const reader = makeVfs({ layout });
  expect(await reader.prefetch(prefix)).toBeGreaterThan(10);
  const rdb = reader.open(prefix, { readonly: true });
  rdb.pragma('locking_mode = EXCLUSIVE');
  reader.resetStats();
  expect(rdb.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2000);
  expect(rdb.pragma('integrity_check', { simple: true })).toBe('ok');
  const s = reader.stats();
  expect(s.get + s.list).toBeLessThanOrEqual(3); // the open's listings of the journal and WAL names
  rdb.close();
});

test('a sequential scan reads ahead: far fewer round trips than blocks', async () => {
  const prefix = blobDatabase('ahead', 4096, 4000);
  const reader = makeVfs();
  const rdb = reader.open(prefix, { readonly: true });
  expect(rdb.prepare('SELECT count(*), sum(length(v)) FROM t').get()).toEqual({ 'count(*)': 4000, 'sum(length(v))': 2000000 });
  const s = reader.stats();
  // Every block is fetched once, most of them before SQLite asks for them: the GETs
  // started on demand (cache misses) are a small fraction of all GETs, and the main
  // thread fetched runs of blocks, not one block per crossing (about 100 crossings for 505
  // GETs on a quiet machine, 258 seen under CI's load; one block per crossing would be 500+).
  expect(s.get).toBeGreaterThan(400);
  expect(s.cacheMisses * 4).toBeLessThan(s.get);
  expect(s.bridgeCrossings * 1.5).toBeLessThan(s.get);
  rdb.close();
});

test('file size and existence checks cost no LIST after open', async () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('nolist');
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t(v) SELECT randomblob(200) FROM ${series(2000)}`);
  const get = db.prepare('SELECT length(v) FROM t WHERE id = ?').pluck();
  get.get(1);
  const before = vfs.stats().list;
  for (let i = 0; i < 300; i++) expect(get.get(1 + ((i * 7) % 2000))).toBe(200);
  db.exec("INSERT INTO t(v) VALUES (randomblob(10))");
  expect(vfs.stats().list).toBe(before);
  db.close();
});

test('maxStalenessMs lets read transactions skip the check for other writers', () => {
  const prefix = uniquePrefix('stale');
  const writer = makeVfs();
  const w = writer.open(prefix);
  w.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const reader = makeVfs({ maxStalenessMs: 60000 });
  const r = reader.open(prefix);
  const count = r.prepare('SELECT count(*) FROM t').pluck();
  expect(count.get()).toBe(1);
  reader.resetStats();
  for (let i = 0; i < 50; i++) count.get();
  expect(reader.stats().get).toBe(0);
  // Within the window, another writer's commit is not seen; a fresh VFS sees it.
  w.exec('INSERT INTO t VALUES (2)');
  expect(count.get()).toBe(1);
  const fresh = makeVfs().open(prefix);
  expect(fresh.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
  fresh.close();
  r.close();
  w.close();
});

test('a write transaction crosses to the worker in a few batches, not once per page', () => {
  const vfs = makeVfs({ blockSize: 65536 });
  const db = vfs.open(uniquePrefix('batches'));
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  vfs.resetStats();
  const insert = db.prepare('INSERT INTO t(v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 5000; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
  })();
  const pages = Number(db.pragma('page_count', { simple: true }));
  const s = vfs.stats();
  expect(pages).toBeGreaterThan(250);
  expect(s.bridgeCrossings).toBeLessThan(pages / 10);
  // ... and each changed block is uploaded once (plus the journal's blocks).
  expect(s.put).toBeLessThan(pages / 16 + 10);
  db.close();
});
