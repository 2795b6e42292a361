// Which cached entry goes first when the cache is over its limit: a segmented LRU that a
// scan cannot flush. A plain LRU keeps whatever was read last, so one pass over a large
// index (or a table) pushes out the B-tree pages every lookup needs, and with a working
// set a little larger than the cache every access misses.
//
// An entry starts in the probation segment and moves to the protected one only when it is
// used again: read at or before an offset already read in it. A scan reads forward
// through a block or piece and never does that; a lookup that comes back to a page, or to
// another page of a piece it read before, does. Victims come from probation first, so a
// scan only ever replaces other entries on probation. The protected segment keeps at
// most `protectedShare` of the bytes; past that, its least recently used entry goes back
// on probation (still cached, first to go).
#pragma once
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace s3vfs {

template <typename Owner>
class SegmentedLru {
 public:
  using Key = std::pair<Owner*, int64_t>;

  void SetProtectedLimit(int64_t bytes) { protectedLimit_ = bytes; }

  // A new entry of `bytes`, on probation. `usedBefore`: its next read counts as a use
  // again (a block that was just written, say).
  void Add(const Key& k, int64_t bytes, bool usedBefore) {
    Remove(k);
    probation_.push_back(k);
    entries_[k] = Entry{std::prev(probation_.end()), false, usedBefore ? INT64_MAX : INT64_MIN, bytes};
  }

  // Entry `k` is read at `offset`.
  void Touch(const Key& k, int64_t offset) {
    auto it = entries_.find(k);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    bool reused = offset <= e.lastOffset;
    e.lastOffset = offset;
    if (e.isProtected) {
      protected_.splice(protected_.end(), protected_, e.pos);
      return;
    }
    if (!reused) return;  // a scan moving forward: stays on probation, where it was
    protected_.splice(protected_.end(), probation_, e.pos);
    e.isProtected = true;
    protectedBytes_ += e.bytes;
    while (protectedBytes_ > protectedLimit_ && protected_.size() > 1) Demote(protected_.front());
  }

  void Remove(const Key& k) {
    auto it = entries_.find(k);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.isProtected) {
      protected_.erase(e.pos);
      protectedBytes_ -= e.bytes;
    } else {
      probation_.erase(e.pos);
    }
    entries_.erase(it);
  }

  bool Empty() const { return entries_.empty(); }

  // The entry to evict next, never `spare` (the one just added, which its reader is about
  // to read); false when there is none other.
  bool Victim(const Key& spare, Key* out) const {
    for (const std::list<Key>* segment : {&probation_, &protected_}) {
      for (const Key& k : *segment) {
        if (k != spare) {
          *out = k;
          return true;
        }
      }
    }
    return false;
  }

 private:
  struct Entry {
    typename std::list<Key>::iterator pos;
    bool isProtected;
    int64_t lastOffset;
    int64_t bytes;
  };
  struct Hash {
    size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.first) ^ (std::hash<int64_t>()(k.second) * 0x9e3779b97f4a7c15ULL);
    }
  };

  void Demote(Key k) {
    Entry& e = entries_.at(k);
    probation_.splice(probation_.end(), protected_, e.pos);
    e.isProtected = false;
    protectedBytes_ -= e.bytes;
  }

  std::list<Key> probation_;  // front: evicted first
  std::list<Key> protected_;  // front: least recently used
  std::unordered_map<Key, Entry, Hash> entries_;
  int64_t protectedBytes_ = 0;
  int64_t protectedLimit_ = 0;
};

}  // namespace s3vfs
