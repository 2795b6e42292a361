// Reading a block's entry in the disk cache on the main thread, checked as it goes. The
// entry's format (docs/FORMAT.md, "The disk cache"; written by lib/store/disk-cache.ts):
//
//   data      the block's bytes
//   sums      one uint32 per DISK_CHUNK_BYTES of data (the last chunk may be shorter):
//             each chunk's CRC32
//   dataCrc   uint32, the CRC32 of all the data (what the layout records for the block)
//   sumsCrc   uint32, the CRC32 of `sums` and `dataCrc`
//
// all little-endian. Opening checks the length, sumsCrc, that the sums add up to dataCrc
// (CRC32 combination), and dataCrc against the layout's record (a few KiB read); a read
// checks each chunk it touches against its sum the first time, so a lookup that reads one
// page of a 1 MiB block checks 4 KiB of it, not the whole block.
#pragma once
#include <cstdint>
#include <list>
#include <string>
#include <utility>
#include <vector>

namespace s3vfs {

struct CachedFile;

// A block this thread reads from its entry in the disk cache: the worker named the file
// (READ_FILE records), and this thread opens it at its first read. The descriptor is owned
// here; reading a page costs a system call and no crossing, and takes no memory of the cache.
struct DiskBlock {
  std::string path;
  int64_t length = 0;     // the block's bytes, from offset 0 of the file
  uint32_t crc = 0;       // the CRC32 the layout records for the block's bytes
  bool crcKnown = false;  // whether it records one
  int fd = -1;            // -1: not open (not yet, or closed to stay within the budget)
  std::vector<uint32_t> sums;  // each chunk's CRC32, from the entry's trailer once open
  std::vector<bool> checked;   // chunks read and found to agree with their sums
  bool opened = false;         // opened once at least (counted in BlockCache::diskOpened)
  std::list<std::pair<CachedFile*, int64_t>>::iterator order;  // in BlockCache's recency, while open
};

enum class EntryResult { kOk, kMissing, kUnavailable, kDamaged };

// Opens the entry and checks its trailer. kMissing: no such file (evicted, not written yet);
// kUnavailable: it cannot be opened or read (permissions, descriptors); kDamaged: the file
// is not a whole entry of the block.
EntryResult OpenEntry(DiskBlock& d);

// Reads [offset, offset + len) of the block (within it) into `out`, checking each chunk it
// touches for the first time; `scratch` is memory reused from one read to the next.
EntryResult ReadEntry(DiskBlock& d, int64_t offset, int64_t len, uint8_t* out, std::vector<uint8_t>& scratch);

// Forgets what opening read (the descriptor is closed by the caller).
void ForgetEntry(DiskBlock& d);

}  // namespace s3vfs
