// Runs in a worker_threads Worker: uses sqlite-s3vfs from a second JavaScript thread.
const { workerData, parentPort } = require('node:worker_threads');
const { S3VFS, Database } = require('../..');

(async () => {
  const { mode, bucket, s3, prefix, foreignName } = workerData;
  if (mode === 'foreign') {
    try {
      new Database(prefix, { vfs: foreignName });
      parentPort.postMessage({ ok: true });
    } catch (e) {
      parentPort.postMessage({ error: e.message });
    }
    return;
  }
  const vfs = new S3VFS({ bucket, s3, diskCacheSize: 0 });
  const db = vfs.open(prefix);
  db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('from a worker thread')");
  const v = db.prepare('SELECT v FROM t').pluck().get();
  await vfs.close();
  parentPort.postMessage({ ok: true, v });
})().catch((e) => parentPort.postMessage({ error: e.stack }));
