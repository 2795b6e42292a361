// SQLite's five lock levels between the connections of this process that open one
// database, through any S3VFS instance of any thread: one table per process, keyed by
// the bucket (its endpoint and name) and the database's name. There is no lock in S3 (the
// seed layout has none; a versioned database has its lease), so this keeps connections of
// one process from writing over each other; other processes are kept apart by the lease.
//
// The transitions, as SQLite asks for them (compare the chart above unixLock in
// SQLite's os_unix.c):
//
//   NONE -> SHARED        granted unless a writer of another connection is at PENDING
//                         or above (it waits for readers to drain and lets none in)
//   SHARED -> RESERVED    granted unless another connection is at RESERVED or above
//   SHARED -> EXCLUSIVE   (through PENDING) as RESERVED, then: EXCLUSIVE once this is
//   RESERVED -> EXCLUSIVE the only connection at SHARED or above, else PENDING + BUSY
//   PENDING -> EXCLUSIVE  when the other readers have gone
//   any -> SHARED, NONE   always granted (xUnlock)
//
// SQLite never asks for PENDING itself, and never jumps from NONE past SHARED.
#pragma once
#include <map>
#include <mutex>
#include <string>

namespace s3vfs {

class LockTable {
 public:
  // The table of this process.
  static LockTable& Process();

  // Returns SQLITE_OK or SQLITE_BUSY; *level is the holder's current level, updated.
  int Lock(const std::string& key, const void* holder, int* level, int wanted);
  int Unlock(const std::string& key, const void* holder, int* level, int wanted);
  // True when any connection holds RESERVED or more on the database.
  bool Reserved(const std::string& key) const;

 private:
  struct Entry {
    int shared = 0;                  // connections at SHARED or above
    const void* writer = nullptr;    // the one connection at RESERVED or above
    int writerLevel = 0;
  };
  mutable std::mutex mutex_;  // connections of several threads share the table
  std::map<std::string, Entry> entries_;
};

}  // namespace s3vfs
