// Writes and exits without closing anything: the process must end by itself, and what
// was committed must be in the bucket. With mode 'await', it awaits worker calls at top
// level, which must keep the process alive until they finish.
const { S3VFS } = require('../..');
const { bucket, s3, prefix, mode } = JSON.parse(process.argv[2]);
const vfs = new S3VFS({ bucket, s3, diskCacheSize: 0 });
const db = vfs.open(prefix);
db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('committed before exit')");
process.stdout.write('WROTE\n');
if (mode === 'await') {
  db.close();
  (async () => {
    const chunks = [];
    for await (const c of vfs.serialize(prefix)) chunks.push(c);
    await vfs.deserialize(`${prefix}-copy`, chunks);
    await vfs.close();
    process.stdout.write('DONE\n');
  })();
}
