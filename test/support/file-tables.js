// The worker's file table on a given object store (usually the in-memory one), for unit
// tests of the layouts, with a byte-for-byte model of the file beside it.
const { FileTable } = require('../../dist/store/file-table');
const { BlockCache } = require('../../dist/store/block-cache');
const { ConditionalWritesProbe } = require('../../dist/store/conditional-probe');
const C = require('../../dist/sqlite-codes');

const DB = C.SQLITE_OPEN_MAIN_DB | 0x2 | C.SQLITE_OPEN_CREATE;

/** A file table in `layout` with blocks of `blockSize` bytes (and `disk`, a DiskCache, if
 *  given), whose files hold up to `maxDirtyBytes` of written blocks in memory. */
function fileTable(s3, layout, blockSize, disk = undefined, maxDirtyBytes = 1 << 20) {
  return new FileTable({
    s3,
    blockSize,
    cache: new BlockCache(1 << 20, s3.counters),
    concurrency: 4,
    maxDirtyBytes,
    maxStalenessMs: 0,
    rangeReadSize: 0,
    layout,
    leaseTtlMs: 30_000,
    disk,
    conditional: new ConditionalWritesProbe(s3, 'bucket'),
    news: () => undefined,
  }, 'bucket');
}

const versionedTable = (s3, blockSize, disk = undefined) => fileTable(s3, 'versioned', blockSize, disk);

/** One write transaction as SQLite makes it; each write goes to `model` too. */
async function transaction(files, id, model, writes) {
  await files.beginWrite(id);
  for (const [offset, bytes] of writes) {
    await files.write(id, offset, bytes);
    model.set(bytes, offset);
  }
  await files.sync(id);
  await files.endWrite(id);
}

/** The first `size` bytes of database 'db' as a new file table reads them. */
async function coldRead(s3, blockSize, size) {
  const files = versionedTable(s3, blockSize);
  const { id } = await files.open('db', DB);
  const got = await files.handle(id).read(0, size);
  await files.close(id);
  return got;
}

module.exports = { DB, fileTable, versionedTable, transaction, coldRead };
