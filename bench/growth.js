// (q) Growth: how each workload's time, requests and bytes grow with the database (the shop
// database at about 35 MB, 140 MB and 1 GB) and with cacheSize (the default 64 MiB, and
// 512 MiB). Each database is new to the bucket and to this machine's disk cache; each step
// says what it starts from. Local better-sqlite3 runs the same steps on a copy of the file.
// npm run bench -- --only growth --latency 0 [GROWTH_SCALES=0.25,1 in the environment: those only].
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { S3VFS } = require('..');
const { bulkUpdateSql, sizes } = require('./shop');
const { shopFile, upload } = require('./shop-workloads');
const { timeIt } = require('./timing');

const MiB = 1 << 20;
/** Shop scales and the cache sizes each runs with (a cache larger than the database adds nothing). */
const RUNS = [
  { scale: 0.25, caches: [64 * MiB] },
  { scale: 1, caches: [64 * MiB, 512 * MiB] },
  { scale: 7, caches: [64 * MiB, 512 * MiB] },
].filter((r) => !process.env.GROWTH_SCALES || process.env.GROWTH_SCALES.split(',').map(Number).includes(r.scale));
const LOOKUPS = 500;
const COMMITS = 20;

const SCAN = 'SELECT count(*) AS n, round(sum(qty * price), 2) AS revenue FROM order_items';

function lookups(db, scale) {
  const customers = sizes(scale).customers;
  const q = db.prepare(`SELECT o.id, sum(i.qty) AS qty FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE o.customer_id = ? GROUP BY o.id`);
  let lines = 0;
  for (let k = 1; k <= LOOKUPS; k++) lines += q.all(1 + ((k * 7919) % customers)).length;
  return lines;
}

function commits(db) {
  const bump = db.prepare('UPDATE products SET price = price + 1 WHERE id = ?');
  for (let k = 1; k <= COMMITS; k++) bump.run(k);
  return db.prepare('SELECT round(sum(price), 2) FROM products').pluck().get();
}

/**
 * The steps, in order. `on` says which connection each runs on: a new VFS with an empty disk
 * cache ('cold'), a new VFS on the disk cache the last cold step filled ('disk'), or the
 * connection of the step before ('same').
 */
function steps(scale) {
  return [
    { title: 'full scan with an aggregate, cold', on: 'cold', run: (db) => db.prepare(SCAN).get() },
    { title: `${LOOKUPS} indexed lookups that join, cold`, on: 'cold', run: (db) => lookups(db, scale) },
    { title: `${LOOKUPS} lookups, maxStalenessMs 1000, new VFS, disk cache warm`, on: 'disk', options: { maxStalenessMs: 1000 }, readonly: true, run: (db) => lookups(db, scale) },
    { title: `${LOOKUPS} lookups, maxStalenessMs 1000, that VFS again`, on: 'same', run: (db) => lookups(db, scale) },
    { title: 'bulk UPDATE, cold', on: 'cold', run: (db) => db.prepare(bulkUpdateSql(scale)).run().changes },
    { title: `${COMMITS} one-row commits`, on: 'same', run: commits },
  ];
}

async function growth({ latency, bucket, s3, dir, record }) {
  for (const { scale, caches } of RUNS) {
    const file = shopFile(dir, scale);
    const label = `shop ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`;
    const local = localRun(dir, file, scale, latency);
    for (const cacheSize of caches) {
      const prefix = `bench-${Date.now()}-${latency}/growth-${scale}-${cacheSize}.sqlite`;
      await upload(bucket, s3, prefix, file);
      let filled; // the disk cache of the last cold step
      const open = [];
      const connect = (step) => {
        if (step.on === 'cold') filled = fs.mkdtempSync(path.join(dir, 'disk-'));
        const cacheDir = filled;
        const vfs = new S3VFS({ bucket, s3, cacheSize, cacheDir, ...step.options });
        const c = { vfs, db: vfs.open(prefix, { readonly: !!step.readonly }) };
        open.push(c);
        return c;
      };
      try {
        let prev;
        for (const [k, step] of steps(scale).entries()) {
          const c = step.on === 'same' ? prev : connect(step);
          c.vfs.resetStats();
          const remote = timeIt(() => step.run(c.db));
          const stats = c.vfs.stats();
          if (JSON.stringify(remote.out) !== JSON.stringify(local[k].out)) throw new Error(`(q) ${step.title}: ${JSON.stringify(remote.out)}, local ${JSON.stringify(local[k].out)}`);
          record(latency, `(q) ${label}, cacheSize ${cacheSize / MiB} MiB: ${step.title}`, remote.ms, local[k].ms, stats, '');
          prev = c;
        }
      } finally {
        for (const c of open) {
          c.db.close();
          await c.vfs.close();
        }
      }
    }
  }
}

/** The steps on a local copy: a new connection where the S3 side opens a new VFS. */
function localRun(dir, file, scale, latency) {
  const copy = path.join(dir, `local-growth-${scale}-${latency}.db`);
  fs.copyFileSync(file, copy);
  const out = [];
  let db;
  try {
    for (const step of steps(scale)) {
      if (step.on !== 'same') {
        db?.close();
        db = new BetterSqlite3(copy);
      }
      out.push(timeIt(() => step.run(db)));
    }
  } finally {
    db?.close();
    fs.rmSync(copy);
  }
  return out;
}

module.exports = { growth };
