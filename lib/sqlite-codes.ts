// SQLite result codes the worker replies with (sqlite3.h).
export const SQLITE_BUSY = 5;
export const SQLITE_IOERR = 10;
export const SQLITE_CANTOPEN = 14;
export const SQLITE_IOERR_READ = 10 | (1 << 8);
export const SQLITE_IOERR_WRITE = 10 | (3 << 8);
export const SQLITE_IOERR_FSYNC = 10 | (4 << 8);
export const SQLITE_IOERR_TRUNCATE = 10 | (6 << 8);
export const SQLITE_IOERR_FSTAT = 10 | (7 << 8);
export const SQLITE_IOERR_UNLOCK = 10 | (8 << 8);
export const SQLITE_IOERR_DELETE = 10 | (10 << 8);
export const SQLITE_IOERR_ACCESS = 10 | (13 << 8);
export const SQLITE_IOERR_LOCK = 10 | (15 << 8);
export const SQLITE_IOERR_CLOSE = 10 | (16 << 8);

// Open flags (sqlite3.h).
export const SQLITE_OPEN_CREATE = 0x4;
export const SQLITE_OPEN_DELETEONCLOSE = 0x8;
export const SQLITE_OPEN_MAIN_DB = 0x100;
export const SQLITE_OPEN_MAIN_JOURNAL = 0x800;
