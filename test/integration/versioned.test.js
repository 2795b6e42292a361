// The versioned layout on any S3 server: what a commit writes and costs. (Its kill points
// are in conformance/crash.test.js, beside the seed layout's.)
const { makeVfs, closeAll, uniquePrefix, series, rawClient, listObjects, getObject, collect } = require('../support/helpers');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

const versioned = (options = {}) => makeVfs({ layout: 'versioned', ...options });

test('a new database is a manifest and immutable blocks; a commit is two sequential steps, no LIST', async () => {
  const vfs = versioned({ blockSize: 65536 });
  const prefix = uniquePrefix('v-layout');
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(200)) FROM ${series(500)}`);
  expect(vfs.stats().list).toBe(0); // even creating it: a HEAD shows no seed-layout database is there
  const manifest = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  expect(manifest).toMatchObject({ format: 'sqlite-s3vfs/versioned', version: 2, blockSize: 65536, pageSize: 4096 });
  expect(manifest.blocks).toHaveLength(Math.ceil(manifest.size / 65536));
  manifest.blocks.forEach((b, i) => {
    expect(b.key).toMatch(new RegExp(`^v/${String(i).padStart(10, '0')}\\.\\d+\\.[0-9a-f]{12}$`));
    expect(b.size).toBe(Math.min(65536, manifest.size - i * 65536));
    expect(b.crc32).toMatch(/^[0-9a-f]{8}$/);
  });
  // No journal and no seed-layout block in the bucket.
  const keys = (await listObjects(client, `${prefix}`)).map((o) => o.key.slice(prefix.length));
  expect(keys.filter((k) => !k.startsWith('/v/')).sort()).toEqual(['/lease.json', '/manifest.json']);

  // A small commit: one patch object with the changed pages, then the manifest; no block
  // object is written or touched.
  vfs.resetStats();
  db.prepare('UPDATE t SET v = ? WHERE id = 250').run('changed');
  const s = vfs.stats();
  expect(s.list).toBe(0);
  expect(s.delete).toBe(0);
  expect(s.get).toBe(0); // the lease holder's manifest is current: no revalidation
  expect(s.put).toBe(2); // the patch object and the manifest
  const after = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  expect(after).toMatchObject({ version: 3, commit: manifest.commit + 1 });
  expect(after.blocks.map((b) => b.key)).toEqual(manifest.blocks.map((b) => b.key));
  const patched = after.blocks.filter((b) => b.patches);
  expect(patched.length).toBeGreaterThanOrEqual(1); // the row's page and the header's
  const patchKeys = new Set(patched.flatMap((b) => b.patches.map((p) => p.key)));
  expect([...patchKeys]).toEqual([expect.stringMatching(/^v\/patch\.\d+\.[0-9a-f]{12}$/)]);
  // The pages it changed (4 KiB each) and the manifest, not a 64 KiB block per block.
  expect(s.bytesUp).toBeLessThan(patched.length * 4096 + 2 * Buffer.byteLength(JSON.stringify(after)));
  db.close();

  // Opening it again reads the manifest: one GET, no LIST.
  const reader = versioned();
  const r = reader.open(prefix);
  expect(r.prepare('SELECT v FROM t WHERE id = 250').pluck().get()).toBe('changed');
  expect(reader.stats().list).toBe(0);
  expect(r.pragma('integrity_check', { simple: true })).toBe('ok');
  r.close();
});

test('a database of more blocks than a manifest lists inline keeps them in map pages; a small commit PUTs its blocks and the root alone', async () => {
  const vfs = versioned({ blockSize: 4096 });
  const prefix = uniquePrefix('v-map');
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(500)) FROM ${series(2500)}`);
  const manifest = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  expect(manifest.blocks).toBeUndefined();
  expect(manifest.map.reduce((n, p) => n + p.count, 0)).toBe(Math.ceil(manifest.size / 4096));
  expect(manifest.map.length).toBeGreaterThanOrEqual(2);

  const mapPages = async () => (await listObjects(client, `${prefix}/v/map.`)).map((o) => o.key);
  const pagesBefore = await mapPages();
  vfs.resetStats();
  db.prepare('UPDATE t SET v = ? WHERE id = 1234').run('changed');
  const s = vfs.stats();
  // Its two pages (each a whole 4 KiB block here) and the root: no map page.
  expect(s.put).toBe(3);
  expect(await mapPages()).toEqual(pagesBefore);
  const root = (await getObject(client, `${prefix}/manifest.json`)).toString();
  expect(JSON.parse(root).map).toEqual(manifest.map);
  expect(JSON.parse(root).changed.length).toBeGreaterThanOrEqual(1);
  expect(root.length).toBeLessThan(4096);
  db.close();

  const reader = versioned({ diskCacheSize: 0 });
  const r = reader.open(prefix);
  expect(r.prepare('SELECT v FROM t WHERE id = 1234').pluck().get()).toBe('changed');
  expect(r.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(r.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2500);
  r.close();
  const gc = await reader.gc(prefix, { olderThan: 0 });
  expect(gc.referenced).toBeGreaterThan(Math.ceil(manifest.size / 4096));
  const again = versioned({ diskCacheSize: 0 }).open(prefix);
  expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
  again.close();
});

test('serialize and deserialize work on versioned databases; deserialize replaces one atomically', async () => {
  const vfs = versioned({ blockSize: 8192 });
  const a = uniquePrefix('v-ser-a');
  const b = uniquePrefix('v-ser-b');
  const db = vfs.open(a);
  db.exec(`CREATE TABLE t(v); INSERT INTO t SELECT value FROM ${series(3000)}`);
  db.close();
  const bytes = await collect(vfs.serialize(a));
  await vfs.deserialize(b, [bytes]);
  expect((await getObject(client, `${b}/manifest.json`)).toString()).toContain('"commit":1');
  const copy = vfs.open(b);
  expect(copy.prepare('SELECT sum(v) FROM t').pluck().get()).toBe((3000 * 3001) / 2);
  copy.exec('DELETE FROM t WHERE v > 10');
  copy.close();
  // Over an existing versioned database: the manifest moves to the new content in one PUT.
  await vfs.deserialize(b, [bytes]);
  const again = vfs.open(b);
  expect(again.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3000);
  again.close();
  expect((await collect(vfs.serialize(b))).equals(bytes)).toBe(true);
});

test('a seed-layout database stays in the seed layout; layout: compat makes new ones so', async () => {
  const prefix = uniquePrefix('v-compat');
  const compat = makeVfs({ layout: 'compat', blockSize: 4096 });
  const db = compat.open(prefix);
  db.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  db.close();
  const vfs = versioned();
  const again = vfs.open(prefix);
  again.exec('INSERT INTO t VALUES (2)');
  again.close();
  const keys = (await listObjects(client, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1));
  expect(keys).toContain('0000000000');
  expect(keys).not.toContain('manifest.json');
  expect(() => makeVfs({ layout: 'other' })).toThrow(/layout must be 'versioned' or 'compat'/);
});

