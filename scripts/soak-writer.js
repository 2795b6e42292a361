// The writer process of the crash soak (scripts/soak.js): runs a scenario's transactions
// one by one and, after each COMMIT returns, prints "ACK <k> <hash of the table>". The
// values are computed, not random, so every run of a scenario makes the same states.
// argv: JSON { bucket, s3, prefix, scenario }
const { S3VFS } = require('..');
const { hashOf } = require('./soak-hash');

const { bucket, s3, prefix, scenario } = JSON.parse(process.argv[2]);
const { layout, journalMode, synchronous, blockSize, cacheSize, pageCache, steps } = scenario;

/** The SQL of one step: a deterministic change of the table t(id, v). */
function sqlOf(step, k) {
  const text = (len) => `substr(printf('%d.${k}.', id) || replace(hex(zeroblob(${len})), '0', char(65 + (id * 7 + ${k}) % 26)), 1, ${len})`;
  switch (step.kind) {
    case 'insert':
      return `INSERT INTO t(v) SELECT ${text(step.len).replace(/id/g, 'value')} FROM (WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${step.rows}) SELECT value FROM s)`;
    case 'update':
      return `UPDATE t SET v = ${text(step.len)} WHERE id % ${step.mod} = ${step.rem}`;
    case 'delete':
      return `DELETE FROM t WHERE id % ${step.mod} = ${step.rem}`;
    case 'vacuum':
      return 'VACUUM';
    default:
      throw new Error(`unknown step ${step.kind}`);
  }
}

const vfs = new S3VFS({ bucket, s3, blockSize, cacheSize, layout, leaseTtlMs: 400 });
const db = vfs.open(prefix, { timeout: 5000 });
db.pragma(`journal_mode = ${journalMode}`);
db.pragma(`synchronous = ${synchronous}`);
db.pragma(`cache_size = ${pageCache}`);
db.pragma(`cache_spill = ${pageCache}`);
steps.forEach((step, i) => {
  const sql = sqlOf(step, i + 1);
  if (step.kind === 'vacuum') db.exec(sql);
  else db.exec(`BEGIN; ${sql}; UPDATE meta SET step = ${i + 1}; COMMIT`); // every state differs
  process.stdout.write(`ACK ${i + 1} ${hashOf(db)}\n`);
});
db.close();
vfs.close().then(() => process.exit(0));
