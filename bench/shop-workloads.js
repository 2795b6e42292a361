// The benchmark's realistic workloads, on the shop database of bench/shop.js: each runs on
// sqlite-s3vfs with default options (the 64 MiB cache included) in a new process-like VFS,
// and on better-sqlite3 with a local copy of the same file, side by side.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { S3VFS } = require('..');
const { buildShop, bulkUpdateSql, sizes } = require('./shop');
const { timeIt } = require('./timing');

const built = new Map();

/** The shop database at a scale, built once per benchmark run. */
function shopFile(dir, scale) {
  if (!built.has(scale)) {
    const file = path.join(dir, `shop-${scale}.db`);
    const db = new BetterSqlite3(file);
    buildShop(db, scale);
    db.close();
    built.set(scale, file);
  }
  return built.get(scale);
}

/** What a page written cost on its way to the worker. */
function perPage(stats) {
  if (!stats.pagesWritten) return '';
  const pages = stats.pagesWritten;
  return `per page written: ${(stats.bridgeCrossings / pages).toFixed(4)} crossings, ${Math.round(stats.bridgeBytes / pages)} bridge bytes`;
}

/** Copies the file under prefix, with a VFS of its own (not timed). */
async function upload(bucket, s3, prefix, file, layout = undefined) {
  const vfs = new S3VFS({ bucket, s3, diskCacheSize: 0, layout });
  try {
    await vfs.deserialize(prefix, fs.createReadStream(file, { highWaterMark: 1 << 20 }));
  } finally {
    await vfs.close();
  }
}

/** Orders appended by (m), in transactions of this many. */
const APPEND_TXN = 50_000;

/**
 * The everyday work on the shop database, in order, each step timed on its own: what a
 * script does after opening a database it has not read before (the first step is cold,
 * the later ones find what earlier steps cached). Each returns a result that the S3 run
 * must reproduce exactly.
 */
function everydaySteps(scale) {
  const n = sizes(scale);
  const appended = Math.round(200_000 * scale);
  const lookups = (db) => {
    const q = db.prepare(`SELECT o.id, sum(i.qty) AS qty FROM orders o JOIN order_items i ON i.order_id = o.id
      WHERE o.customer_id = ? GROUP BY o.id`);
    let lines = 0;
    for (let k = 1; k <= 500; k++) lines += q.all(1 + ((k * 7919) % n.customers)).length;
    return lines;
  };
  return [
    {
      title: '(i) 3-table join with GROUP BY, cold',
      run: (db) => db.prepare(`SELECT c.country, count(*) AS lines, round(sum(i.qty * i.price), 2) AS revenue
        FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_items i ON i.order_id = o.id
        GROUP BY c.country ORDER BY c.country`).all(),
    },
    { title: '(j) 500 indexed lookups that join', run: lookups },
    // The same autocommit statements by a reader that accepts data a second old: a new VFS on
    // the same machine (its disk cache warm), whose worker refreshes the manifest in the background.
    { title: '(j) 500 indexed lookups that join, maxStalenessMs 1000, new VFS', run: lookups, options: { maxStalenessMs: 1000 } },
    // The same reader once more: what a long-running reader pays per statement.
    { title: '(j) 500 indexed lookups that join, maxStalenessMs 1000, that VFS again', run: lookups, again: true },
    {
      title: '(k) CREATE INDEX on order_items',
      run: (db) => {
        db.exec('CREATE INDEX items_qty ON order_items(qty, price)');
        return null;
      },
    },
    {
      title: '(l) bulk DELETE of returned orders and their items',
      run: (db) =>
        db.transaction(() => {
          const items = db.prepare("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE status = 'returned')").run().changes;
          return items + db.prepare("DELETE FROM orders WHERE status = 'returned'").run().changes;
        })(),
    },
    {
      title: `(m) append ${appended} orders in transactions of ${APPEND_TXN}`,
      run: (db) => {
        const first = db.prepare('SELECT max(id) FROM orders').pluck().get() + 1;
        const order = db.prepare("INSERT INTO orders VALUES (?, ?, ?, 'new', 0, NULL)");
        const item = db.prepare('INSERT OR IGNORE INTO order_items VALUES (?, ?, ?, 9.99)');
        for (let from = first; from < first + appended; from += APPEND_TXN) {
          db.transaction(() => {
            for (let id = from; id < Math.min(from + APPEND_TXN, first + appended); id++) {
              order.run(id, 1 + ((id * 7919) % n.customers), 1800000000 + id);
              for (let k = 0; k < 3; k++) item.run(id, 1 + ((id * 31 + k * 977) % n.products), 1 + k);
            }
          })();
        }
        return db.prepare('SELECT count(*) FROM order_items').pluck().get();
      },
    },
    {
      title: '(n) 20 one-row commits',
      run: (db) => {
        const bump = db.prepare('UPDATE products SET price = price + 1 WHERE id = ?');
        for (let k = 1; k <= 20; k++) bump.run(k);
        return db.prepare('SELECT round(sum(price), 2) FROM products').pluck().get();
      },
    },
  ];
}

/** (i)-(n) on a local copy, then on S3 with default options in a new VFS, side by side. */
async function everydayWork({ latency, bucket, s3, dir, scale, label, file, record }) {
  const steps = everydaySteps(scale);
  const localCopy = path.join(dir, `local-shop-everyday-${scale}-${latency}.db`);
  fs.copyFileSync(file, localCopy);
  const ldb = new BetterSqlite3(localCopy);
  const local = steps.map((step) => timeIt(() => step.run(ldb)));
  ldb.close();
  fs.rmSync(localCopy);

  const prefix = `bench-${Date.now()}-${latency}/shop-everyday-${scale}.sqlite`;
  await upload(bucket, s3, prefix, file);
  const cacheDir = fs.mkdtempSync(path.join(dir, 'disk-'));
  const vfs = new S3VFS({ bucket, s3, cacheDir });
  const others = [];
  try {
    const db = vfs.open(prefix);
    steps.forEach((step, k) => {
      let on = { vfs, db };
      if (step.options) {
        const other = new S3VFS({ bucket, s3, cacheDir, ...step.options });
        on = { vfs: other, db: other.open(prefix, { readonly: true }) };
        others.push(on);
      } else if (step.again) {
        on = others[others.length - 1];
      }
      on.vfs.resetStats();
      const remote = timeIt(() => step.run(on.db));
      const stats = on.vfs.stats();
      if (JSON.stringify(remote.out) !== JSON.stringify(local[k].out)) throw new Error(`${step.title}: ${JSON.stringify(remote.out)}, local ${JSON.stringify(local[k].out)}`);
      record(latency, `${step.title.replace(/^(\(\w\))/, `$1 ${label}:`)}`, remote.ms, local[k].ms, stats, stats.bytesSpilled ? `spilled ${(stats.bytesSpilled / 1e6).toFixed(1)}MB` : '');
    });
    if (db.pragma('integrity_check', { simple: true }) !== 'ok') throw new Error('integrity_check failed after the everyday work');
    db.close();
  } finally {
    await vfs.close();
    for (const other of others) {
      other.db.close();
      await other.vfs.close();
    }
  }
}

async function shopWorkloads({ latency, bucket, s3, dir, scales, record }) {
  for (const scale of scales) {
    const file = shopFile(dir, scale);
    const label = `shop ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`;
    await everydayWork({ latency, bucket, s3, dir, scale, label, file, record });

    // (h) a bulk UPDATE that moves index entries all over, on a database opened cold
    const sql = bulkUpdateSql(scale);
    const localCopy = path.join(dir, `local-shop-${scale}-${latency}.db`);
    fs.copyFileSync(file, localCopy);
    const ldb = new BetterSqlite3(localCopy);
    const local = timeIt(() => ldb.prepare(sql).run());
    ldb.close();
    fs.rmSync(localCopy);

    const prefix = `bench-${Date.now()}-${latency}/shop-${scale}.sqlite`;
    await upload(bucket, s3, prefix, file);
    // A disk cache of its own, empty: cold means cold.
    const vfs = new S3VFS({ bucket, s3, cacheDir: fs.mkdtempSync(path.join(dir, 'disk-')) });
    try {
      const db = vfs.open(prefix);
      const remote = timeIt(() => db.prepare(sql).run());
      if (remote.out.changes !== local.out.changes) throw new Error(`(h) changed ${remote.out.changes} rows, local ${local.out.changes}`);
      const stats = vfs.stats();
      record(latency, `(h) ${label}: bulk UPDATE of ${local.out.changes} rows, cold`, remote.ms, local.ms, stats, perPage(stats));
      db.close();
    } finally {
      await vfs.close();
    }
    await seedAppend({ latency, bucket, s3, dir, scale, label, file, record });
  }
}

/**
 * (o) the append of (m), on a fresh copy in the seed layout (the Python library's): blocks
 * overwritten in place and a rollback journal in the bucket, whose order of uploads keeps
 * a crash safe while SQLite's cache spills pages between journal records.
 */
async function seedAppend({ latency, bucket, s3, dir, scale, label, file, record }) {
  const step = everydaySteps(scale).find((s) => s.title.startsWith('(m)'));
  const localCopy = path.join(dir, `local-shop-seed-${scale}-${latency}.db`);
  fs.copyFileSync(file, localCopy);
  const ldb = new BetterSqlite3(localCopy);
  const local = timeIt(() => step.run(ldb));
  ldb.close();
  fs.rmSync(localCopy);

  const prefix = `bench-${Date.now()}-${latency}/shop-seed-${scale}.sqlite`;
  await upload(bucket, s3, prefix, file, 'compat');
  const vfs = new S3VFS({ bucket, s3, layout: 'compat', cacheDir: fs.mkdtempSync(path.join(dir, 'disk-')) });
  try {
    const db = vfs.open(prefix);
    const remote = timeIt(() => step.run(db));
    if (remote.out !== local.out) throw new Error(`(o) ${remote.out} order lines, local ${local.out}`);
    const stats = vfs.stats();
    if (db.pragma('integrity_check', { simple: true }) !== 'ok') throw new Error('integrity_check failed after (o)');
    record(latency, `(o) ${label}: ${step.title.replace(/^\(m\) /, '')}, seed layout`, remote.ms, local.ms, stats, stats.bytesSpilled ? `spilled ${(stats.bytesSpilled / 1e6).toFixed(1)}MB` : '');
    db.close();
  } finally {
    await vfs.close();
  }
}

module.exports = { shopWorkloads, shopFile, everydayWork, upload };
