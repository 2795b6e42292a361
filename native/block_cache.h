// Blocks of the files in the bucket, cached on the main thread so that a read that
// hits never crosses the bridge, plus each file's size so that xFileSize never does.
// Writes land here first (dirty blocks) and cross to the worker in batches at SQLite's
// sync points; the worker decides what to fetch and when to upload.
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "disk_entry.h"
#include "segmented_lru.h"

namespace s3vfs {

class BlockCache;
struct CachedFile;

// The bytes of one block written since it was last handed to the worker, as sorted,
// disjoint [start, end) offsets within the block: a page changed in a 1 MiB block
// crosses as that page, not as the block.
struct DirtyRanges {
  std::vector<std::pair<int64_t, int64_t>> spans;
  void Add(int64_t start, int64_t end);
  int64_t Bytes() const;
};

// The memory a loose write of `bytes` takes, as counted against the cache's limit: a
// journal's 4-byte records cost far more than their bytes (a map node and a vector).
inline int64_t LooseCost(int64_t bytes) { return bytes + 96; }

// What the main thread knows of one file: shared by every handle open on that name.
struct CachedFile {
  CachedFile() = default;
  CachedFile(const CachedFile&) = delete;
  CachedFile& operator=(const CachedFile&) = delete;
  ~CachedFile();
  std::string name;
  int64_t size = -1;        // -1: unknown, ask the worker
  int64_t blockSize = 0;
  std::unordered_map<int64_t, std::vector<uint8_t>> blocks;
  // Byte ranges of blocks not held whole (range GETs), by start offset. The cache's
  // recency knows them by the key PieceKey(start), which is negative so it never meets a
  // block index.
  std::map<int64_t, std::vector<uint8_t>> pieces;
  std::map<int64_t, DirtyRanges> dirty;  // written here, not yet handed to the worker
  // Writes to blocks this thread does not hold, made while its cache was full, by file
  // offset; none crosses a block boundary. They wait to cross in batches with the dirty
  // blocks (a bulk change to a database larger than the cache would otherwise cross once
  // per page), and every block or piece that arrives meanwhile is patched with them.
  std::map<int64_t, std::vector<uint8_t>> loose;
  int writerId = 0;         // the worker handle to hand them over with
  // Until when a read transaction may begin without asking the worker (OP_BEGIN_READ's
  // window, under maxStalenessMs), and the worker's NEWS as it was when it was asked: any
  // news since ends the window.
  std::chrono::steady_clock::time_point freshUntil{};
  int32_t newsSeen = 0;
  // Blocks read from their entries in the disk cache, by index: only blocks with no write
  // made here since (a write forgets the entry first).
  std::unordered_map<int64_t, DiskBlock> onDisk;
  // Blocks whose entries could not be opened (permissions, descriptors): read through the
  // worker until another client's commit, rather than asking for the entry at every read.
  std::unordered_set<int64_t> noDisk;
  // Kept in this thread's memory only (a versioned database's journal, which S3 never
  // needs): never fetched, handed over or evicted, and not counted against the limit.
  bool local = false;

  int64_t BlockLength(int64_t index) const;
  // Whether writes made here have not reached the worker yet: its idea of the size may
  // then be older than this thread's.
  bool Pending() const { return !dirty.empty() || !loose.empty(); }
  // Copies [offset, offset + amount) if every block it needs is cached, or one piece
  // holds it all; false if not.
  bool Read(BlockCache& cache, int64_t offset, int amount, uint8_t* out);
  bool ReadPiece(BlockCache& cache, int64_t offset, int amount, uint8_t* out) const;
  // Reads from the disk-cache entry of the one block that holds the range, if it has one
  // (opening and checking it as it goes); false if it could not.
  bool ReadDisk(BlockCache& cache, int64_t offset, int amount, uint8_t* out);
  // Forgets (and closes) the disk files of blocks [first, last].
  void DropDisk(BlockCache& cache, int64_t first, int64_t last);
  // Whether block `index` is as the worker has it (no write of this thread's own waits in
  // it), so that its file on disk may serve it, and that file could be opened before.
  bool FileOk(int64_t index) const;
  // Forgets the pieces that overlap blocks [first, last].
  void DropPieces(BlockCache& cache, int64_t first, int64_t last);
  // Applies a write to the pieces it overlaps: they stay valid (a page written through to
  // the worker is read back from its piece).
  void PatchPieces(int64_t offset, int64_t end, const uint8_t* data);
  // Applies a write the worker has accepted, to the blocks and pieces that are cached.
  void Write(BlockCache& cache, int64_t offset, const uint8_t* data, int amount);
  // The blocks a write needs and does not have: old content it does not overwrite.
  // False when none is missing; else [*first, *first + *count) covers them.
  bool MissingForWrite(int64_t offset, int amount, int64_t* first, int64_t* count) const;
  // Whether a write can join the loose writes: each part is new, or replaces one of the
  // same place and length; false when it overlaps one of another shape (send them first).
  bool LooseFits(int64_t offset, int amount) const;
  // Keeps a write as loose writes (LooseFits must be true), after Write applied it to what
  // is cached (and forgot the disk files of its blocks).
  void AddLoose(BlockCache& cache, int64_t offset, const uint8_t* data, int amount);
  // Patches [start, start + len) of the file, held at `data`, with the loose writes.
  void Overlay(int64_t start, uint8_t* data, int64_t len) const;
  // Forgets the loose writes (sent, or dropped with the file).
  void ClearLoose(BlockCache& cache);
  // Applies a write here only, marking the blocks dirty (MissingForWrite must be false).
  void WriteBack(BlockCache& cache, int64_t offset, const uint8_t* data, int amount);
  // A local file's read and write: blocks never written read as zeros.
  void ReadLocal(int64_t offset, int amount, uint8_t* out) const;
  void WriteLocal(BlockCache& cache, int64_t offset, const uint8_t* data, int amount);
  void Truncate(BlockCache& cache, int64_t newSize);
  void ApplyToBlock(BlockCache& cache, std::vector<uint8_t>& b, int64_t index, int64_t offset, int64_t end,
                    const uint8_t* data);
  void Drop(BlockCache& cache);
};

class BlockCache {
 public:
  explicit BlockCache(size_t limitBytes);
  CachedFile* File(const std::string& name);
  // Forgets the files SQLite derives from a database (its journal, ...: family.h).
  void DropFamily(const std::string& mainName);
  // Forgets a database and its family files, written blocks included, but keeps the
  // memory journals when keepLocal (after a failed commit, SQLite rolls back from them).
  void ForgetFamily(const std::string& mainName, bool keepLocal);
  void Insert(CachedFile* f, int64_t index, const uint8_t* bytes, size_t len);
  void InsertPiece(CachedFile* f, int64_t start, const uint8_t* bytes, size_t len);
  static int64_t PieceKey(int64_t start) { return -1 - start; }
  // Entry `index` (a block, or a PieceKey) is read at file offset `offset`.
  void Touch(CachedFile* f, int64_t index, int64_t offset) { recency_.Touch({f, index}, offset); }
  void Forget(CachedFile* f, int64_t index);
  // Block `index` of `f` is read from the disk-cache entry `d` names from now on (opened at
  // its first read); one already named keeps its descriptor. Past kMaxNamedDisk entries
  // named in a file, only `asked` ones are (the block a read wants).
  void NameDisk(CachedFile* f, int64_t index, DiskBlock d, bool asked);
  static constexpr size_t kMaxNamedDisk = 8192;
  // Opens the entry of block `index` (named), closing the least recently read past the
  // process's budget; false (and forgotten, deleted if damaged) when it cannot be read.
  bool OpenDisk(CachedFile* f, int64_t index);
  // Whether this thread may open one more entry: within the process's budget, or by closing
  // one of its own.
  bool CanOpenDisk() const;
  // Forgets the entry of block `index`, which could not be opened or read (`why`): a damaged
  // one is deleted, one that cannot be read is not asked for again (CachedFile::noDisk).
  void RefuseDisk(CachedFile* f, int64_t index, EntryResult why);
  void UnmapDisk(CachedFile* f, int64_t index);
  void TouchDisk(DiskBlock& d) { diskOrder_.splice(diskOrder_.end(), diskOrder_, d.order); }
  // Memory the checks of disk-cache chunks read into, reused.
  std::vector<uint8_t>& DiskScratch() { return diskScratch_; }
  void Resized(const CachedFile* f, int64_t delta) { (f->local ? localBytes_ : bytes_) += delta; }
  // Bytes [start, end) of the block were written here.
  void MarkDirty(CachedFile* f, int64_t index, int64_t start, int64_t end);
  // The file's dirty blocks were handed to the worker: they become plain cached blocks.
  void MarkClean(CachedFile* f);
  // Bytes of loose writes were added to (or, negative, dropped from) file `f`.
  void LooseChanged(CachedFile* f, int64_t delta);
  const std::set<CachedFile*>& DirtyFiles() const { return dirtyFiles_; }
  int64_t DirtyBytes() const { return dirtyBytes_; }
  size_t Limit() const { return limit_; }
  int64_t Bytes() const { return bytes_; }
  int64_t LocalBytes() const { return localBytes_; }
  uint64_t hits = 0, misses = 0;
  // Of the hits, those read from disk-cache entries (NameDisk); the entries opened, and
  // those found damaged.
  uint64_t diskReads = 0;
  uint64_t diskOpened = 0;
  uint64_t diskDamaged = 0;
  // Database pages SQLite wrote (xWrite calls on main databases), for stats().
  uint64_t pagesWritten = 0;

 private:
  // Brings the cache under its limit, sparing entry `spare` of `spareFile`.
  void Evict(CachedFile* spareFile = nullptr, int64_t spare = 0);
  size_t limit_;
  int64_t bytes_ = 0;
  int64_t localBytes_ = 0;
  int64_t dirtyBytes_ = 0;
  std::set<CachedFile*> dirtyFiles_;
  std::map<std::string, std::unique_ptr<CachedFile>> files_;
  // Clean blocks and pieces (dirty blocks leave only by being handed to the worker).
  SegmentedLru<CachedFile> recency_;
  // Closes an open entry (it stays named: a later read opens it again).
  void CloseDisk(DiskBlock& d);
  // Open disk-cache entries, least recently read first, and how many may be open
  // (DiskFileLimit).
  std::list<std::pair<CachedFile*, int64_t>> diskOrder_;
  size_t diskLimit_;
  std::vector<uint8_t> diskScratch_;
};

}  // namespace s3vfs
