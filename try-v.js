const { startLocalS3 } = require('./scripts/local-s3');
const { S3VFS } = require('.');
(async () => {
  const server = await startLocalS3({ buckets: ['b'] });
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3 });
  const db = vfs.open('x/t.db');
  db.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1),(2)');
  console.log(db.prepare('select sum(a) s from t').get(), vfs.stats());
  vfs.resetStats();
  db.exec('INSERT INTO t VALUES (3)');
  console.log('one commit', vfs.stats());
  db.close();
  const v2 = new S3VFS({ bucket: server.bucket, s3: server.s3 });
  const d2 = v2.open('x/t.db');
  console.log(d2.prepare('select sum(a) s from t').get(), v2.stats());
  d2.close();
  await v2.close(); await vfs.close(); await server.stop();
})().catch((e) => { console.error('ERR', e); process.exit(1); });
