// The few system calls by which the main thread reads a block's file in the disk cache
// itself (DiskBlock in block_cache.h): POSIX only. Elsewhere kDiskFiles is false, the main
// thread never asks for a file (READ_WANT_FILE_OK), and blocks cross the bridge as before.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace s3vfs {

#ifndef _WIN32
constexpr bool kDiskFiles = true;

// A descriptor of this thread's own for the same open file (the worker keeps, and closes,
// the one it opened); -1 on failure.
inline int DupFd(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }

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
inline int DupFd(int) { return -1; }
inline void CloseFd(int) {}
inline bool PreadAll(int, uint8_t*, size_t, int64_t) { return false; }
inline size_t DiskFileLimit() { return 0; }
#endif

}  // namespace s3vfs
