// Makes the S3 error behind a failed VFS call reach the user. SQLite turns any VFS
// failure into "disk I/O error"; better-sqlite3 builds its SqliteError through a
// constructor it lets us replace, so the error thrown carries the real cause.
import path from 'node:path';
import { SqliteError } from 'better-sqlite3';

let pending: Error | null = null;
const IO_CODES = /^SQLITE_(IOERR|CANTOPEN|BUSY|CORRUPT|NOTADB|FULL)/;

/** Remembers the cause of the VFS failure in progress, for the SqliteError it leads to. */
export function attachCause(err: Error): void {
  pending = err;
  // The SqliteError is built in the same synchronous call, before any microtask.
  queueMicrotask(() => {
    if (pending === err) pending = null;
  });
}

function S3AwareSqliteError(message: string, code: string): Error {
  const cause = typeof code === 'string' && IO_CODES.test(code) ? pending : null;
  if (cause) pending = null;
  const e = new SqliteError(cause ? `${message}: ${cause.message}` : message, code) as Error & { cause?: Error };
  if (cause) e.cause = cause;
  return e;
}

interface BetterSqliteAddon {
  isInitialized?: boolean;
  setErrorConstructor(fn: unknown): void;
  Database: new (...args: unknown[]) => object;
}

let realAddon: BetterSqliteAddon | null | undefined;

/** better-sqlite3's native addon, with our error constructor installed. */
export function betterSqliteAddon(): BetterSqliteAddon | null {
  if (realAddon !== undefined) return realAddon;
  const file = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  try {
    realAddon = require(file) as BetterSqliteAddon;
    realAddon.setErrorConstructor(S3AwareSqliteError);
    realAddon.isInitialized = true;
  } catch {
    realAddon = null; // an unusual build layout: errors stay plain SQLite errors
  }
  return realAddon;
}
