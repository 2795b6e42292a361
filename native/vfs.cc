#include "vfs.h"

#include "bridge_requests.h"
#include "disk_file.h"
#include "family.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

namespace s3vfs {
namespace {


// A file in the bucket. SQLite allocates szOsFile raw bytes for every file; files
// that stay local are opened by the fallback VFS in the same memory instead.
struct S3File {
  sqlite3_file base;
  Vfs* vfs;
  int id;
  int lockLevel;
  bool isMainDb;
  std::string name;
  CachedFile* cached;  // shared with every other handle on this name
};

S3File* AsS3(sqlite3_file* f) { return reinterpret_cast<S3File*>(f); }

int Call(S3File* f, Bridge::Request req, int failure) {
  req.fileId = f->id;
  return f->vfs->Bridge_().Call(req, failure);
}

bool CanWriteBack(Vfs* vfs, const CachedFile* cf) {
  return cf->size >= 0 && cf->blockSize > 0 &&
         static_cast<size_t>(cf->blockSize) + layout::WRITE_RECORD_HEADER <= vfs->Bridge_().Capacity();
}

// The records of one dirty block: its written ranges, or the whole block when those
// would carry about as much (or the worker asked for it whole).
std::vector<std::pair<int64_t, int64_t>> RecordsOf(const CachedFile* cf, int64_t index, bool whole) {
  int64_t len = static_cast<int64_t>(cf->blocks.at(index).size());
  std::vector<std::pair<int64_t, int64_t>> out;
  if (!whole) {
    const DirtyRanges& d = cf->dirty.at(index);
    int64_t bytes = 0;
    for (const auto& s : d.spans) {
      int64_t e = std::min(s.second, len);
      if (e <= s.first) continue;
      out.push_back({s.first, e});
      bytes += e - s.first + layout::WRITE_RECORD_HEADER;
    }
    if (bytes < len) return out;
    out.clear();
  }
  if (len > 0) out.push_back({0, len});
  return out;
}

// Writes one WRITE_RECORD at `out`; returns its size.
size_t PutRecord(uint8_t* out, int64_t index, int32_t at, const uint8_t* bytes, int32_t len) {
  std::memcpy(out + layout::WRITE_RECORD_INDEX, &index, 8);
  std::memcpy(out + layout::WRITE_RECORD_OFFSET, &at, 4);
  std::memcpy(out + layout::WRITE_RECORD_LENGTH, &len, 4);
  std::memcpy(out + layout::WRITE_RECORD_HEADER, bytes, len);
  return layout::WRITE_RECORD_HEADER + len;
}

// Hands a file's loose writes to the worker (OP_WRITE_PAGES), as many records as fit in
// each crossing, in offset order: none overlaps another, so order among them is free.
// They go before the file's dirty blocks, which are newer where they overlap (a block
// that arrived after a loose write was patched with it, then written).
int SendLoose(Vfs* vfs, CachedFile* cf) {
  Bridge& bridge = vfs->Bridge_();
  auto it = cf->loose.begin();
  while (it != cf->loose.end()) {
    uint8_t* out = bridge.PayloadArea();
    size_t used = 0;
    int n = 0;
    for (; it != cf->loose.end(); ++it) {
      size_t need = layout::WRITE_RECORD_HEADER + it->second.size();
      if (used + need > bridge.Capacity()) break;
      int64_t index = it->first / cf->blockSize;
      used += PutRecord(out + used, index, static_cast<int32_t>(it->first - index * cf->blockSize), it->second.data(),
                        static_cast<int32_t>(it->second.size()));
      n++;
    }
    if (n == 0) return SQLITE_IOERR_WRITE;
    Bridge::Request req = requests::WritePages(n, out, used);
    req.fileId = cf->writerId;
    int rc = bridge.Call(req, SQLITE_IOERR_WRITE);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// Hands a file's dirty blocks to the worker, built in place in the shared buffer as
// records of (int64 block index, int32 offset in the block, int32 length, bytes), as
// many as fit in one crossing, with the file's size. A page changed in a large block
// crosses as that page. The worker answers with the blocks it does not hold to apply
// such a change to (evicted from its cache): those cross again whole.
int SendDirty(Vfs* vfs, CachedFile* cf) {
  Bridge& bridge = vfs->Bridge_();
  if (!cf->loose.empty()) {
    int rc = SendLoose(vfs, cf);
    if (rc != SQLITE_OK) return rc;
  }
  std::vector<std::pair<int64_t, bool>> queue;  // block index, send it whole
  std::set<int64_t> sentWhole;
  for (const auto& kv : cf->dirty) {
    if (cf->blocks.count(kv.first)) queue.push_back({kv.first, false});
  }
  size_t next = 0;
  while (next < queue.size()) {
    uint8_t* out = bridge.PayloadArea();
    size_t used = 0;
    int n = 0;
    for (; next < queue.size(); next++) {
      int64_t index = queue[next].first;
      auto records = RecordsOf(cf, index, queue[next].second);
      size_t need = 0;
      for (const auto& r : records) need += layout::WRITE_RECORD_HEADER + (r.second - r.first);
      if (used + need > bridge.Capacity()) break;
      const uint8_t* block = cf->blocks.at(index).data();
      if (records.size() == 1 && records[0].first == 0 && records[0].second == static_cast<int64_t>(cf->blocks.at(index).size())) {
        sentWhole.insert(index);
      }
      for (const auto& r : records) {
        used += PutRecord(out + used, index, static_cast<int32_t>(r.first), block + r.first, static_cast<int32_t>(r.second - r.first));
        n++;
      }
    }
    if (n == 0 && next < queue.size()) return SQLITE_IOERR_WRITE;
    Bridge::Request req = requests::WriteBlocks(cf->size, n, out, used);
    req.fileId = cf->writerId;
    int rc = bridge.Call(req, SQLITE_IOERR_WRITE);
    if (rc != SQLITE_OK) return rc;
    const uint8_t* missing = bridge.Data();
    for (int k = 0; k < bridge.Result() && (k + 1) * 8 <= bridge.ReplyLen(); k++) {
      int64_t index;
      std::memcpy(&index, missing + 8 * k, 8);
      if (!cf->blocks.count(index) || !cf->dirty.count(index) || sentWhole.count(index)) return SQLITE_IOERR_WRITE;
      queue.push_back({index, true});
    }
  }
  vfs->Cache().MarkClean(cf);
  return SQLITE_OK;
}

// Before a sync, an unlock, a truncate, a delete or a close: the worker must have every
// write, since it uploads them and keeps SQLite's order (journal, then database).
int SendAllDirty(Vfs* vfs) {
  while (!vfs->Cache().DirtyFiles().empty()) {
    int rc = SendDirty(vfs, *vfs->Cache().DirtyFiles().begin());
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// Makes what was written durable in the bucket: every pending write crosses, then the
// worker uploads (OP_SYNC: a sync, a versioned database's commit; OP_PHASE_TWO and
// OP_END_WRITE: the journal's finalisation and what is left).
// - A failed sync leaves everything as it is, as a disk that fails an fsync keeps the
//   data written: SQLite rolls the transaction back from its journal, which it reads here.
// - Once the journal is finalised, a failure leaves the bucket with a hot journal that this
//   thread no longer has: what it caches of the database and journal is dropped and read
//   again (the worker does the same), so that SQLite finds that journal and rolls back,
//   as every other reader will. A memory journal stays.
// - The worker may also say that it dropped writes it will never commit (RESULT 1, even
//   with a failure: a versioned commit that failed), and this thread drops its copy too.
int MakeDurable(S3File* f, int op, int failure) {
  Vfs* vfs = f->vfs;
  int rc = SendAllDirty(vfs);
  bool called = rc == SQLITE_OK;
  if (called) rc = Call(f, {op}, failure);
  // Only this call's answer says so: a failed send leaves an earlier call's result there.
  bool dropped = called && vfs->Bridge_().Result() == 1;
  if (dropped || (rc != SQLITE_OK && op != layout::OP_SYNC)) vfs->Cache().ForgetFamily(vfs->MainOf(f->name), /*keepLocal=*/true);
  return rc;
}

int xClose(sqlite3_file* pf) {
  S3File* f = AsS3(pf);
  Vfs* vfs = f->vfs;
  int rc = SendAllDirty(vfs);
  int crc = Call(f, {layout::OP_CLOSE}, SQLITE_IOERR_CLOSE);
  // A close that failed to upload (a seed-layout journal) left the worker reading the family
  // from the bucket again: what this thread knows of it (a journal's size, for xAccess) is
  // dropped too, or SQLite would look for a hot journal the bucket never received.
  if (crc != SQLITE_OK || vfs->Bridge_().Result() == 1) vfs->Cache().ForgetFamily(vfs->MainOf(f->name), /*keepLocal=*/true);
  if (rc == SQLITE_OK) rc = crc;
  if (f->isMainDb) {
    vfs->Locks().Unlock(f->vfs->LockKey(f->name), f, &f->lockLevel, SQLITE_LOCK_NONE);
    vfs->RemoveOpen(f->name);
    // The next open checks the database afresh anyway: its disk files need not stay open.
    if (!vfs->IsOpenMain(f->name)) f->cached->DropDisk(vfs->Cache(), 0, INT64_MAX);
  } else {
    vfs->FileClosed();
  }
  f->~S3File();
  return rc;
}

// The bytes past the end of the file, which a short read must zero.
int ShortRead(CachedFile* cf, uint8_t* out, int amount, sqlite3_int64 offset) {
  int64_t have = std::max<int64_t>(0, std::min<int64_t>(amount, cf->size - offset));
  if (have == amount) return SQLITE_OK;
  std::memset(out + have, 0, amount - have);
  return SQLITE_IOERR_SHORT_READ;
}

constexpr int kNotCacheable = -1;

// Whether a block more would push another out of the cache.
bool CacheFull(BlockCache& cache, const CachedFile* cf) {
  return cache.Bytes() + cf->blockSize > static_cast<int64_t>(cache.Limit());
}

// Fetches blocks into the cache: one crossing, usually more than asked for. A read
// passes the bytes it wants, and the worker may answer with a piece of a block around
// them instead (a range GET: its choice); a write needs whole blocks and passes none.
int FetchBlocks(S3File* f, int64_t first, int64_t needed, int64_t wantOffset = -1, int wantAmount = 0) {
  CachedFile* cf = f->cached;
  Bridge& bridge = f->vfs->Bridge_();
  if (cf->blockSize <= 0 || static_cast<size_t>(cf->blockSize) > bridge.Capacity()) return kNotCacheable;
  int64_t fit = static_cast<int64_t>(bridge.Capacity()) / cf->blockSize;
  uint8_t want[layout::READ_WANT_BYTES];
  if (wantOffset >= 0) {
    int32_t flags = CacheFull(f->vfs->Cache(), cf) ? layout::READ_WANT_CACHE_FULL : 0;
    if (cf->FileOk(wantOffset / cf->blockSize) && f->vfs->Cache().CanOpenDisk()) flags |= layout::READ_WANT_FILE_OK;
    std::memcpy(want + layout::READ_WANT_OFFSET, &wantOffset, 8);
    std::memcpy(want + layout::READ_WANT_AMOUNT, &wantAmount, 4);
    std::memcpy(want + layout::READ_WANT_FLAGS, &flags, 4);
  }
  int rc = Call(f, requests::ReadBlocks(first, static_cast<int>(std::min(needed, fit)), wantOffset >= 0 ? want : nullptr),
                SQLITE_IOERR_READ);
  if (rc != SQLITE_OK) return rc;
  // The worker's size: this file's own may be larger by writes not handed over yet.
  int64_t workerSize = static_cast<int64_t>(bridge.F64Result());
  if (!cf->Pending()) cf->size = workerSize;
  const uint8_t* at = bridge.Data();
  const uint8_t* end = at + bridge.ReplyLen();
  if (bridge.Result() == layout::READ_BLOCKS_FILE) {
    // Entries in the disk cache for the block asked for and others near it: opened when
    // first read. One this thread has written to since is not that entry.
    while (end - at >= layout::READ_FILE_HEADER) {
      int64_t index, length;
      int32_t flags, pathLen;
      DiskBlock d;
      std::memcpy(&index, at + layout::READ_FILE_INDEX, 8);
      std::memcpy(&length, at + layout::READ_FILE_LENGTH, 8);
      std::memcpy(&d.crc, at + layout::READ_FILE_CRC, 4);
      std::memcpy(&flags, at + layout::READ_FILE_FLAGS, 4);
      std::memcpy(&pathLen, at + layout::READ_FILE_PATH_LEN, 4);
      at += layout::READ_FILE_HEADER;
      if (pathLen < 0 || end - at < pathLen) return SQLITE_IOERR_READ;
      d.path.assign(reinterpret_cast<const char*>(at), static_cast<size_t>(pathLen));
      at += pathLen;
      d.length = length;
      d.crcKnown = (flags & layout::READ_FILE_CRC_KNOWN) != 0;
      if (index >= 0 && length > 0 && length == cf->BlockLength(index) && cf->FileOk(index)) {
        f->vfs->Cache().NameDisk(cf, index, std::move(d), index == first);
      }
    }
    return SQLITE_OK;
  }
  if (bridge.Result() == layout::READ_BLOCKS_PIECE) {
    int64_t start;
    if (end - at < 8) return SQLITE_IOERR_READ;
    std::memcpy(&start, at, 8);
    f->vfs->Cache().InsertPiece(cf, start, at + 8, end - at - 8);
    return SQLITE_OK;
  }
  for (int64_t i = first; i < first + bridge.Result(); i++) {
    size_t len = static_cast<size_t>(std::max<int64_t>(0, std::min(cf->blockSize, workerSize - i * cf->blockSize)));
    if (at + len > end) break;
    f->vfs->Cache().Insert(cf, i, at, len);
    at += len;
  }
  return SQLITE_OK;
}

int xRead(sqlite3_file* pf, void* buf, int amount, sqlite3_int64 offset) {
  S3File* f = AsS3(pf);
  CachedFile* cf = f->cached;
  uint8_t* out = static_cast<uint8_t*>(buf);
  BlockCache& cache = f->vfs->Cache();
  if (cf->local) {
    cf->ReadLocal(offset, amount, out);
    return ShortRead(cf, out, amount, offset);
  }
  if (cf->Read(cache, offset, amount, out)) {
    cache.hits++;
    return ShortRead(cf, out, amount, offset);
  }
  cache.misses++;
  // A disk file that failed to read is forgotten: the worker answers for the block again.
  if (cf->blockSize > 0) cf->DropDisk(cache, offset / cf->blockSize, offset / cf->blockSize);
  if (cf->size >= 0 && cf->blockSize > 0) {
    int64_t first = offset / cf->blockSize;
    int64_t last = (std::min<int64_t>(offset + amount, cf->size) - 1) / cf->blockSize;
    int rc = FetchBlocks(f, first, last - first + 1, offset, amount);
    if (rc == SQLITE_OK && cf->Read(cache, offset, amount, out)) return ShortRead(cf, out, amount, offset);
    if (rc != SQLITE_OK && rc != kNotCacheable) return rc;
  }
  // Blocks too large for the shared buffer (or a read the cache could not keep): read the
  // bytes themselves, uncached, from a worker that has every write made here.
  if (cf->Pending()) {
    int rc = SendDirty(f->vfs, cf);
    if (rc != SQLITE_OK) return rc;
  }
  Bridge& bridge = f->vfs->Bridge_();
  int done = 0;
  while (done < amount) {
    int chunk = static_cast<int>(std::min<size_t>(amount - done, bridge.Capacity()));
    int rc = Call(f, requests::Read(offset + done, chunk), SQLITE_IOERR_READ);
    if (rc != SQLITE_OK) return rc;
    int got = std::min(bridge.ReplyLen(), chunk);
    std::memcpy(out + done, bridge.Data(), got);
    done += got;
    if (got < chunk) {
      // SQLite requires the unread tail of a short read to be zeroed.
      std::memset(out + done, 0, amount - done);
      return SQLITE_IOERR_SHORT_READ;
    }
  }
  return SQLITE_OK;
}

// Writes stay in this thread's cache (dirty) until SQLite syncs, unlocks, truncates,
// deletes or closes: then they cross to the worker in a few large crossings instead of
// one per page (and SQLite writes each journal record in three pieces).
int WriteBack(S3File* f, const uint8_t* in, int amount, sqlite3_int64 offset) {
  Vfs* vfs = f->vfs;
  CachedFile* cf = f->cached;
  // Journal data must reach the worker before database data, and database data before
  // the journal is finalised: another file's pending writes go first.
  for (CachedFile* other : std::vector<CachedFile*>(vfs->Cache().DirtyFiles().begin(), vfs->Cache().DirtyFiles().end())) {
    if (other == cf) continue;
    int rc = SendDirty(vfs, other);
    if (rc != SQLITE_OK) return rc;
  }
  int64_t first, count;
  if (cf->MissingForWrite(offset, amount, &first, &count)) {
    if (CacheFull(vfs->Cache(), cf)) {
      // Rather than fetch the whole block across the bridge and evict another, the write
      // waits as it is (a loose write), patched into what is cached, to cross in a batch.
      if (!cf->LooseFits(offset, amount)) {
        int rc = SendDirty(vfs, cf);
        if (rc != SQLITE_OK) return rc;
      }
      cf->writerId = f->id;
      cf->Write(vfs->Cache(), offset, in, amount);
      cf->AddLoose(vfs->Cache(), offset, in, amount);
      if (vfs->Cache().DirtyBytes() > static_cast<int64_t>(vfs->Cache().Limit() / 2)) return SendDirty(vfs, cf);
      return SQLITE_OK;
    }
    int rc = FetchBlocks(f, first, count);
    if (rc != SQLITE_OK) return rc;
    if (cf->MissingForWrite(offset, amount, &first, &count)) return kNotCacheable;
  }
  cf->writerId = f->id;
  cf->WriteBack(vfs->Cache(), offset, in, amount);
  if (vfs->Cache().DirtyBytes() > static_cast<int64_t>(vfs->Cache().Limit() / 2)) return SendDirty(vfs, cf);
  return SQLITE_OK;
}

int xWrite(sqlite3_file* pf, const void* buf, int amount, sqlite3_int64 offset) {
  S3File* f = AsS3(pf);
  Bridge& bridge = f->vfs->Bridge_();
  const uint8_t* in = static_cast<const uint8_t*>(buf);
  if (f->isMainDb) f->vfs->Cache().pagesWritten++;
  if (f->cached->local) {
    f->cached->WriteLocal(f->vfs->Cache(), offset, in, amount);
    return SQLITE_OK;
  }
  if (CanWriteBack(f->vfs, f->cached)) {
    int rc = WriteBack(f, in, amount, offset);
    if (rc != kNotCacheable) return rc;
  }
  // Blocks too large for the shared buffer: the bytes go to the worker as they come, after
  // what this file has pending.
  int rc = SendDirty(f->vfs, f->cached);
  if (rc != SQLITE_OK) return rc;
  int done = 0;
  while (done < amount) {
    int chunk = static_cast<int>(std::min<size_t>(amount - done, bridge.Capacity()));
    int rc = Call(f, requests::Write(offset + done, in + done, chunk), SQLITE_IOERR_WRITE);
    if (rc != SQLITE_OK) return rc;
    f->cached->Write(f->vfs->Cache(), offset + done, in + done, chunk);
    done += chunk;
  }
  return SQLITE_OK;
}

int xTruncate(sqlite3_file* pf, sqlite3_int64 size) {
  S3File* f = AsS3(pf);
  if (f->cached->local) {
    f->cached->Truncate(f->vfs->Cache(), size);
    return SQLITE_OK;
  }
  int rc = SendAllDirty(f->vfs);
  if (rc != SQLITE_OK) return rc;
  rc = Call(f, requests::Truncate(size), SQLITE_IOERR_TRUNCATE);
  if (rc == SQLITE_OK) f->cached->Truncate(f->vfs->Cache(), size);
  return rc;
}

int xSync(sqlite3_file* pf, int flags) {
  S3File* f = AsS3(pf);
  if (f->cached->local) return SQLITE_OK;  // nothing of it ever needs to be durable
  return MakeDurable(f, layout::OP_SYNC, SQLITE_IOERR_FSYNC);
}

int xFileSize(sqlite3_file* pf, sqlite3_int64* size) {
  S3File* f = AsS3(pf);
  if (f->cached->size >= 0) {
    *size = f->cached->size;
    return SQLITE_OK;
  }
  int rc = Call(f, {layout::OP_FILE_SIZE}, SQLITE_IOERR_FSTAT);
  *size = rc == SQLITE_OK ? static_cast<sqlite3_int64>(f->vfs->Bridge_().F64Result()) : 0;
  if (rc == SQLITE_OK) f->cached->size = *size;
  return rc;
}

// Whether a read transaction may begin on what this thread holds without asking the worker:
// within the window the worker gave (maxStalenessMs: what it holds is no older than that
// allows until then), with no news from it since, and nothing written here pending.
bool FreshWithoutAsking(S3File* f) {
  const CachedFile* cf = f->cached;
  return cf->size >= 0 && !cf->Pending() && cf->newsSeen == f->vfs->Bridge_().News() &&
         std::chrono::steady_clock::now() < cf->freshUntil;
}

int xLock(sqlite3_file* pf, int level) {
  S3File* f = AsS3(pf);
  if (!f->isMainDb) return SQLITE_OK;
  int before = f->lockLevel;
  int rc = f->vfs->Locks().Lock(f->vfs->LockKey(f->name), f, &f->lockLevel, level);
  if (rc == SQLITE_OK && before == SQLITE_LOCK_NONE && !FreshWithoutAsking(f)) {
    // A new read transaction: the worker checks whether another process changed the
    // database since its cached copy was read.
    int32_t news = f->vfs->Bridge_().News();  // before the call: news during it ends the window
    auto asked = std::chrono::steady_clock::now();  // and the window counts from the question
    int vrc = Call(f, {layout::OP_BEGIN_READ}, SQLITE_IOERR_LOCK);
    if (vrc != SQLITE_OK) {
      f->vfs->Locks().Unlock(f->vfs->LockKey(f->name), f, &f->lockLevel, SQLITE_LOCK_NONE);
      return vrc;
    }
    Bridge& bridge = f->vfs->Bridge_();
    if (bridge.Result()) {
      // Another client committed: what this thread cached of the file is stale, and the
      // database may have been replaced with another block size (a deserialize).
      int64_t blockSize = bridge.Result3() > 0 ? bridge.Result3() : f->cached->blockSize;
      f->cached->Drop(f->vfs->Cache());
      f->cached->blockSize = blockSize;
      f->vfs->Cache().DropFamily(f->name);
    }
    if (!f->cached->Pending()) f->cached->size = static_cast<int64_t>(bridge.F64Result());
    f->cached->freshUntil = asked + std::chrono::milliseconds(std::max(0, bridge.Result2()));
    f->cached->newsSeen = news;
  }
  if (rc == SQLITE_OK && before < SQLITE_LOCK_RESERVED && level >= SQLITE_LOCK_RESERVED) {
    // What this transaction writes is news the worker does not count: the next read
    // transaction asks again.
    f->cached->freshUntil = {};
    // A write transaction: the worker takes the database's write lease, if it has one.
    int wrc = Call(f, {layout::OP_BEGIN_WRITE}, SQLITE_IOERR_LOCK);
    if (wrc != SQLITE_OK) {
      f->vfs->Locks().Unlock(f->vfs->LockKey(f->name), f, &f->lockLevel, before);
      return wrc;
    }
  }
  return rc;
}

int xUnlock(sqlite3_file* pf, int level) {
  S3File* f = AsS3(pf);
  if (!f->isMainDb) return SQLITE_OK;
  int before = f->lockLevel;
  int rc = f->vfs->Locks().Unlock(f->vfs->LockKey(f->name), f, &f->lockLevel, level);
  if (before > SQLITE_LOCK_SHARED && level <= SQLITE_LOCK_SHARED) {
    // End of a write transaction (a rollback's too): a seed-layout family's writes reach the
    // bucket; a versioned database's writes that no commit took are dropped.
    int wrc = MakeDurable(f, layout::OP_END_WRITE, SQLITE_IOERR_UNLOCK);
    if (wrc != SQLITE_OK) return wrc;
  }
  return rc;
}

int xCheckReservedLock(sqlite3_file* pf, int* out) {
  S3File* f = AsS3(pf);
  *out = f->isMainDb && f->vfs->Locks().Reserved(f->vfs->LockKey(f->name)) ? 1 : 0;
  return SQLITE_OK;
}

// A PRAGMA on the database: the worker refuses the settings its layout cannot make safe
// (a message in the reply); others go on to SQLite.
int Pragma(S3File* f, char** args) {
  if (!args[1] || !args[2] || sqlite3_stricmp(args[1], "journal_mode") != 0) return SQLITE_NOTFOUND;
  std::string payload = std::string(args[1]) + '\0' + args[2];
  int rc = Call(f, requests::Pragma(payload), SQLITE_IOERR);
  if (rc != SQLITE_OK) return rc;
  Bridge& bridge = f->vfs->Bridge_();
  if (bridge.ReplyLen() <= 0) return SQLITE_NOTFOUND;
  args[0] = sqlite3_mprintf("%.*s", bridge.ReplyLen(), reinterpret_cast<const char*>(bridge.Data()));
  return SQLITE_ERROR;
}

int xFileControl(sqlite3_file* pf, int op, void* arg) {
  S3File* f = AsS3(pf);
  if (!f->isMainDb) return SQLITE_NOTFOUND;
  switch (op) {
    case SQLITE_FCNTL_SYNC:
      // A commit's durability point, sent even with synchronous=OFF (when no xSync
      // follows): the commit happens here, and its failure fails the COMMIT.
      return MakeDurable(f, layout::OP_SYNC, SQLITE_IOERR_FSYNC);
    case SQLITE_FCNTL_COMMIT_PHASETWO:
      // The journal was finalised (deleted, truncated or zeroed): the seed layout's real
      // commit point, which must be in the bucket before COMMIT returns.
      return MakeDurable(f, layout::OP_PHASE_TWO, SQLITE_IOERR_FSYNC);
    case SQLITE_FCNTL_PRAGMA:
      return Pragma(f, static_cast<char**>(arg));
    default:
      return SQLITE_NOTFOUND;
  }
}
int xSectorSize(sqlite3_file*) { return 0; }
int xDeviceCharacteristics(sqlite3_file*) { return 0; }

// The methods of a file in the bucket, slot by slot (sqlite3.h lists them in this order).
const sqlite3_io_methods kIoMethods = {
    1,                        // iVersion: no shared memory (WAL is refused) and no mmap
    xClose,                   // hands the file back to the worker; a database drops what it never committed
    xRead,                    // from the main thread's block cache, crossing the bridge on a miss
    xWrite,                   // into the cache; changed ranges cross in batches (OP_WRITE_BLOCKS)
    xTruncate,                // OP_TRUNCATE
    xSync,                    // OP_SYNC: pending writes go up (seed layout); a versioned database commits
    xFileSize,                // from the cache; the worker's size after a revalidation
    xLock,                    // the process's lock table; RESERVED also takes a versioned database's lease
    xUnlock,                  // the lock table; leaving RESERVED ends the write (OP_END_WRITE)
    xCheckReservedLock,       // the lock table: this process's connections only (other processes: the lease)
    xFileControl,             // pragmas the layout refuses, COMMIT_PHASETWO, SYNC; others NOTFOUND
    xSectorSize,              // 0: SQLite's default (4096)
    xDeviceCharacteristics,   // 0: no atomic or sequential writes claimed, so SQLite journals as for a disk
    nullptr,                  // xShmMap: no WAL
    nullptr,                  // xShmLock
    nullptr,                  // xShmBarrier
    nullptr,                  // xShmUnmap
    nullptr,                  // xFetch: iVersion 1, no memory-mapped I/O
    nullptr,                  // xUnfetch
};

bool IsLocalKind(int flags) {
  return flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_SUBJOURNAL |
                  SQLITE_OPEN_TRANSIENT_DB);
}

int vOpen(sqlite3_vfs* pv, sqlite3_filename zName, sqlite3_file* pf, int flags, int* outFlags) {
  Vfs* vfs = Vfs::From(pv);
  sqlite3_vfs* fb = vfs->Fallback();
  if (!zName || IsLocalKind(flags) || !vfs->OnOwnerThread()) {
    return fb->xOpen(fb, zName, pf, flags, outFlags);
  }
  int rc = vfs->Bridge_().Call(requests::Open(zName, flags), SQLITE_CANTOPEN);
  if (rc != SQLITE_OK) {
    pf->pMethods = nullptr;  // tells SQLite there is nothing to close
    return rc;
  }
  S3File* f = new (pf) S3File();
  f->base.pMethods = &kIoMethods;
  f->vfs = vfs;
  f->id = vfs->Bridge_().Result();
  f->lockLevel = SQLITE_LOCK_NONE;
  f->isMainDb = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  f->name = zName;
  f->cached = vfs->Cache().File(f->name);
  if (f->isMainDb && !vfs->IsOpenMain(f->name)) {
    // The worker checked the database afresh for this open; so does this cache.
    f->cached->Drop(vfs->Cache());
    vfs->Cache().DropFamily(f->name);
  }
  bool local = vfs->Bridge_().Result3() != 0;
  if (f->cached->local != local) {
    f->cached->Drop(vfs->Cache());
    f->cached->local = local;
  }
  if (!local) {
    // Writes of another handle not yet handed over may have grown the file beyond what the
    // worker knows: this thread's size is the newer one then.
    if (!f->cached->Pending()) f->cached->size = static_cast<int64_t>(vfs->Bridge_().F64Result());
    f->cached->blockSize = vfs->Bridge_().Result2();
  } else if (f->cached->size <= 0) {
    // A memory journal is this thread's alone: what it holds outlives a close, as a file's would.
    f->cached->size = 0;
    f->cached->blockSize = vfs->Bridge_().Result2();
  }
  if (f->isMainDb) {
    vfs->AddOpen(f->name);
  } else {
    vfs->FileOpened();
  }
  if (outFlags) *outFlags = flags;
  return SQLITE_OK;
}

int vDelete(sqlite3_vfs* pv, const char* zName, int syncDir) {
  Vfs* vfs = Vfs::From(pv);
  if (!vfs->OnOwnerThread() || !vfs->InStore(zName)) {
    return vfs->Fallback()->xDelete(vfs->Fallback(), zName, syncDir);
  }
  CachedFile* cf = vfs->Cache().File(zName);
  if (cf->local) {
    cf->Drop(vfs->Cache());
    cf->size = 0;
    return SQLITE_OK;
  }
  int rc = SendAllDirty(vfs);
  if (rc != SQLITE_OK) return rc;
  rc = vfs->Bridge_().Call(requests::Delete(zName), SQLITE_IOERR_DELETE);
  cf->Drop(vfs->Cache());
  if (rc == SQLITE_OK) cf->size = 0;
  return rc;
}

int vAccess(sqlite3_vfs* pv, const char* zName, int flags, int* out) {
  Vfs* vfs = Vfs::From(pv);
  if (!vfs->OnOwnerThread() || !vfs->InStore(zName)) {
    return vfs->Fallback()->xAccess(vfs->Fallback(), zName, flags, out);
  }
  CachedFile* cf = vfs->Cache().File(zName);
  if (flags == SQLITE_ACCESS_EXISTS && cf->size >= 0) {
    // Known since it was opened or deleted here, and dropped if another client changed
    // its database: the hot-journal check of each transaction needs no crossing.
    *out = cf->size > 0 ? 1 : 0;
    return SQLITE_OK;
  }
  int rc = vfs->Bridge_().Call(requests::Access(zName, flags), SQLITE_IOERR_ACCESS);
  *out = rc == SQLITE_OK ? vfs->Bridge_().Result() : 0;
  // Remember an absent journal or WAL: SQLite asks again at every transaction.
  if (rc == SQLITE_OK && flags == SQLITE_ACCESS_EXISTS && *out == 0) cf->size = 0;
  return rc;
}

int vFullPathname(sqlite3_vfs* pv, const char* zName, int nOut, char* zOut) {
  Vfs* vfs = Vfs::From(pv);
  if (!vfs->OnOwnerThread()) return vfs->Fallback()->xFullPathname(vfs->Fallback(), zName, nOut, zOut);
  // Keys are names in the bucket, not paths: no working directory is prepended.
  size_t n = std::strlen(zName);
  if (static_cast<int>(n) >= nOut) return SQLITE_CANTOPEN;
  std::memcpy(zOut, zName, n + 1);
  return SQLITE_OK;
}

// The rest is the fallback VFS's business.
#define FB(v) (Vfs::From(v)->Fallback())
void* vDlOpen(sqlite3_vfs* v, const char* z) { return FB(v)->xDlOpen(FB(v), z); }
void vDlError(sqlite3_vfs* v, int n, char* z) { FB(v)->xDlError(FB(v), n, z); }
void (*vDlSym(sqlite3_vfs* v, void* h, const char* z))(void) { return FB(v)->xDlSym(FB(v), h, z); }
void vDlClose(sqlite3_vfs* v, void* h) { FB(v)->xDlClose(FB(v), h); }
int vRandomness(sqlite3_vfs* v, int n, char* z) { return FB(v)->xRandomness(FB(v), n, z); }
int vSleep(sqlite3_vfs* v, int us) { return FB(v)->xSleep(FB(v), us); }
int vCurrentTime(sqlite3_vfs* v, double* t) { return FB(v)->xCurrentTime(FB(v), t); }
int vGetLastError(sqlite3_vfs* v, int n, char* z) { return FB(v)->xGetLastError(FB(v), n, z); }
int vCurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* t) { return FB(v)->xCurrentTimeInt64(FB(v), t); }
#undef FB

}  // namespace

Vfs::Vfs(const std::string& name, const std::string& lockSpace, sqlite3_vfs* fallback, std::unique_ptr<Bridge> bridge,
         size_t cacheBytes)
    : name_(name),
      lockSpace_(lockSpace),
      fallback_(fallback),
      bridge_(std::move(bridge)),
      cache_(cacheBytes),
      owner_(std::this_thread::get_id()) {
  std::memset(&base_, 0, sizeof(base_));
  base_.iVersion = 2;             // up to xCurrentTimeInt64; no xSetSystemCall (version 3)
  // Temporary files go to the fallback in the same sqlite3_file: room for either.
  base_.szOsFile = static_cast<int>(std::max<size_t>(sizeof(S3File), fallback->szOsFile));
  base_.mxPathname = std::max(fallback->mxPathname, 1024);  // a prefix may be up to 900 bytes
  base_.zName = name_.c_str();    // the S3VFS's name, unique in the process
  base_.pAppData = this;          // Vfs::From
  base_.xOpen = vOpen;            // the bucket's files over the bridge, temporary ones to the fallback
  base_.xDelete = vDelete;        // OP_DELETE (a journal's end in the seed layout)
  base_.xAccess = vAccess;        // OP_ACCESS: does a hot journal exist?
  base_.xFullPathname = vFullPathname;  // a prefix is already a full name: unchanged
  base_.xDlOpen = vDlOpen;        // the xDl*, randomness, sleep and time methods: the fallback's
  base_.xDlError = vDlError;
  base_.xDlSym = vDlSym;
  base_.xDlClose = vDlClose;
  base_.xRandomness = vRandomness;
  base_.xSleep = vSleep;
  base_.xCurrentTime = vCurrentTime;
  base_.xGetLastError = vGetLastError;
  base_.xCurrentTimeInt64 = vCurrentTimeInt64;
}

Vfs::~Vfs() = default;

bool Vfs::InStore(const char* name) const {
  std::string n(name);
  for (const auto& kv : mains_) {
    if (InFamily(n, kv.first)) return true;
  }
  return false;
}

std::string Vfs::MainOf(const std::string& name) const {
  std::string best = name;
  size_t bestLen = 0;
  for (const auto& kv : mains_) {
    const std::string& main = kv.first;
    if (InFamily(name, main) && main.size() > bestLen) {
      best = main;
      bestLen = main.size();
    }
  }
  return best;
}

void Vfs::RemoveOpen(const std::string& name) {
  auto it = mains_.find(name);
  if (it != mains_.end() && --it->second == 0) mains_.erase(it);
  openFiles_--;
}

}  // namespace s3vfs
