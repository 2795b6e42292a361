#include "disk_entry.h"

#include "bridge_layout.h"
#include "crc32.h"
#include "disk_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace s3vfs {

namespace {
constexpr int64_t kChunk = layout::DISK_CHUNK_BYTES;

uint32_t LoadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
// Multiplication by x^(8 kChunk) modulo the polynomial, by table: the map is linear, so each
// byte of the register contributes a fixed term (4 lookups instead of 32 shifts per chunk:
// a 1 MiB entry's 256 sums combine in a microsecond, not 14).
struct ChunkShift {
  uint32_t byByte[4][256];
  ChunkShift() {
    uint32_t shift = crc32_detail::ShiftBytes(kChunk);
    for (int k = 0; k < 4; k++) {
      for (uint32_t b = 0; b < 256; b++) byByte[k][b] = crc32_detail::MultModP(shift, b << (8 * k));
    }
  }
  uint32_t operator()(uint32_t crc) const {
    return byByte[0][crc & 0xff] ^ byByte[1][(crc >> 8) & 0xff] ^ byByte[2][(crc >> 16) & 0xff] ^ byByte[3][crc >> 24];
  }
};

// The CRC32 of the data whose chunks have these sums: checking it against the data CRC ties
// the sums (and so every chunk checked against them) to the block the layout records.
uint32_t SumsMakeUp(const std::vector<uint32_t>& sums, int64_t length) {
  static const ChunkShift byChunk;
  uint32_t crc = sums.empty() ? 0 : sums[0];
  for (size_t i = 1; i < sums.size(); i++) {
    int64_t len = std::min<int64_t>(kChunk, length - static_cast<int64_t>(i) * kChunk);
    crc = (len == kChunk ? byChunk(crc) : crc32_detail::MultModP(crc32_detail::ShiftBytes(static_cast<uint64_t>(len)), crc)) ^ sums[i];
  }
  return crc;
}
}  // namespace

EntryResult OpenEntry(DiskBlock& d) {
  if (d.length <= 0) return EntryResult::kDamaged;
  int fd = OpenRead(d.path);
  if (fd < 0) return errno == ENOENT ? EntryResult::kMissing : EntryResult::kUnavailable;
  int64_t chunks = (d.length + kChunk - 1) / kChunk;
  int64_t trailer = 4 * chunks + 8;
  int64_t size = FileSize(fd);
  if (size != d.length + trailer) {
    CloseFd(fd);
    return size < 0 ? EntryResult::kUnavailable : EntryResult::kDamaged;
  }
  std::vector<uint8_t> tail(static_cast<size_t>(trailer));
  if (!PreadAll(fd, tail.data(), tail.size(), d.length)) {
    CloseFd(fd);
    return EntryResult::kUnavailable;
  }
  d.sums.resize(static_cast<size_t>(chunks));
  for (int64_t i = 0; i < chunks; i++) d.sums[i] = LoadU32(tail.data() + 4 * i);
  uint32_t dataCrc = LoadU32(tail.data() + trailer - 8);
  bool agrees = Crc32(tail.data(), static_cast<size_t>(trailer - 4)) == LoadU32(tail.data() + trailer - 4) &&
                SumsMakeUp(d.sums, d.length) == dataCrc && (!d.crcKnown || dataCrc == d.crc);
  if (!agrees) {
    ForgetEntry(d);
    CloseFd(fd);
    return EntryResult::kDamaged;
  }
  d.checked.assign(static_cast<size_t>(chunks), false);
  d.fd = fd;
  TouchFile(fd);
  return EntryResult::kOk;
}

EntryResult ReadEntry(DiskBlock& d, int64_t offset, int64_t len, uint8_t* out, std::vector<uint8_t>& scratch) {
  if (len <= 0) return EntryResult::kOk;
  int64_t first = offset / kChunk;
  int64_t last = (offset + len - 1) / kChunk;
  bool checked = true;
  for (int64_t c = first; c <= last && checked; c++) checked = d.checked[c];
  if (checked) return PreadAll(d.fd, out, static_cast<size_t>(len), offset) ? EntryResult::kOk : EntryResult::kUnavailable;
  // Whole chunks, to check them, then the bytes wanted out of them: read straight into
  // `out` when they are exactly those (a page read of the chunk's size, the usual case).
  int64_t start = first * kChunk;
  int64_t end = std::min(d.length, (last + 1) * kChunk);
  bool exact = start == offset && end == offset + len;
  if (!exact && scratch.size() < static_cast<size_t>(end - start)) scratch.resize(static_cast<size_t>(end - start));
  uint8_t* chunks = exact ? out : scratch.data();
  if (!PreadAll(d.fd, chunks, static_cast<size_t>(end - start), start)) return EntryResult::kUnavailable;
  for (int64_t c = first; c <= last; c++) {
    if (d.checked[c]) continue;
    int64_t at = c * kChunk - start;
    int64_t n = std::min(kChunk, end - c * kChunk);
    if (Crc32(chunks + at, static_cast<size_t>(n)) != d.sums[c]) return EntryResult::kDamaged;
    d.checked[c] = true;
  }
  if (!exact) std::memcpy(out, chunks + (offset - start), static_cast<size_t>(len));
  return EntryResult::kOk;
}

void ForgetEntry(DiskBlock& d) {
  d.sums.clear();
  d.checked.clear();
}

}  // namespace s3vfs
