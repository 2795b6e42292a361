// The N-API face of the addon: creating and removing VFSes, choosing one for the
// duration of an open, and exporting the bridge layout to JavaScript.
#include <node_api.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge_layout.h"
#include "extension.h"
#include "vfs.h"

namespace s3vfs {
namespace {

std::mutex registryMutex;
std::map<std::string, Vfs*> registry;  // every VFS this process created, by name
thread_local sqlite3_vfs* previousDefault = nullptr;

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

bool GetString(napi_env env, napi_value v, std::string* out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len);
  napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len);
  return true;
}

// The first argument as a string, for the functions that take a VFS name.
bool NameArg(napi_env env, napi_callback_info info, std::string* name) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc >= 1 && GetString(env, argv[0], name);
}

Vfs* Find(const std::string& name) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto it = registry.find(name);
  return it == registry.end() ? nullptr : it->second;
}

napi_value Bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

napi_value ExtensionLoadedJs(napi_env env, napi_callback_info) { return Bool(env, ExtensionLoaded()); }

void OnEnvTeardown(void* arg) {
  // The thread that owns this VFS is going away: take the VFS out of SQLite's list.
  // The object itself is kept, since a connection SQLite still holds may refer to it.
  Vfs* vfs = static_cast<Vfs*>(arg);
  sqlite3_vfs_unregister(vfs->Base());
  vfs->Detach();
  std::lock_guard<std::mutex> lock(registryMutex);
  registry.erase(vfs->Name());
}

// createVfs(name, int32View, waitForReply, cacheBytes)
napi_value CreateVfs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string name, lockSpace;
  double cacheBytes = 0;
  if (argc < 5 || !GetString(env, argv[0], &name) || napi_get_value_double(env, argv[3], &cacheBytes) != napi_ok ||
      !GetString(env, argv[4], &lockSpace))
    return Throw(env, "createVfs(name, view, fn, cacheBytes, lockSpace)");
  if (!ExtensionLoaded()) return Throw(env, "the s3vfs SQLite extension is not loaded");
  bool isTyped = false;
  napi_is_typedarray(env, argv[1], &isTyped);
  if (!isTyped) return Throw(env, "createVfs: expected an Int32Array over a SharedArrayBuffer");
  std::lock_guard<std::mutex> lock(registryMutex);
  if (registry.count(name) || sqlite3_vfs_find(name.c_str()))
    return Throw(env, "a SQLite VFS named '" + name + "' is already registered");
  sqlite3_vfs* fallback = sqlite3_vfs_find(nullptr);
  // Another of our VFSes may be the default for a moment (during an open): fall back
  // to what lies beneath it.
  for (auto& kv : registry)
    if (fallback == kv.second->Base()) fallback = kv.second->Fallback();
  auto bridge = std::make_unique<Bridge>(env, argv[1], argv[2]);
  Vfs* vfs = new Vfs(name, lockSpace, fallback, std::move(bridge), static_cast<size_t>(cacheBytes));
  int rc = sqlite3_vfs_register(vfs->Base(), 0);
  if (rc != SQLITE_OK) {
    delete vfs;
    return Throw(env, "sqlite3_vfs_register failed: " + std::string(sqlite3_errstr(rc)));
  }
  registry[name] = vfs;
  napi_add_env_cleanup_hook(env, OnEnvTeardown, vfs);
  return nullptr;
}

// destroyVfs(name): false while SQLite still has files of it open.
napi_value DestroyVfs(napi_env env, napi_callback_info info) {
  std::string name;
  if (!NameArg(env, info, &name)) return Throw(env, "destroyVfs(name)");
  Vfs* vfs = Find(name);
  if (!vfs) return Bool(env, true);
  if (!vfs->OnOwnerThread()) return Throw(env, "VFS '" + name + "' belongs to another thread");
  if (vfs->OpenFiles() > 0) return Bool(env, false);
  sqlite3_vfs_unregister(vfs->Base());
  napi_remove_env_cleanup_hook(env, OnEnvTeardown, vfs);
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry.erase(name);
  }
  delete vfs;
  return Bool(env, true);
}

// armDefault(name): make the VFS SQLite's default until disarmDefault(). better-sqlite3
// opens with sqlite3_open_v2(..., zVfs = NULL) and URIs off, so this is the one way
// to choose a VFS; our VFS hands files of other threads to the fallback meanwhile.
napi_value ArmDefault(napi_env env, napi_callback_info info) {
  std::string name;
  if (!NameArg(env, info, &name)) return Throw(env, "armDefault(name)");
  Vfs* vfs = Find(name);
  if (!vfs) return Throw(env, "no S3VFS named '" + name + "' is registered");
  if (!vfs->OnOwnerThread())
    return Throw(env, "S3VFS '" + name + "' was created on another thread; create an S3VFS in this thread");
  previousDefault = sqlite3_vfs_find(nullptr);
  sqlite3_vfs_register(vfs->Base(), 1);
  return nullptr;
}

napi_value DisarmDefault(napi_env env, napi_callback_info) {
  if (previousDefault) sqlite3_vfs_register(previousDefault, 1);
  previousDefault = nullptr;
  return nullptr;
}

napi_value OpenFileCount(napi_env env, napi_callback_info info) {
  std::string name;
  Vfs* vfs = NameArg(env, info, &name) ? Find(name) : nullptr;
  napi_value v;
  napi_create_int32(env, vfs ? vfs->OpenFiles() : 0, &v);
  return v;
}

// cacheStats(name): [reads served by the main-thread cache, reads that crossed, bytes
// cached, database pages written, bytes carried by the bridge, bytes of memory journals]
napi_value CacheStats(napi_env env, napi_callback_info info) {
  std::string name;
  Vfs* vfs = NameArg(env, info, &name) ? Find(name) : nullptr;
  napi_value arr, v;
  constexpr uint32_t kCount = 6;
  napi_create_array_with_length(env, kCount, &arr);
  double values[kCount] = {0, 0, 0, 0, 0, 0};
  if (vfs) {
    values[0] = static_cast<double>(vfs->Cache().hits);
    values[1] = static_cast<double>(vfs->Cache().misses);
    values[2] = static_cast<double>(vfs->Cache().Bytes());
    values[3] = static_cast<double>(vfs->Cache().pagesWritten);
    values[4] = static_cast<double>(vfs->Bridge_().bytes);
    values[5] = static_cast<double>(vfs->Cache().LocalBytes());
  }
  for (uint32_t i = 0; i < kCount; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

napi_value SqliteVersion(napi_env env, napi_callback_info) {
  if (!ExtensionLoaded()) return Throw(env, "the s3vfs SQLite extension is not loaded");
  napi_value v;
  napi_create_string_utf8(env, sqlite3_libversion(), NAPI_AUTO_LENGTH, &v);
  return v;
}

void SetInt(napi_env env, napi_value obj, const char* key, int32_t value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

napi_value Layout(napi_env env) {
  using namespace layout;
  napi_value o;
  napi_create_object(env, &o);
  SetInt(env, o, "STATE", STATE);
  SetInt(env, o, "SEQ", SEQ);
  SetInt(env, o, "REPLY_SEQ", REPLY_SEQ);
  SetInt(env, o, "OP", OP);
  SetInt(env, o, "FILE_ID", FILE_ID);
  SetInt(env, o, "ARG", ARG);
  SetInt(env, o, "LEN", LEN);
  SetInt(env, o, "STATUS", STATUS);
  SetInt(env, o, "REPLY_LEN", REPLY_LEN);
  SetInt(env, o, "ERROR_LEN", ERROR_LEN);
  SetInt(env, o, "HEARTBEAT", HEARTBEAT);
  SetInt(env, o, "WORKER_DEAD", WORKER_DEAD);
  SetInt(env, o, "RESULT", RESULT);
  SetInt(env, o, "RESULT2", RESULT2);
  SetInt(env, o, "RESULT3", RESULT3);
  SetInt(env, o, "INT32_SLOTS", INT32_SLOTS);
  SetInt(env, o, "F64_OFFSET", F64_OFFSET);
  SetInt(env, o, "F64_RESULT", F64_RESULT);
  SetInt(env, o, "HEADER_BYTES", HEADER_BYTES);
  SetInt(env, o, "DEATH_NOTE_BYTES", DEATH_NOTE_BYTES);
  SetInt(env, o, "DATA_OFFSET", DATA_OFFSET);
  SetInt(env, o, "DEATH_NOTE_LEN", DEATH_NOTE_LEN);
  SetInt(env, o, "STATE_IDLE", STATE_IDLE);
  SetInt(env, o, "STATE_REQUEST", STATE_REQUEST);
  SetInt(env, o, "STATE_REPLY", STATE_REPLY);
  SetInt(env, o, "OP_OPEN", OP_OPEN);
  SetInt(env, o, "OP_CLOSE", OP_CLOSE);
  SetInt(env, o, "OP_READ", OP_READ);
  SetInt(env, o, "OP_WRITE", OP_WRITE);
  SetInt(env, o, "OP_TRUNCATE", OP_TRUNCATE);
  SetInt(env, o, "OP_SYNC", OP_SYNC);
  SetInt(env, o, "OP_FILE_SIZE", OP_FILE_SIZE);
  SetInt(env, o, "OP_ACCESS", OP_ACCESS);
  SetInt(env, o, "OP_DELETE", OP_DELETE);
  SetInt(env, o, "OP_BEGIN_READ", OP_BEGIN_READ);
  SetInt(env, o, "OP_END_WRITE", OP_END_WRITE);
  SetInt(env, o, "OP_READ_BLOCKS", OP_READ_BLOCKS);
  SetInt(env, o, "OP_WRITE_BLOCKS", OP_WRITE_BLOCKS);
  SetInt(env, o, "READ_BLOCKS_PIECE", READ_BLOCKS_PIECE);
  SetInt(env, o, "WRITE_RECORD_HEADER", WRITE_RECORD_HEADER);
  SetInt(env, o, "OP_BEGIN_WRITE", OP_BEGIN_WRITE);
  SetInt(env, o, "OP_PRAGMA", OP_PRAGMA);
  SetInt(env, o, "OP_PHASE_TWO", OP_PHASE_TWO);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"extensionLoaded", nullptr, ExtensionLoadedJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createVfs", nullptr, CreateVfs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroyVfs", nullptr, DestroyVfs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"armDefault", nullptr, ArmDefault, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"disarmDefault", nullptr, DisarmDefault, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"openFileCount", nullptr, OpenFileCount, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sqliteVersion", nullptr, SqliteVersion, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cacheStats", nullptr, CacheStats, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_set_named_property(env, exports, "layout", Layout(env));
  napi_value entry;
  napi_create_string_utf8(env, kEntryPoint, NAPI_AUTO_LENGTH, &entry);
  napi_set_named_property(env, exports, "entryPoint", entry);
  return exports;
}

}  // namespace
}  // namespace s3vfs

NAPI_MODULE(NODE_GYP_MODULE_NAME, s3vfs::Init)
