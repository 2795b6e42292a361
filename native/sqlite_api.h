// Every translation unit reaches SQLite through the routines table that
// better-sqlite3's SQLite hands to the extension entry point (it exports no symbols).
#pragma once
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3
