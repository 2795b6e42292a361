#pragma once
namespace s3vfs {
// True once better-sqlite3's SQLite has called the extension entry point.
bool ExtensionLoaded();
constexpr const char* kEntryPoint = "sqlite3_s3vfs_init";
}  // namespace s3vfs
