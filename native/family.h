// Which files belong to a database: the one rule, for the whole addon.
#pragma once
#include <string>

namespace s3vfs {

// The files SQLite derives from a database's name N: N itself, its rollback journal
// N-journal, its WAL N-wal and its super-journals N-mj<hex>. Another database whose name
// merely starts with "N-" (N-archive) is not one of them.
inline bool InFamily(const std::string& name, const std::string& main) {
  if (name == main) return true;
  if (name.size() <= main.size() + 1 || name.compare(0, main.size(), main) != 0 || name[main.size()] != '-') return false;
  const std::string suffix = name.substr(main.size() + 1);
  if (suffix == "journal" || suffix == "wal") return true;
  if (suffix.size() <= 2 || suffix.compare(0, 2, "mj") != 0) return false;
  return suffix.find_first_not_of("0123456789ABCDEFabcdef", 2) == std::string::npos;
}

}  // namespace s3vfs
