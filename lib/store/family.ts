// Which files belong to a database: the one rule, for the TypeScript side (native/family.h
// is the C++ side's).

const SUFFIX = /^(journal|wal|mj[0-9A-Fa-f]+)$/;

/**
 * Whether `name` is the database `main` or a file SQLite derives from its name: its
 * rollback journal main-journal, its WAL main-wal, a super-journal main-mj<hex>. Another
 * database whose name merely starts with "main-" (main-archive) is not one of them.
 */
export function inFamily(name: string, main: string): boolean {
  return name === main || databaseOf(name) === main;
}

/** The database whose name `name` is derived from (db for db-journal), or undefined when
 *  `name` is not a derived name. */
export function databaseOf(name: string): string | undefined {
  const dash = name.lastIndexOf('-');
  return dash > 0 && SUFFIX.test(name.slice(dash + 1)) ? name.slice(0, dash) : undefined;
}

/** Whether `name` is a rollback journal (main-journal). */
export function isJournalName(name: string): boolean {
  return name.endsWith('-journal');
}
