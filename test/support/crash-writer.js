// A writer process for the crash tests: opens the database and commits one
// transaction that changes many pages (or, `small`, a few rows: a versioned commit of
// patches). The test kills it (SIGKILL) mid-commit.
// argv: config JSON
const { S3VFS } = require('../..');

const { bucket, s3, prefix, journalMode, synchronous, blockSize, layout, leaseTtlMs, cachePages, small } = JSON.parse(process.argv[2]);
const vfs = new S3VFS({ bucket, s3, blockSize, layout: layout ?? 'compat', leaseTtlMs, diskCacheSize: 0 });
const db = vfs.open(prefix);
db.pragma(`journal_mode = ${journalMode}`);
db.pragma(`synchronous = ${synchronous}`);
// A cache of a few pages spills them to the database mid-transaction, between journal records.
if (cachePages) db.pragma(`cache_size = ${cachePages}`);
if (cachePages) db.pragma(`cache_spill = ${cachePages}`);
db.exec('BEGIN');
if (small) {
  db.exec("UPDATE t SET v = 'changed' WHERE id IN (7, 400, 790)");
} else {
  db.exec("UPDATE t SET v = v || '+' WHERE id % 3 = 0");
  db.exec("INSERT INTO t(v) SELECT 'new ' || id || ' ' || substr(v, 1, 150) FROM t WHERE id <= 150");
}
db.exec('COMMIT');
process.stdout.write('COMMITTED\n');
vfs.close().then(() => process.exit(0));
