// The main thread's side of the bridge's codec: one function per op that puts its named
// arguments in the slots bridge_layout.h gives them (lib/worker/bridge-codec.ts decodes them
// by the same names). The worker handle is set by whoever sends the request.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "bridge.h"
#include "bridge_layout.h"

namespace s3vfs {
namespace requests {

// An op on a file by name (open, access, delete): the name is the payload.
inline Bridge::Request ByName(int op, const char* name, int flags) {
  Bridge::Request r{op};
  r.arg = flags;
  r.payload = name;
  r.len = std::strlen(name);
  return r;
}

inline Bridge::Request Open(const char* name, int flags) { return ByName(layout::OP_OPEN, name, flags); }
inline Bridge::Request Access(const char* name, int flags) { return ByName(layout::OP_ACCESS, name, flags); }
inline Bridge::Request Delete(const char* name) { return ByName(layout::OP_DELETE, name, 0); }

inline Bridge::Request Read(int64_t offset, int amount) {
  Bridge::Request r{layout::OP_READ};
  r.offset = static_cast<double>(offset);
  r.arg = amount;
  return r;
}

inline Bridge::Request Write(int64_t offset, const void* bytes, size_t len) {
  Bridge::Request r{layout::OP_WRITE};
  r.offset = static_cast<double>(offset);
  r.payload = bytes;
  r.len = len;
  return r;
}

inline Bridge::Request Truncate(int64_t size) {
  Bridge::Request r{layout::OP_TRUNCATE};
  r.offset = static_cast<double>(size);
  return r;
}

// `records` WRITE_RECORDs in `payload`; the file's size once they are applied.
inline Bridge::Request WriteBlocks(int64_t newSize, int records, const void* payload, size_t len) {
  Bridge::Request r{layout::OP_WRITE_BLOCKS};
  r.offset = static_cast<double>(newSize);
  r.arg = records;
  r.payload = payload;
  r.len = len;
  return r;
}

// `records` WRITE_RECORDs in `payload`, for blocks this thread does not hold.
inline Bridge::Request WritePages(int records, const void* payload, size_t len) {
  Bridge::Request r{layout::OP_WRITE_PAGES};
  r.arg = records;
  r.payload = payload;
  r.len = len;
  return r;
}

// `want`: a READ_WANT record (layout::READ_WANT_BYTES), or null when the read wants whole blocks.
inline Bridge::Request ReadBlocks(int64_t first, int needed, const uint8_t* want) {
  Bridge::Request r{layout::OP_READ_BLOCKS};
  r.offset = static_cast<double>(first);
  r.arg = needed;
  if (want) {
    r.payload = want;
    r.len = layout::READ_WANT_BYTES;
  }
  return r;
}

// The pragma's name, NUL, its argument; `text` must outlive the call.
inline Bridge::Request Pragma(const std::string& text) {
  Bridge::Request r{layout::OP_PRAGMA};
  r.payload = text.data();
  r.len = text.size();
  return r;
}

}  // namespace requests
}  // namespace s3vfs
