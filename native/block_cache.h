// Blocks of the files in the bucket, cached on the main thread so that a read that
// hits never crosses the bridge, plus each file's size so that xFileSize never does.
// Writes still go to the worker (it owns durability); this copy is updated alongside.
// The worker decides policy (what to fetch, when to upload); this is only a cache.
#pragma once
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace s3vfs {

class BlockCache;

// What the main thread knows of one file: shared by every handle open on that name.
struct CachedFile {
  std::string name;
  int64_t size = -1;        // -1: unknown, ask the worker
  int64_t blockSize = 0;
  std::unordered_map<int64_t, std::vector<uint8_t>> blocks;
  std::unordered_map<int64_t, std::list<std::pair<CachedFile*, int64_t>>::iterator> lruPos;

  int64_t BlockLength(int64_t index) const;
  // Copies [offset, offset + amount) if every block it needs is cached; false if not.
  bool Read(BlockCache& cache, int64_t offset, int amount, uint8_t* out) const;
  // Applies a write the worker has accepted, to the blocks that are cached.
  void Write(BlockCache& cache, int64_t offset, const uint8_t* data, int amount);
  void Truncate(BlockCache& cache, int64_t newSize);
  void Drop(BlockCache& cache);
};

class BlockCache {
 public:
  explicit BlockCache(size_t limitBytes) : limit_(limitBytes) {}
  CachedFile* File(const std::string& name);
  // Forgets the files whose name starts with `prefix` (a database's journal, ...).
  void DropFamily(const std::string& mainName);
  void Insert(CachedFile* f, int64_t index, const uint8_t* bytes, size_t len);
  void Touch(CachedFile* f, int64_t index);
  void Forget(CachedFile* f, int64_t index);
  void Resized(int64_t delta) { bytes_ += delta; }
  int64_t Bytes() const { return bytes_; }
  uint64_t hits = 0, misses = 0;

 private:
  void Evict();
  size_t limit_;
  int64_t bytes_ = 0;
  std::map<std::string, std::unique_ptr<CachedFile>> files_;
  std::list<std::pair<CachedFile*, int64_t>> lru_;  // front: least recently used
  friend struct CachedFile;
};

}  // namespace s3vfs
