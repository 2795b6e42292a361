// sqlite-s3vfs: SQLite databases in S3, opened synchronously with better-sqlite3.
import BetterSqlite3 = require('better-sqlite3');
import type { DatabaseOptions } from './database';
import { S3VFS } from './s3vfs';

export { S3VFS, type S3VFSOptions } from './s3vfs';
export { S3VFSError, type S3VFSErrorCode, type S3VFSOwnCode } from './errors';
export type { VfsStats } from './stats';
export type { ByteSource, DeserializeReport } from './deserialize';
export type { DatabaseOptions } from './database';
export type { GcReport } from './store/versioned/gc';
export type { DatabaseEntry, DatabaseInfo } from './store/describe';
export type { MigrateReport } from './store/migrate';

function lookup(vfs: S3VFS | string): S3VFS {
  if (vfs instanceof S3VFS) return vfs;
  if (typeof vfs === 'string') {
    const found = S3VFS.byName(vfs);
    if (found) return found;
    throw new TypeError(`no S3VFS named '${vfs}' exists in this thread (an S3VFS belongs to the thread that created it)`);
  }
  throw new TypeError('the vfs option must be an S3VFS or the name of one');
}

export interface S3DatabaseOptions extends DatabaseOptions {
  /** The S3VFS, or its name, that holds the database. */
  vfs: S3VFS | string;
}

/** Opens the database stored under `prefix` on the given S3VFS: a real better-sqlite3 Database. */
export const Database = function Database(prefix: string, options: S3DatabaseOptions): BetterSqlite3.Database {
  if (!options || !('vfs' in options)) throw new TypeError('new Database(prefix, { vfs }) needs the vfs option');
  const { vfs, ...rest } = options;
  return lookup(vfs).open(prefix, rest);
} as unknown as {
  new (prefix: string, options: S3DatabaseOptions): BetterSqlite3.Database;
  (prefix: string, options: S3DatabaseOptions): BetterSqlite3.Database;
};
