// The few system calls by which the main thread reads a block's entry in the disk cache
// itself (DiskBlock in disk_entry.h): POSIX only. Elsewhere kDiskFiles is false, the main
// thread never asks for a file (READ_WANT_FILE_OK), and blocks cross the bridge as before.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace s3vfs {

#ifndef _WIN32
constexpr bool kDiskFiles = true;

// A descriptor to read `path` by; -1 on failure.
inline int OpenRead(const std::string& path) {
  int fd;
  do fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd;
}

// The file's size; -1 on failure.
inline int64_t FileSize(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// Marks the file recently used: the disk cache evicts the least recently modified first.
inline void TouchFile(int fd) { futimens(fd, nullptr); }

// Deletes a damaged entry, so that the worker fetches the block again (and so does every
// other reader of the directory); a failure leaves it to the next reader's check.
inline void RemoveFile(const std::string& path) { unlink(path.c_str()); }

inline void CloseFd(int fd) { close(fd); }

// Reads exactly `len` bytes at `offset`; false on an error or an early end of file.
inline bool PreadAll(int fd, uint8_t* out, size_t len, int64_t offset) {
  while (len > 0) {
    ssize_t got = pread(fd, out, len, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    len -= static_cast<size_t>(got);
    offset += got;
  }
  return true;
}

// How many block files may be open at once: a share of the process's limit on descriptors,
// which SQLite and the program need too.
inline size_t DiskFileLimit() {
  struct rlimit rl;
  rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 1024;
  return static_cast<size_t>(std::min<rlim_t>(4096, std::max<rlim_t>(16, soft / 8)));
}
#else
constexpr bool kDiskFiles = false;
inline int OpenRead(const std::string&) { return -1; }
inline int64_t FileSize(int) { return -1; }
inline void TouchFile(int) {}
inline void RemoveFile(const std::string&) {}
inline void CloseFd(int) {}
inline bool PreadAll(int, uint8_t*, size_t, int64_t) { return false; }
inline size_t DiskFileLimit() { return 0; }
#endif

}  // namespace s3vfs
