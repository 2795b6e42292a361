// A process that opens and drops many connections and statements, through the VFS and
// plain, and lets V8 collect them from its own tasks (between turns of the event loop,
// outside any JavaScript call) and at exit. better-sqlite3 12 on Node 24.19 and later
// aborts such a process ("Assertion failed: (env) != nullptr"); it must print DONE and
// exit 0. argv: config JSON { bucket, s3, prefix }
const BetterSqlite3 = require('better-sqlite3');
const { S3VFS } = require('../..');

const { bucket, s3, prefix } = JSON.parse(process.argv[2]);

async function main() {
  const vfs = new S3VFS({ bucket, s3, diskCacheSize: 0 });
  const db = vfs.open(prefix);
  db.exec('CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1), (2), (3)');
  db.close();
  for (let round = 0; round < 12; round++) {
    const reader = vfs.open(prefix, { readonly: true });
    for (let k = 0; k < 40; k++) reader.prepare('SELECT count(*) FROM t WHERE x > ?').pluck().get(k % 3);
    reader.close();
    for (let i = 0; i < 5; i++) {
      const plain = new BetterSqlite3(':memory:');
      for (let k = 0; k < 40; k++) plain.prepare('SELECT ?').get(k);
      if (i % 2) plain.close(); // the others are left to the garbage collector
    }
    let junk = [];
    for (let j = 0; j < 20000; j++) junk.push({ j, s: `x${j}` });
    junk = null;
    await new Promise((r) => setTimeout(r, 2));
  }
  await vfs.close();
  process.stdout.write('DONE\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
