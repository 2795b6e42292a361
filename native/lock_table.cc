#include "lock_table.h"

#include <cassert>

#include "sqlite_api.h"

namespace s3vfs {

LockTable& LockTable::Process() {
  static LockTable table;
  return table;
}

int LockTable::Lock(const std::string& key, const void* holder, int* level, int wanted) {
  assert(wanted == SQLITE_LOCK_SHARED || wanted == SQLITE_LOCK_RESERVED || wanted == SQLITE_LOCK_EXCLUSIVE);
  assert(*level != SQLITE_LOCK_NONE || wanted == SQLITE_LOCK_SHARED);
  std::lock_guard<std::mutex> guard(mutex_);
  if (*level >= wanted) return SQLITE_OK;
  Entry& e = entries_[key];
  if (*level == SQLITE_LOCK_NONE) {
    // A pending or exclusive writer keeps new readers out so that it can finish.
    if (e.writer && e.writer != holder && e.writerLevel >= SQLITE_LOCK_PENDING) return SQLITE_BUSY;
    e.shared++;
    *level = SQLITE_LOCK_SHARED;
    if (wanted == SQLITE_LOCK_SHARED) return SQLITE_OK;
  }
  if (e.writer && e.writer != holder) return SQLITE_BUSY;
  e.writer = holder;
  if (wanted == SQLITE_LOCK_RESERVED) {
    e.writerLevel = *level = SQLITE_LOCK_RESERVED;
    return SQLITE_OK;
  }
  // EXCLUSIVE: hold PENDING until the other readers have gone.
  if (e.shared > 1) {
    e.writerLevel = *level = SQLITE_LOCK_PENDING;
    return SQLITE_BUSY;
  }
  e.writerLevel = *level = SQLITE_LOCK_EXCLUSIVE;
  return SQLITE_OK;
}

int LockTable::Unlock(const std::string& key, const void* holder, int* level, int wanted) {
  assert(wanted == SQLITE_LOCK_NONE || wanted == SQLITE_LOCK_SHARED);
  std::lock_guard<std::mutex> guard(mutex_);
  if (*level <= wanted) return SQLITE_OK;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    *level = wanted;
    return SQLITE_OK;
  }
  Entry& e = it->second;
  if (*level > SQLITE_LOCK_SHARED && e.writer == holder) {
    e.writer = nullptr;
    e.writerLevel = 0;
  }
  if (wanted == SQLITE_LOCK_NONE && *level >= SQLITE_LOCK_SHARED) e.shared--;
  *level = wanted;
  if (e.shared == 0 && !e.writer) entries_.erase(it);
  return SQLITE_OK;
}

bool LockTable::Reserved(const std::string& key) const {
  std::lock_guard<std::mutex> guard(mutex_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.writer != nullptr;
}

}  // namespace s3vfs
