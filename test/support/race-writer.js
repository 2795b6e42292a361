// A writer process for the concurrency tests: in rounds, opens the database, runs a few
// transactions that each add a row and bump a counter, and closes it (which releases the
// lease). Prints one JSON line: the transactions that reported success, and the busy ones.
// argv: config JSON
const { S3VFS } = require('../..');

const { bucket, s3, prefix, writer, transactions, perOpen } = JSON.parse(process.argv[2]);
const vfs = new S3VFS({ bucket, s3, leaseTtlMs: 5000, diskCacheSize: 0 });
const committed = [];
let busy = 0;
let busyMessage = '';
let n = 0;
while (n < transactions) {
  const db = vfs.open(prefix, { timeout: 0 });
  try {
    for (let k = 0; k < perOpen && n < transactions; k++, n++) {
      try {
        db.transaction(() => {
          db.prepare('INSERT INTO log(writer, n) VALUES (?, ?)').run(writer, n);
          db.prepare('UPDATE counter SET total = total + 1').run();
        })();
        committed.push(n);
      } catch (err) {
        if (err.code !== 'SQLITE_BUSY') throw err;
        busy++;
        busyMessage = err.message;
      }
    }
  } finally {
    db.close();
  }
}
process.stdout.write(`${JSON.stringify({ writer, committed, busy, busyMessage })}\n`);
vfs.close().then(() => process.exit(0));
