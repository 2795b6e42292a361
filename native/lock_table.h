// SQLite's five lock levels between connections of this process that open the same
// database through the same VFS. There is no lock in S3 (the seed layout has none),
// so this only keeps two connections of one process from corrupting each other.
#pragma once
#include <map>
#include <string>

namespace s3vfs {

class LockTable {
 public:
  // Returns SQLITE_OK or SQLITE_BUSY; *level is the holder's current level, updated.
  int Lock(const std::string& name, const void* holder, int* level, int wanted);
  int Unlock(const std::string& name, const void* holder, int* level, int wanted);
  // True when any connection holds RESERVED or more on the file.
  bool Reserved(const std::string& name) const;

 private:
  struct Entry {
    int shared = 0;                  // connections at SHARED or above
    const void* writer = nullptr;    // the one connection at RESERVED or above
    int writerLevel = 0;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace s3vfs
