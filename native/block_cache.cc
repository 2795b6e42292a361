#include "block_cache.h"

#include "family.h"

#include "disk_file.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace s3vfs {

void DirtyRanges::Add(int64_t start, int64_t end) {
  // Merge with every span it overlaps or touches.
  auto it = std::lower_bound(spans.begin(), spans.end(), start,
                             [](const std::pair<int64_t, int64_t>& s, int64_t v) { return s.second < v; });
  auto last = it;
  while (last != spans.end() && last->first <= end) {
    start = std::min(start, last->first);
    end = std::max(end, last->second);
    ++last;
  }
  it = spans.erase(it, last);
  spans.insert(it, {start, end});
}

int64_t DirtyRanges::Bytes() const {
  int64_t n = 0;
  for (const auto& s : spans) n += s.second - s.first;
  return n;
}

int64_t CachedFile::BlockLength(int64_t index) const {
  return std::max<int64_t>(0, std::min(blockSize, size - index * blockSize));
}

namespace {
// Block files open in this process, across every VFS and thread: the budget DiskFileLimit
// sets is the process's.
std::atomic<size_t> g_diskFilesOpen{0};
}  // namespace

CachedFile::~CachedFile() {
  for (auto& kv : onDisk) {
    if (kv.second.fd < 0) continue;
    CloseFd(kv.second.fd);
    g_diskFilesOpen--;
  }
}

bool CachedFile::Read(BlockCache& cache, int64_t offset, int amount, uint8_t* out) {
  if (size < 0 || blockSize <= 0) return false;
  int64_t end = std::min<int64_t>(offset + amount, size);
  for (int64_t i = offset / blockSize; i * blockSize < end; i++) {
    if (!blocks.count(i)) return ReadPiece(cache, offset, amount, out) || ReadDisk(cache, offset, amount, out);
  }
  for (int64_t i = offset / blockSize; i * blockSize < end; i++) {
    const std::vector<uint8_t>& b = blocks.at(i);
    int64_t s = std::max(offset, i * blockSize);
    int64_t e = std::min<int64_t>(end, i * blockSize + static_cast<int64_t>(b.size()));
    if (e > s) std::memcpy(out + (s - offset), b.data() + (s - i * blockSize), e - s);
    cache.Touch(const_cast<CachedFile*>(this), i, s);
  }
  return true;
}

bool CachedFile::ReadPiece(BlockCache& cache, int64_t offset, int amount, uint8_t* out) const {
  if (pieces.empty()) return false;
  int64_t end = std::min<int64_t>(offset + amount, size);
  auto it = pieces.upper_bound(offset);
  if (it == pieces.begin()) return false;
  --it;
  int64_t start = it->first;
  if (start + static_cast<int64_t>(it->second.size()) < end) return false;
  if (end > offset) std::memcpy(out, it->second.data() + (offset - start), end - offset);
  cache.Touch(const_cast<CachedFile*>(this), BlockCache::PieceKey(start), offset);
  return true;
}

bool CachedFile::ReadDisk(BlockCache& cache, int64_t offset, int amount, uint8_t* out) {
  if (onDisk.empty()) return false;
  int64_t end = std::min<int64_t>(offset + amount, size);
  int64_t index = offset / blockSize;
  auto it = onDisk.find(index);
  if (it == onDisk.end() || end > index * blockSize + it->second.length) return false;
  if (it->second.fd < 0 && !cache.OpenDisk(this, index)) return false;
  DiskBlock& d = onDisk.at(index);
  EntryResult r = ReadEntry(d, offset - index * blockSize, end - offset, out, cache.DiskScratch());
  if (r != EntryResult::kOk) {
    cache.RefuseDisk(this, index, r);
    return false;
  }
  cache.TouchDisk(d);
  cache.diskReads++;
  return true;
}

void CachedFile::DropDisk(BlockCache& cache, int64_t first, int64_t last) {
  if (onDisk.empty()) return;
  // A write drops a block or two: looked up by index, not by a walk of every open file.
  if (last - first < static_cast<int64_t>(onDisk.size())) {
    for (int64_t i = first; i <= last; i++) cache.UnmapDisk(this, i);
    return;
  }
  std::vector<int64_t> gone;
  for (const auto& kv : onDisk) {
    if (kv.first >= first && kv.first <= last) gone.push_back(kv.first);
  }
  for (int64_t i : gone) cache.UnmapDisk(this, i);
}

bool CachedFile::FileOk(int64_t index) const {
  if (!kDiskFiles || dirty.count(index) || noDisk.count(index)) return false;
  auto it = loose.lower_bound(index * blockSize);
  return it == loose.end() || it->first >= (index + 1) * blockSize;
}

void CachedFile::DropPieces(BlockCache& cache, int64_t first, int64_t last) {
  if (pieces.empty() || blockSize <= 0) return;
  // A piece never spans two blocks (InsertPiece), so its start says which block it is in.
  auto from = pieces.lower_bound(first * blockSize);
  auto to = last >= INT64_MAX / blockSize - 1 ? pieces.end() : pieces.lower_bound((last + 1) * blockSize);
  std::vector<int64_t> gone;
  for (auto it = from; it != to; ++it) gone.push_back(it->first);
  for (int64_t start : gone) cache.Forget(this, BlockCache::PieceKey(start));
}

// Copies the file bytes that `from` (at file offset fromStart) and `to` (at toStart) both cover.
static void CopyOverlap(int64_t fromStart, const uint8_t* from, int64_t fromLen, int64_t toStart, uint8_t* to, int64_t toLen) {
  int64_t s = std::max(fromStart, toStart);
  int64_t e = std::min(fromStart + fromLen, toStart + toLen);
  if (e > s) std::memcpy(to + (s - toStart), from + (s - fromStart), e - s);
}

// The first entry of `m` (disjoint ranges by start offset) that may overlap [offset, ...):
// the one before `offset` if it reaches past it, else the first at or after it. A walk
// from a block back would visit every page-sized entry of that block.
template <typename Map>
static auto FirstOverlapping(Map& m, int64_t offset) -> decltype(m.begin()) {
  auto it = m.lower_bound(offset);
  if (it != m.begin()) {
    auto prev = std::prev(it);
    if (prev->first + static_cast<int64_t>(prev->second.size()) > offset) return prev;
  }
  return it;
}

void CachedFile::PatchPieces(int64_t offset, int64_t end, const uint8_t* data) {
  // Pieces never overlap one another (InsertPiece replaces those a new one overlaps).
  for (auto it = FirstOverlapping(pieces, offset); it != pieces.end() && it->first < end; ++it) {
    CopyOverlap(offset, data, end - offset, it->first, it->second.data(), static_cast<int64_t>(it->second.size()));
  }
}

// The bytes of [offset, end) that fall in block `index`, copied into it after growing it
// to its length in the file's current size (zero-filled: a write past the end fills the
// gap, as the worker does).
void CachedFile::ApplyToBlock(BlockCache& cache, std::vector<uint8_t>& b, int64_t index, int64_t offset,
                              int64_t end, const uint8_t* data) {
  size_t newLen = static_cast<size_t>(BlockLength(index));
  if (b.size() < newLen) {
    cache.Resized(this, static_cast<int64_t>(newLen - b.size()));
    b.resize(newLen, 0);
  }
  int64_t start = index * blockSize;
  int64_t s = std::max(offset, start);
  int64_t e = std::min<int64_t>(end, start + static_cast<int64_t>(newLen));
  if (e > s) std::memcpy(b.data() + (s - start), data + (s - offset), e - s);
}

void CachedFile::Write(BlockCache& cache, int64_t offset, const uint8_t* data, int amount) {
  if (size < 0 || blockSize <= 0) return;
  int64_t end = offset + amount;
  int64_t oldSize = size;
  size = std::max(oldSize, end);
  DropDisk(cache, std::min(offset, oldSize) / blockSize, (end - 1) / blockSize);
  PatchPieces(offset, end, data);
  for (int64_t i = std::min(offset, oldSize) / blockSize; i * blockSize < end; i++) {
    auto it = blocks.find(i);
    if (it != blocks.end()) ApplyToBlock(cache, it->second, i, offset, end, data);
  }
}

bool CachedFile::MissingForWrite(int64_t offset, int amount, int64_t* first, int64_t* count) const {
  int64_t end = offset + amount;
  int64_t newSize = std::max(size, end);
  int64_t lo = -1, hi = -1;
  for (int64_t i = std::min(offset, size) / blockSize; i * blockSize < end; i++) {
    int64_t start = i * blockSize;
    int64_t oldLen = BlockLength(i);
    int64_t newLen = std::max<int64_t>(0, std::min(blockSize, newSize - start));
    bool covered = offset <= start && end >= start + newLen;
    if (covered || oldLen == 0 || blocks.count(i)) continue;
    if (lo < 0) lo = i;
    hi = i;
  }
  if (lo < 0) return false;
  *first = lo;
  *count = hi - lo + 1;
  return true;
}

bool CachedFile::LooseFits(int64_t offset, int amount) const {
  int64_t end = offset + amount;
  // Every part must be new or fit an existing write exactly (SQLite rewrites whole pages).
  for (int64_t at = offset; at < end;) {
    int64_t stop = std::min(end, (at / blockSize + 1) * blockSize);
    auto same = loose.find(at);
    if (same == loose.end() || static_cast<int64_t>(same->second.size()) != stop - at) {
      auto next = loose.lower_bound(at);
      if (next != loose.end() && next->first < stop) return false;
      if (next != loose.begin()) {
        auto prev = std::prev(next);
        if (prev->first + static_cast<int64_t>(prev->second.size()) > at) return false;
      }
    }
    at = stop;
  }
  return true;
}

void CachedFile::AddLoose(BlockCache& cache, int64_t offset, const uint8_t* data, int amount) {
  int64_t end = offset + amount;
  for (int64_t at = offset; at < end;) {
    int64_t stop = std::min(end, (at / blockSize + 1) * blockSize);
    auto slot = loose.try_emplace(at);
    if (slot.second) cache.LooseChanged(this, LooseCost(stop - at));
    slot.first->second.assign(data + (at - offset), data + (stop - offset));
    at = stop;
  }
}

void CachedFile::Overlay(int64_t start, uint8_t* data, int64_t len) const {
  if (loose.empty()) return;
  int64_t end = start + len;
  // Loose writes never overlap one another (LooseFits).
  for (auto it = FirstOverlapping(loose, start); it != loose.end() && it->first < end; ++it) {
    CopyOverlap(it->first, it->second.data(), static_cast<int64_t>(it->second.size()), start, data, len);
  }
}

void CachedFile::ClearLoose(BlockCache& cache) {
  int64_t cost = 0;
  for (const auto& kv : loose) cost += LooseCost(static_cast<int64_t>(kv.second.size()));
  loose.clear();
  cache.LooseChanged(this, -cost);
}

void CachedFile::WriteBack(BlockCache& cache, int64_t offset, const uint8_t* data, int amount) {
  int64_t end = offset + amount;
  int64_t oldSize = size;
  size = std::max(oldSize, end);
  DropPieces(cache, std::min(offset, oldSize) / blockSize, (end - 1) / blockSize);
  DropDisk(cache, std::min(offset, oldSize) / blockSize, (end - 1) / blockSize);
  for (int64_t i = std::min(offset, oldSize) / blockSize; i * blockSize < end; i++) {
    std::vector<uint8_t>& b = blocks[i];
    int64_t oldLen = static_cast<int64_t>(b.size());
    ApplyToBlock(cache, b, i, offset, end, data);
    // What changed in the block: the bytes written, and any zeros it grew by.
    int64_t start = i * blockSize;
    cache.MarkDirty(this, i, oldLen, static_cast<int64_t>(b.size()));
    cache.MarkDirty(this, i, std::max(offset, start) - start, std::min(end, start + blockSize) - start);
  }
}

void CachedFile::ReadLocal(int64_t offset, int amount, uint8_t* out) const {
  int64_t end = std::min<int64_t>(offset + amount, size);
  for (int64_t at = offset; at < end;) {
    int64_t i = at / blockSize;
    int64_t stop = std::min(end, (i + 1) * blockSize);
    auto it = blocks.find(i);
    int64_t have = it == blocks.end() ? 0 : std::max<int64_t>(0, std::min<int64_t>(stop, i * blockSize + it->second.size()) - at);
    if (have > 0) std::memcpy(out + (at - offset), it->second.data() + (at - i * blockSize), have);
    std::memset(out + (at - offset) + have, 0, stop - at - have);
    at = stop;
  }
}

void CachedFile::WriteLocal(BlockCache& cache, int64_t offset, const uint8_t* data, int amount) {
  int64_t end = offset + amount;
  size = std::max(std::max<int64_t>(size, 0), end);
  for (int64_t i = offset / blockSize; i * blockSize < end; i++) ApplyToBlock(cache, blocks[i], i, offset, end, data);
}

void CachedFile::Truncate(BlockCache& cache, int64_t newSize) {
  if (size < 0 || newSize >= size) return;
  size = newSize;
  int64_t count = blockSize > 0 ? (newSize + blockSize - 1) / blockSize : 0;
  DropPieces(cache, std::max<int64_t>(0, count - 1), INT64_MAX);
  DropDisk(cache, std::max<int64_t>(0, count - 1), INT64_MAX);
  std::vector<int64_t> gone;
  for (auto& kv : blocks) if (kv.first >= count) gone.push_back(kv.first);
  for (int64_t i : gone) cache.Forget(this, i);
  if (count > 0) {
    auto it = blocks.find(count - 1);
    size_t len = static_cast<size_t>(BlockLength(count - 1));
    if (it != blocks.end() && it->second.size() > len) {
      cache.Resized(this, static_cast<int64_t>(len) - static_cast<int64_t>(it->second.size()));
      it->second.resize(len);
    }
  }
}

void CachedFile::Drop(BlockCache& cache) {
  ClearLoose(cache);
  std::vector<int64_t> all;
  for (auto& kv : blocks) all.push_back(kv.first);
  for (int64_t i : all) cache.Forget(this, i);
  DropPieces(cache, 0, INT64_MAX);
  DropDisk(cache, 0, INT64_MAX);
  noDisk.clear();
  size = -1;
  freshUntil = {};
}

BlockCache::BlockCache(size_t limitBytes) : limit_(limitBytes) {
  recency_.SetProtectedLimit(static_cast<int64_t>(limitBytes) / 4 * 3);
  diskLimit_ = DiskFileLimit();
}

CachedFile* BlockCache::File(const std::string& name) {
  auto& slot = files_[name];
  if (!slot) {
    slot = std::make_unique<CachedFile>();
    slot->name = name;
  }
  return slot.get();
}

void BlockCache::DropFamily(const std::string& mainName) {
  for (auto& kv : files_) {
    if (kv.first != mainName && InFamily(kv.first, mainName)) kv.second->Drop(*this);
  }
}

void BlockCache::ForgetFamily(const std::string& mainName, bool keepLocal) {
  for (auto& kv : files_) {
    CachedFile* f = kv.second.get();
    if (!InFamily(kv.first, mainName) || (keepLocal && f->local)) continue;
    int64_t blockSize = f->blockSize;
    f->Drop(*this);
    f->blockSize = blockSize;  // the size is asked again, the block size stays
  }
}

void BlockCache::MarkDirty(CachedFile* f, int64_t index, int64_t start, int64_t end) {
  recency_.Remove({f, index});
  auto slot = f->dirty.try_emplace(index);
  if (slot.second) dirtyBytes_ += f->blockSize;
  if (end > start) slot.first->second.Add(start, end);
  dirtyFiles_.insert(f);
}

void BlockCache::MarkClean(CachedFile* f) {
  for (const auto& kv : f->dirty) {
    int64_t i = kv.first;
    auto b = f->blocks.find(i);
    if (b == f->blocks.end()) continue;
    // Written pages are read again soon (B-tree pages on the path of the next change).
    recency_.Add({f, i}, static_cast<int64_t>(b->second.size()), true);
  }
  dirtyBytes_ -= static_cast<int64_t>(f->dirty.size()) * f->blockSize;
  f->dirty.clear();
  f->ClearLoose(*this);  // and, nothing pending now, out of the dirty files
  Evict();
}

void BlockCache::LooseChanged(CachedFile* f, int64_t delta) {
  dirtyBytes_ += delta;
  if (f->Pending()) dirtyFiles_.insert(f);
  else dirtyFiles_.erase(f);
}

void BlockCache::Insert(CachedFile* f, int64_t index, const uint8_t* bytes, size_t len) {
  if (f->dirty.count(index)) return;  // what was written here is newer
  Forget(f, index);
  f->DropPieces(*this, index, index);
  std::vector<uint8_t>& b = f->blocks[index];
  b.assign(bytes, bytes + len);
  // Loose writes may have grown the file past the worker's end, which is where the block
  // it sent ends: the rest is what they wrote, over zeros (as the worker will fill it).
  b.resize(std::max<size_t>(len, static_cast<size_t>(f->BlockLength(index))), 0);
  f->Overlay(index * f->blockSize, b.data(), static_cast<int64_t>(b.size()));
  recency_.Add({f, index}, static_cast<int64_t>(b.size()), false);
  bytes_ += static_cast<int64_t>(b.size());
  Evict(f, index);
}

void BlockCache::InsertPiece(CachedFile* f, int64_t start, const uint8_t* bytes, size_t len) {
  if (len == 0 || f->blockSize <= 0) return;
  int64_t index = start / f->blockSize;
  if ((start + static_cast<int64_t>(len) - 1) / f->blockSize != index) return;  // one block each
  if (f->blocks.count(index) || f->dirty.count(index)) return;  // the whole block is here, maybe newer
  // Pieces of one block from one reply do not overlap; an older one that does is replaced
  // (so that no two pieces ever overlap).
  std::vector<int64_t> older;
  for (auto it = FirstOverlapping(f->pieces, start); it != f->pieces.end() && it->first < start + static_cast<int64_t>(len); ++it) {
    older.push_back(it->first);
  }
  for (int64_t s : older) Forget(f, PieceKey(s));
  int64_t key = PieceKey(start);
  std::vector<uint8_t>& p = f->pieces[start];
  p.assign(bytes, bytes + len);
  f->Overlay(start, p.data(), static_cast<int64_t>(len));
  recency_.Add({f, key}, static_cast<int64_t>(len), false);
  bytes_ += static_cast<int64_t>(len);
  Evict(f, key);
}

void BlockCache::Forget(CachedFile* f, int64_t index) {
  if (index < 0) {
    auto it = f->pieces.find(-1 - index);
    if (it == f->pieces.end()) return;
    bytes_ -= static_cast<int64_t>(it->second.size());
    f->pieces.erase(it);
    recency_.Remove({f, index});
    return;
  }
  if (f->dirty.erase(index)) {
    dirtyBytes_ -= f->blockSize;
    if (!f->Pending()) dirtyFiles_.erase(f);
  }
  auto it = f->blocks.find(index);
  if (it == f->blocks.end()) return;
  Resized(f, -static_cast<int64_t>(it->second.size()));
  f->blocks.erase(it);
  recency_.Remove({f, index});
}

void BlockCache::NameDisk(CachedFile* f, int64_t index, DiskBlock d, bool asked) {
  auto it = f->onDisk.find(index);
  if (it != f->onDisk.end() && it->second.path == d.path && it->second.length == d.length) return;
  if (it == f->onDisk.end() && !asked && f->onDisk.size() >= kMaxNamedDisk) return;
  UnmapDisk(f, index);
  d.fd = -1;
  f->onDisk.emplace(index, std::move(d));
}

bool BlockCache::CanOpenDisk() const { return g_diskFilesOpen < diskLimit_ || !diskOrder_.empty(); }

bool BlockCache::OpenDisk(CachedFile* f, int64_t index) {
  // Room is made by closing this cache's least recently read; with none of its own open,
  // and the process's budget spent by others, the block is read through the bridge.
  while (g_diskFilesOpen >= diskLimit_ && !diskOrder_.empty()) {
    auto oldest = diskOrder_.front();
    CloseDisk(oldest.first->onDisk.at(oldest.second));
  }
  DiskBlock& d = f->onDisk.at(index);
  EntryResult r = g_diskFilesOpen < diskLimit_ ? OpenEntry(d) : EntryResult::kUnavailable;
  if (r != EntryResult::kOk) {
    RefuseDisk(f, index, r);
    return false;
  }
  g_diskFilesOpen++;
  if (!d.opened) diskOpened++;
  d.opened = true;
  diskOrder_.push_back({f, index});
  d.order = std::prev(diskOrder_.end());
  return true;
}

void BlockCache::RefuseDisk(CachedFile* f, int64_t index, EntryResult why) {
  auto it = f->onDisk.find(index);
  if (it == f->onDisk.end()) return;
  if (why == EntryResult::kDamaged) {
    RemoveFile(it->second.path);
    diskDamaged++;
  }
  // A missing entry is no reason to stop asking: the worker knows when the block is on
  // disk. One that is there and cannot be read would be named again at every read.
  if (why == EntryResult::kUnavailable) f->noDisk.insert(index);
  UnmapDisk(f, index);
}

void BlockCache::CloseDisk(DiskBlock& d) {
  if (d.fd < 0) return;
  CloseFd(d.fd);
  d.fd = -1;
  g_diskFilesOpen--;
  diskOrder_.erase(d.order);
  ForgetEntry(d);
}

void BlockCache::UnmapDisk(CachedFile* f, int64_t index) {
  auto it = f->onDisk.find(index);
  if (it == f->onDisk.end()) return;
  CloseDisk(it->second);
  f->onDisk.erase(it);
}

void BlockCache::Evict(CachedFile* spareFile, int64_t spare) {
  SegmentedLru<CachedFile>::Key victim;
  while (bytes_ > static_cast<int64_t>(limit_) && recency_.Victim({spareFile, spare}, &victim)) {
    Forget(victim.first, victim.second);
  }
}

}  // namespace s3vfs
