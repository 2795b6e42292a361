// The SQLite loadable-extension entry point. better-sqlite3 embeds SQLite without
// exporting its symbols, so the addon is also loaded as an extension of that SQLite:
// this captures its sqlite3_api table, after which the addon can register VFSes.
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include "extension.h"

namespace s3vfs {
static bool loaded = false;
bool ExtensionLoaded() { return loaded; }
}  // namespace s3vfs

extern "C" __attribute__((visibility("default"))) int sqlite3_s3vfs_init(
    sqlite3* db, char** errmsg, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  s3vfs::loaded = true;
  // The VFSes registered later must outlive this connection.
  return SQLITE_OK_LOAD_PERMANENTLY;
}
