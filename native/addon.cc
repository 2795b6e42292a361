// The JavaScript face of the addon, in node-addon-api (binding.d.ts types it): creating and
// removing VFSes, choosing one for the duration of an open, statistics, and the bridge
// layout. The VFS itself (vfs.cc) is plain C++ against SQLite's API.
//
// Built without C++ exceptions (NAPI_DISABLE_CPP_EXCEPTIONS): a failed Node-API call leaves
// a JavaScript exception pending, so every function checks for one after the calls that
// can fail and returns at once; the exception reaches the caller.
#include <napi.h>

#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge_layout.h"
#include "crc32.h"
#include "extension.h"
#include "vfs.h"

namespace s3vfs {
namespace {

std::mutex registryMutex;
std::map<std::string, Vfs*> registry;  // every VFS this process created, by name
thread_local sqlite3_vfs* previousDefault = nullptr;

Napi::Value Fail(Napi::Env env, const std::string& message) {
  Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Argument i as a string; false, with a TypeError pending, when it is not one.
bool StringArg(const Napi::CallbackInfo& info, size_t i, const char* usage, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return !info.Env().IsExceptionPending();
}

Vfs* Find(const std::string& name) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto it = registry.find(name);
  return it == registry.end() ? nullptr : it->second;
}

Napi::Value ExtensionLoadedJs(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), ExtensionLoaded()); }

void OnEnvTeardown(void* arg) {
  // The thread that owns this VFS is going away: take the VFS out of SQLite's list.
  // The object itself is kept, since a connection SQLite still holds may refer to it.
  Vfs* vfs = static_cast<Vfs*>(arg);
  sqlite3_vfs_unregister(vfs->Base());
  vfs->Detach();
  std::lock_guard<std::mutex> lock(registryMutex);
  registry.erase(vfs->Name());
}

// createVfs(name, int32View, waitForReply, cacheBytes, lockSpace)
Napi::Value CreateVfs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "createVfs(name, view: Int32Array, waitForReply: function, cacheBytes: number, lockSpace)";
  std::string name, lockSpace;
  if (!StringArg(info, 0, usage, &name) || !StringArg(info, 4, usage, &lockSpace)) return env.Undefined();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[2].IsFunction() ||
      !info[3].IsNumber()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array view = info[1].As<Napi::Int32Array>();
  if (view.ElementLength() * sizeof(int32_t) <= static_cast<size_t>(layout::DATA_OFFSET))
    return Fail(env, "createVfs: the shared buffer is smaller than the bridge's header");
  double cacheBytes = info[3].As<Napi::Number>().DoubleValue();
  if (!ExtensionLoaded()) return Fail(env, "the s3vfs SQLite extension is not loaded");

  std::lock_guard<std::mutex> lock(registryMutex);
  if (registry.count(name) || sqlite3_vfs_find(name.c_str())) return Fail(env, "a SQLite VFS named '" + name + "' is already registered");
  sqlite3_vfs* fallback = sqlite3_vfs_find(nullptr);
  // Another of our VFSes may be the default for a moment (during an open): fall back
  // to what lies beneath it.
  for (auto& kv : registry)
    if (fallback == kv.second->Base()) fallback = kv.second->Fallback();
  auto bridge = std::make_unique<Bridge>(env, view, info[2].As<Napi::Function>());
  if (env.IsExceptionPending()) return env.Undefined();
  Vfs* vfs = new Vfs(name, lockSpace, fallback, std::move(bridge), static_cast<size_t>(cacheBytes > 0 ? cacheBytes : 0));
  int rc = sqlite3_vfs_register(vfs->Base(), 0);
  if (rc != SQLITE_OK) {
    delete vfs;
    return Fail(env, "sqlite3_vfs_register failed: " + std::string(sqlite3_errstr(rc)));
  }
  if (napi_add_env_cleanup_hook(env, OnEnvTeardown, vfs) != napi_ok) {
    sqlite3_vfs_unregister(vfs->Base());
    delete vfs;
    return Fail(env, "createVfs: napi_add_env_cleanup_hook failed");
  }
  registry[name] = vfs;
  return env.Undefined();
}

// destroyVfs(name): false while SQLite still has files of it open.
Napi::Value DestroyVfs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!StringArg(info, 0, "destroyVfs(name)", &name)) return env.Undefined();
  Vfs* vfs = Find(name);
  if (!vfs) return Napi::Boolean::New(env, true);
  if (!vfs->OnOwnerThread()) return Fail(env, "VFS '" + name + "' belongs to another thread");
  if (vfs->OpenFiles() > 0) return Napi::Boolean::New(env, false);
  sqlite3_vfs_unregister(vfs->Base());
  // Only fails when the hook is not registered, which would leave nothing to undo.
  napi_remove_env_cleanup_hook(env, OnEnvTeardown, vfs);
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry.erase(name);
  }
  delete vfs;
  return Napi::Boolean::New(env, true);
}

// armDefault(name): make the VFS SQLite's default until disarmDefault(). better-sqlite3
// opens with sqlite3_open_v2(..., zVfs = NULL) and URIs off, so this is the one way
// to choose a VFS; our VFS hands files of other threads to the fallback meanwhile.
Napi::Value ArmDefault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!StringArg(info, 0, "armDefault(name)", &name)) return env.Undefined();
  Vfs* vfs = Find(name);
  if (!vfs) return Fail(env, "no S3VFS named '" + name + "' is registered");
  if (!vfs->OnOwnerThread()) return Fail(env, "S3VFS '" + name + "' was created on another thread; create an S3VFS in this thread");
  previousDefault = sqlite3_vfs_find(nullptr);
  int rc = sqlite3_vfs_register(vfs->Base(), 1);
  if (rc != SQLITE_OK) return Fail(env, "sqlite3_vfs_register failed: " + std::string(sqlite3_errstr(rc)));
  return env.Undefined();
}

Napi::Value DisarmDefault(const Napi::CallbackInfo& info) {
  if (previousDefault) sqlite3_vfs_register(previousDefault, 1);  // registered before: cannot fail
  previousDefault = nullptr;
  return info.Env().Undefined();
}

// cacheStats(name): [reads served by the main-thread cache, reads that crossed, bytes
// cached, database pages written, bytes carried by the bridge, bytes of memory journals,
// of the reads served, those read from disk-cache entries, disk-cache entries found damaged,
// disk-cache entries opened]
Napi::Value CacheStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!StringArg(info, 0, "cacheStats(name)", &name)) return env.Undefined();
  Vfs* vfs = Find(name);
  double values[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (vfs) {
    values[0] = static_cast<double>(vfs->Cache().hits);
    values[1] = static_cast<double>(vfs->Cache().misses);
    values[2] = static_cast<double>(vfs->Cache().Bytes());
    values[3] = static_cast<double>(vfs->Cache().pagesWritten);
    values[4] = static_cast<double>(vfs->Bridge_().bytes);
    values[5] = static_cast<double>(vfs->Cache().LocalBytes());
    values[6] = static_cast<double>(vfs->Cache().diskReads);
    values[7] = static_cast<double>(vfs->Cache().diskDamaged);
    values[8] = static_cast<double>(vfs->Cache().diskOpened);
  }
  Napi::Array out = Napi::Array::New(env, std::size(values));
  for (uint32_t i = 0; i < std::size(values); i++) out.Set(i, Napi::Number::New(env, values[i]));
  return out;
}

// crc32(bytes, table): the CRC32 by which this thread checks disk-cache chunks, so that a
// test can hold it to node:zlib's, by which the worker wrote them; `table` forces the
// fallback every machine has.
Napi::Value Crc32Js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) return Fail(env, "crc32(bytes): bytes must be a Uint8Array");
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  bool table = info.Length() > 1 && info[1].ToBoolean().Value();
  return Napi::Number::New(env, Crc32(bytes.Data(), bytes.ByteLength(), table));
}

// Every entry of S3VFS_BRIDGE_LAYOUT, by name.
Napi::Object Layout(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#define S3VFS_EXPORT_ENTRY(name, value) o.Set(#name, Napi::Number::New(env, layout::name));
  S3VFS_BRIDGE_LAYOUT(S3VFS_EXPORT_ENTRY)
#undef S3VFS_EXPORT_ENTRY
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("extensionLoaded", Napi::Function::New(env, ExtensionLoadedJs, "extensionLoaded"));
  exports.Set("createVfs", Napi::Function::New(env, CreateVfs, "createVfs"));
  exports.Set("destroyVfs", Napi::Function::New(env, DestroyVfs, "destroyVfs"));
  exports.Set("armDefault", Napi::Function::New(env, ArmDefault, "armDefault"));
  exports.Set("disarmDefault", Napi::Function::New(env, DisarmDefault, "disarmDefault"));
  exports.Set("cacheStats", Napi::Function::New(env, CacheStats, "cacheStats"));
  exports.Set("crc32", Napi::Function::New(env, Crc32Js, "crc32"));
  exports.Set("layout", Layout(env));
  exports.Set("entryPoint", Napi::String::New(env, kEntryPoint));
  return exports;
}

}  // namespace
}  // namespace s3vfs

// NODE_API_MODULE pastes the function's name into an identifier: it must be unqualified.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return s3vfs::Init(env, exports); }
NODE_API_MODULE(s3vfs, InitAddon)
