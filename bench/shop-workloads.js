// The benchmark's realistic workloads, on the shop database of bench/shop.js: each runs on
// sqlite-s3vfs with default options (the 64 MiB cache included) in a new process-like VFS,
// and on better-sqlite3 with a local copy of the same file, side by side.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { S3VFS } = require('..');
const { buildShop, bulkUpdateSql } = require('./shop');
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
async function upload(bucket, s3, prefix, file) {
  const vfs = new S3VFS({ bucket, s3, diskCacheSize: 0 });
  try {
    await vfs.deserialize(prefix, fs.createReadStream(file, { highWaterMark: 1 << 20 }));
  } finally {
    await vfs.close();
  }
}

async function shopWorkloads({ latency, bucket, s3, dir, scales, record }) {
  for (const scale of scales) {
    const file = shopFile(dir, scale);
    const label = `shop ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`;

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
  }
}

module.exports = { shopWorkloads, shopFile };
