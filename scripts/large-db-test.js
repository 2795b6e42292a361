// The seed's byte-lock-page test: a database larger than 1 GiB, 64 KiB pages in 64 KiB
// blocks. SQLite never writes the page at 1 GiB (its lock bytes), so the block that holds
// it is zero-filled as the Python sqlite-s3vfs does. Slow (it moves ~1.2 GB through the
// S3 server), so it is a script of its own: `npm run test:large`. Exits non-zero on failure.
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const assert = require('node:assert/strict');
const { S3Client, ListObjectsV2Command, GetObjectCommand } = require('@aws-sdk/client-s3');
const { startLocalS3 } = require('./local-s3');
const { S3VFS } = require('..');

const PAGE = 65536;
const LOCK_BYTE = 1073741824;

async function main() {
  const started = Date.now();
  const server = await startLocalS3({ buckets: ['s3vfs-large'] });
  // The seed layout: the test checks its objects one by one.
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3, blockSize: PAGE, layout: 'compat' });
  const prefix = `large-${Date.now()}/cool.db`;
  try {
    const db = vfs.open(prefix);
    db.pragma(`page_size = ${PAGE}`);
    db.exec('CREATE TABLE foo(content BLOB)');
    const insert = db.prepare('INSERT INTO foo VALUES (?)');
    const empty = Buffer.alloc(4050);
    db.transaction(() => {
      for (let i = 0; i < 300000; i++) insert.run(empty);
    })();
    assert.equal(db.prepare('SELECT length(content) FROM foo LIMIT 1').pluck().get(), 4050);
    const pages = db.pragma('page_count', { simple: true });
    const size = pages * PAGE;
    assert.ok(size > LOCK_BYTE + PAGE, `the database has ${size} bytes, not more than 1 GiB`);
    console.log(`wrote ${pages} pages (${(size / 2 ** 30).toFixed(2)} GiB) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    db.close();

    // The blocks: all full, none missing, the lock-page block present and all zeros.
    const client = new S3Client({ ...server.s3, requestChecksumCalculation: 'WHEN_REQUIRED' });
    let token;
    let count = 0;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
      for (const o of r.Contents ?? []) {
        assert.equal(o.Key, `${prefix}/${String(count).padStart(10, '0')}`);
        assert.equal(o.Size, PAGE, `${o.Key} has ${o.Size} bytes`);
        count++;
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    assert.equal(count, pages);
    const lock = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: `${prefix}/${String(LOCK_BYTE / PAGE).padStart(10, '0')}` }));
    const lockBytes = Buffer.from(await lock.Body.transformToByteArray());
    assert.equal(lockBytes.length, PAGE);
    assert.ok(lockBytes.every((b) => b === 0), 'the lock-page block is not all zeros');
    client.destroy();

    // A fresh connection reads it all back.
    const again = vfs.open(prefix, { readonly: true });
    assert.equal(again.prepare('SELECT max(rowid) FROM foo').pluck().get(), 300000);
    assert.equal(again.pragma('integrity_check', { simple: true }), 'ok');
    again.close();
    console.log('stats', JSON.stringify(vfs.stats()));
    console.log(`large database test passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await vfs.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error('large database test FAILED:', err);
  process.exit(1);
});
