// (p) One-row commits on databases whose manifests list 35 MB, 1 GiB, 10 GiB and 100 GiB of
// blocks: what a commit uploads as the database grows (issue 11: no more than 64 KiB on a
// 10 GB database). Only the 35 MB shop database is real. The larger ones are that database
// with its header's page count raised and its manifest extended by entries for blocks that
// no query reads (their objects do not exist): SQLite, the VFS and the manifest work as on a
// database of that size, while the bucket holds 35 MB.
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const BetterSqlite3 = require('better-sqlite3');
const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const { S3VFS } = require('..');
const { parseManifest, newBlockKey, blockCrc32, encodeManifest } = require('../dist/store/versioned/manifest');
const { storeManifest } = require('../dist/store/versioned/manifest-map');
const { shopFile, upload } = require('./shop-workloads');
const { timeIt } = require('./timing');

const COMMITS = 20;
const SCALE = 0.25; // the 35 MB shop database
const SIZES = [null, 2 ** 30, 10 * 2 ** 30, 100 * 2 ** 30];

function commits(db) {
  const bump = db.prepare('UPDATE products SET price = price + 1 WHERE id = ?');
  for (let k = 1; k <= COMMITS; k++) bump.run(k);
  return db.prepare('SELECT round(sum(price), 2) FROM products').pluck().get();
}

/** Makes the database at `prefix` look `size` bytes large; returns its manifest's stored sizes. */
async function inflate(client, bucket, prefix, size) {
  const get = async (key) => Buffer.concat(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.toArray());
  const put = (key, body) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const m = parseManifest('manifest.json', await get(`${prefix}/manifest.json`));
  const commit = m.commit + 1;
  const block0 = await get(`${prefix}/${m.blocks[0].key}`);
  block0.writeUInt32BE(size / m.pageSize, 28); // the header's page count
  const key0 = newBlockKey(0, commit);
  await put(`${prefix}/${key0}`, block0);
  const count = Math.ceil(size / m.blockSize);
  const blocks = Array.from({ length: count }, (_, i) =>
    i === 0 ? { key: key0, crc32: blockCrc32(block0) } : (m.blocks[i] ?? { key: newBlockKey(i, commit), crc32: '00000000' }));
  const next = { ...m, size, commit, blocks, id: randomBytes(8).toString('hex') };
  const stored = storeManifest(next, null);
  for (const p of stored.pages) await put(`${prefix}/${p.key}`, p.body);
  await put(`${prefix}/manifest.json`, stored.root);
  return { pages: stored.pages.length, inline: encodeManifest(next).length };
}

async function manifestScale({ latency, bucket, s3, dir, record }) {
  const file = shopFile(dir, SCALE);
  const localCopy = path.join(dir, `local-manifest-${latency}.db`);
  fs.copyFileSync(file, localCopy);
  const ldb = new BetterSqlite3(localCopy);
  const local = timeIt(() => commits(ldb));
  ldb.close();
  fs.rmSync(localCopy);
  const client = new S3Client({ ...s3, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    for (const size of SIZES) {
      const prefix = `bench-${Date.now()}-${latency}/manifest-${size ?? 'real'}.sqlite`;
      await upload(bucket, s3, prefix, file);
      const shape = size ? await inflate(client, bucket, prefix, size) : null;
      const vfs = new S3VFS({ bucket, s3, cacheDir: fs.mkdtempSync(path.join(dir, 'disk-')) });
      try {
        const db = vfs.open(prefix);
        db.prepare('SELECT price FROM products WHERE id = 1').get(); // the pages the commits change are read
        vfs.resetStats();
        const remote = timeIt(() => commits(db));
        const stats = vfs.stats();
        if (remote.out !== local.out) throw new Error(`(p): ${remote.out}, local ${local.out}`);
        db.close();
        const label = size ? `${size / 2 ** 30} GiB (synthetic)` : `${(fs.statSync(file).size / 1e6).toFixed(0)} MB`;
        const note = `${(stats.bytesUp / COMMITS / 1024).toFixed(1)} KiB up per commit` +
          (shape ? `; ${shape.pages} map pages; the whole list of blocks, which each commit uploaded before map pages: ${(shape.inline / 1024).toFixed(0)} KiB` : '');
        record(latency, `(p) ${COMMITS} one-row commits, database of ${label}`, remote.ms, local.ms, stats, note);
      } finally {
        await vfs.close();
      }
    }
  } finally {
    client.destroy();
  }
}

module.exports = { manifestScale };
