// Makes the S3 error behind a failed VFS call reach the user. SQLite turns any VFS
// failure into "disk I/O error"; better-sqlite3 builds its SqliteError through a
// constructor it lets us replace, so the error thrown carries the real cause.

let pending: Error | null = null;
const IO_CODES = /^SQLITE_(IOERR|CANTOPEN|BUSY|CORRUPT|NOTADB|FULL)/;

/**
 * Remembers the cause of the VFS failure in progress, for the SqliteError it leads to. The
 * first failure of a call is its cause: what fails after it (SQLite rolling back, say) is
 * its consequence.
 */
export function attachCause(err: Error): void {
  if (pending) return;
  pending = err;
  // The SqliteError is built in the same synchronous call, before any microtask.
  queueMicrotask(() => {
    if (pending === err) pending = null;
  });
}

type SqliteErrorClass = new (message: string, code: string) => Error;

/** A stand-in for better-sqlite3's SqliteError constructor that appends the pending cause. */
export function s3AwareSqliteError(SqliteError: unknown): (message: string, code: string) => Error {
  const Base = SqliteError as SqliteErrorClass;
  return function S3AwareSqliteError(message: string, code: string): Error {
    const cause = typeof code === 'string' && IO_CODES.test(code) ? pending : null;
    if (cause) pending = null;
    const e = new Base(cause ? `${message}: ${cause.message}` : message, code) as Error & { cause?: Error };
    if (cause) e.cause = cause;
    return e;
  };
}
