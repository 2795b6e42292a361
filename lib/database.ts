// Opens a real better-sqlite3 Database on an S3VFS.
import BetterSqlite3 = require('better-sqlite3');
import { binding } from './native';
import { checkPrefix } from './prefix';
import { standInAddon } from './better-sqlite3';
import { s3AwareSqliteError } from './sqlite-error-hook';
import type { S3VFS } from './s3vfs';

export type DatabaseOptions = Omit<BetterSqlite3.Options, 'nativeBinding'>;

/**
 * better-sqlite3 checks that the directory of a file name exists unless the name
 * starts with "file:", and passes the name to SQLite as it is (URIs are off). So the
 * name goes in with that prefix, and a stand-in for its addon takes it off again
 * before SQLite (and db.name) see it.
 */
const MARK = 'file:';
let stand: object | null | undefined;

/** A connection to the database under `prefix` on `vfs` that holds up to `holdBytes` of
 *  changed pages before SQLite spills any (holdChangedPages). */
export function openOn(vfs: S3VFS, prefix: string, holdBytes: number, options: DatabaseOptions = {}): BetterSqlite3.Database {
  checkPrefix(prefix);
  if (options && 'nativeBinding' in options) throw new TypeError('the nativeBinding option cannot be used with an S3VFS');
  const b = binding();
  stand ??= standInAddon(MARK, s3AwareSqliteError);
  if (!stand) throw new Error("sqlite-s3vfs: better-sqlite3's native addon was not found where its version keeps it");
  // URIs are off in better-sqlite3, so ?vfs= cannot choose a VFS: ours is SQLite's
  // default just while this connection opens (a connection keeps the VFS it opened with).
  b.armDefault(vfs.name);
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(MARK + prefix, { ...options, nativeBinding: stand as never });
  } finally {
    b.disarmDefault();
  }
  try {
    holdChangedPages(db, holdBytes);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * SQLite writes changed pages out of its page cache ("spills") once it holds more than
 * `cache_size` (16 MB as better-sqlite3 builds it), then reads them back as it needs them:
 * cheap on a local file, a bridge crossing and the worker's spill file here. A transaction
 * larger than that wrote each page about 25 times (bench (l): 1.1 M page writes for 45,000
 * pages; 2.5x local, 1.05x without the spills), and a load whose indexes outgrow it read
 * back what it had spilled (a 149 MB shop load: 123 s, 34 s without). So a connection holds
 * up to `bytes` (the VFS's `cacheSize`), or `cache_size` if larger, before it spills. SQLite
 * turns KiB into pages with the page size it has then (the file's, or 4096 for a new
 * database) and keeps that number of pages. The pragma reads nothing: no request at open.
 */
function holdChangedPages(db: BetterSqlite3.Database, bytes: number): void {
  // A negative value is KiB, as for cache_size.
  db.pragma(`cache_spill = ${-Math.max(1, Math.floor(bytes / 1024))}`);
}
