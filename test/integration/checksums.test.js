// A versioned manifest (version 2) records each block's size and CRC32, and each entry's
// key names its block index: a flipped byte, swapped objects or swapped entries are an
// error that names the key, never wrong rows. Version 1 manifests still read.
const { makeVfs, closeAll, uniquePrefix, series, rawClient, getObject, putObject } = require('../support/helpers');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

const BLOCK = 16384;

/** A versioned database of several blocks, and its manifest as stored. */
async function database() {
  const prefix = uniquePrefix('sums');
  const db = makeVfs({ layout: 'versioned', blockSize: BLOCK }).open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT printf('%08d', value) || hex(randomblob(60)) FROM ${series(2000)}`);
  const sum = db.prepare('SELECT sum(length(v)) FROM t').pluck().get();
  db.close();
  const manifest = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  return { prefix, manifest, sum };
}

/** Reads the whole table with a new VFS; the error, if any. */
function readAll(prefix) {
  const db = makeVfs().open(prefix, { readonly: true });
  try {
    return { rows: db.prepare('SELECT count(*) FROM t').pluck().get(), check: db.pragma('integrity_check', { simple: true }) };
  } catch (err) {
    return { error: err };
  } finally {
    db.close();
  }
}

test('a flipped byte in a block is found, and the error names the object', async () => {
  const { prefix, manifest } = await database();
  const key = `${prefix}/${manifest.blocks[2].key}`;
  const bytes = await getObject(client, key);
  bytes[100] ^= 0x01;
  await putObject(client, key, bytes);
  const { error } = readAll(prefix);
  expect(error?.code).toMatch(/^SQLITE_(IOERR|CORRUPT)/);
  expect(error.cause?.message).toContain(`${key}) is damaged: its CRC32 is`);
});

test('two block objects swapped are found', async () => {
  const { prefix, manifest } = await database();
  const [a, b] = [1, 3].map((i) => `${prefix}/${manifest.blocks[i].key}`);
  const [ba, bb] = [await getObject(client, a), await getObject(client, b)];
  await putObject(client, a, bb);
  await putObject(client, b, ba);
  expect(readAll(prefix).error?.cause?.message).toMatch(/is damaged: its CRC32 is/);
});

test('two manifest entries swapped are found by the block index in their keys', async () => {
  const { prefix, manifest } = await database();
  [manifest.blocks[1], manifest.blocks[3]] = [manifest.blocks[3], manifest.blocks[1]];
  await putObject(client, `${prefix}/manifest.json`, Buffer.from(JSON.stringify(manifest)));
  expect(readAll(prefix).error?.cause?.message).toMatch(/lists v\/0000000003\.\S+ as block 1, but that object holds block 3/);
});

test('a version 1 manifest (keys only) still reads, and the next commit writes version 2', async () => {
  const { prefix, manifest, sum } = await database();
  const v1 = { ...manifest, version: 1, blocks: manifest.blocks.map((b) => b.key) };
  await putObject(client, `${prefix}/manifest.json`, Buffer.from(JSON.stringify(v1)));
  const vfs = makeVfs();
  const db = vfs.open(prefix);
  expect(db.prepare('SELECT sum(length(v)) FROM t').pluck().get()).toBe(sum);
  db.exec("UPDATE t SET v = 'x' WHERE id = 1");
  db.close();
  const after = JSON.parse((await getObject(client, `${prefix}/manifest.json`)).toString());
  expect(after.version).toBe(2);
  expect(after.blocks[0]).toEqual({ key: expect.any(String), size: BLOCK, crc32: expect.stringMatching(/^[0-9a-f]{8}$/) });
  expect(readAll(prefix)).toEqual({ rows: 2000, check: 'ok' });
});
