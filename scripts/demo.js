// npm run demo: the main job end to end. Loads ~100,000 rows into a database in S3,
// queries it, and prints the S3 requests each step made. Uses an embedded s3rver on
// loopback unless S3VFS_ENDPOINT / S3VFS_BUCKET name a real one.
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { startLocalS3 } = require('./local-s3');
const { S3VFS } = require('..');

const ROWS = 100_000;
const BATCH = 10_000;

function report(step, ms, vfs) {
  const s = vfs.stats();
  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(
    `${step.padEnd(34)} ${String(Math.round(ms)).padStart(6)} ms   GET ${s.get}  PUT ${s.put}  LIST ${s.list}  DELETE ${s.delete}` +
      `   down ${mb(s.bytesDown)} MB  up ${mb(s.bytesUp)} MB   bridge ${s.bridgeCrossings}`,
  );
  vfs.resetStats();
}

function time(fn) {
  const t = performance.now();
  const out = fn();
  return [performance.now() - t, out];
}

async function main() {
  const server = await startLocalS3({ buckets: ['s3vfs-demo'] });
  console.log(server.external ? `S3 endpoint: ${server.s3.endpoint ?? 'AWS'}, bucket ${server.bucket}` : `embedded s3rver at ${server.s3.endpoint}, bucket ${server.bucket}`);
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3 });
  const prefix = `demo-${Date.now()}/orders.sqlite`;
  try {
    const db = vfs.open(prefix);
    db.exec('CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, amount REAL, note TEXT)');
    const insert = db.prepare('INSERT INTO orders(customer, amount, note) VALUES (?, ?, ?)');
    const load = db.transaction((from) => {
      for (let i = from; i < from + BATCH; i++) insert.run(`customer-${i % 997}`, (i * 7919) % 10000 / 100, `order number ${i} ${'x'.repeat(40)}`);
    });
    report('create table', 0, vfs);
    let [ms] = time(() => {
      for (let from = 0; from < ROWS; from += BATCH) load(from);
    });
    report(`insert ${ROWS} rows (${ROWS / BATCH} txns)`, ms, vfs);

    let rows;
    [ms, rows] = time(() => db.prepare('SELECT customer, count(*) AS n, round(sum(amount), 2) AS total FROM orders GROUP BY customer ORDER BY total DESC LIMIT 3').all());
    report('top customers (full scan)', ms, vfs);
    console.log('   ', rows);
    db.close();

    const reader = vfs.open(prefix, { readonly: true });
    const byId = reader.prepare('SELECT note FROM orders WHERE id = ?').pluck();
    [ms] = time(() => {
      for (let i = 0; i < 1000; i++) byId.get(1 + ((i * 104729) % ROWS));
    });
    report('1000 point lookups (new connection)', ms, vfs);
    // Each statement above is its own read transaction, and each asks S3 (one small
    // conditional GET) whether another writer committed. In one transaction, it asks once.
    [ms] = time(() => reader.transaction(() => {
      for (let i = 0; i < 1000; i++) byId.get(1 + ((i * 7919) % ROWS));
    })());
    report('1000 point lookups, one transaction', ms, vfs);
    [ms, rows] = time(() => reader.pragma('integrity_check', { simple: true }));
    report(`integrity_check: ${rows}`, ms, vfs);
    reader.close();

    let bytes = 0;
    const t = performance.now();
    for await (const chunk of vfs.serialize(prefix)) bytes += chunk.length;
    report(`serialize (${(bytes / 1e6).toFixed(1)} MB)`, performance.now() - t, vfs);
  } finally {
    await vfs.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
