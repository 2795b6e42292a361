// One registered sqlite3_vfs per S3VFS instance. Files that belong in the bucket (the
// database, its rollback journal, WAL and super-journals) go over the bridge to the
// worker's block store; temporary files, and anything used from a thread other than
// the one that created the VFS, go to SQLite's default (unix) VFS unchanged.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "block_cache.h"
#include "bridge.h"
#include "lock_table.h"
#include "sqlite_api.h"

namespace s3vfs {

class Vfs {
 public:
  // lockSpace names the bucket (endpoint and name): connections of any VFS of this process
  // on the same bucket and database name lock each other.
  Vfs(const std::string& name, const std::string& lockSpace, sqlite3_vfs* fallback, std::unique_ptr<Bridge> bridge,
      size_t cacheBytes);
  ~Vfs();

  sqlite3_vfs* Base() { return &base_; }
  const std::string& Name() const { return name_; }
  bool OnOwnerThread() const { return std::this_thread::get_id() == owner_; }
  int OpenFiles() const { return openFiles_; }

  static Vfs* From(sqlite3_vfs* v) { return static_cast<Vfs*>(v->pAppData); }

  // Names of files in the bucket that SQLite derives from an open database's name.
  bool InStore(const char* name) const;
  // The open database a file belongs to (itself, or the one whose journal it is).
  std::string MainOf(const std::string& name) const;

  Bridge& Bridge_() { return *bridge_; }
  LockTable& Locks() { return LockTable::Process(); }
  // The key of a database in the process's lock table.
  std::string LockKey(const std::string& name) const { return lockSpace_ + '\n' + name; }
  BlockCache& Cache() { return cache_; }
  bool IsOpenMain(const std::string& name) const { return mains_.count(name) > 0; }
  sqlite3_vfs* Fallback() const { return fallback_; }

  void AddOpen(const std::string& name) { mains_[name]++; openFiles_++; }
  void RemoveOpen(const std::string& name);
  void FileClosed() { openFiles_--; }
  void FileOpened() { openFiles_++; }
  // The owning thread is gone: every later call fails instead of touching its env.
  void Detach() { bridge_->Detach(); }

 private:
  sqlite3_vfs base_;
  std::string name_;
  std::string lockSpace_;  // the bucket, in the process's lock table
  sqlite3_vfs* fallback_;
  std::unique_ptr<Bridge> bridge_;
  BlockCache cache_;
  std::map<std::string, int> mains_;   // open main databases, by name
  std::thread::id owner_;
  int openFiles_ = 0;
};

}  // namespace s3vfs
