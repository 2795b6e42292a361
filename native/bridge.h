// The main-thread end of the synchronous bridge: writes a request into the shared
// buffer, calls a small JavaScript function that wakes the worker and waits for its
// reply (Atomics.wait is only reachable from JavaScript), then reads the reply.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "bridge_layout.h"

namespace s3vfs {

class Bridge {
 public:
  Bridge(napi_env env, napi_value int32View, napi_value waitForReply);
  ~Bridge();

  struct Request {
    int op;
    int fileId = 0;
    int arg = 0;
    double offset = 0;
    const void* payload = nullptr;
    size_t len = 0;
  };
  // Returns the worker's SQLite status, or `failure` when no valid reply came back.
  // Whether the bridge is still usable is the JavaScript side's decision: it records
  // why a call failed, so it is asked every time.
  int Call(const Request& req, int failure);

  int32_t Result() const { return slots_[layout::RESULT]; }
  int32_t Result2() const { return slots_[layout::RESULT2]; }
  int32_t Result3() const { return slots_[layout::RESULT3]; }
  double F64Result() const { return f64_[layout::F64_RESULT]; }
  int32_t ReplyLen() const { return slots_[layout::REPLY_LEN]; }
  const uint8_t* Data() const { return data_; }
  // Where a request may build its payload in place, to be sent without a copy.
  uint8_t* PayloadArea() { return data_; }
  size_t Capacity() const { return capacity_; }
  // Payload bytes carried both ways, for stats().
  uint64_t bytes = 0;
  // The owning thread's environment is gone: fail every call without touching it.
  void Detach() { detached_ = true; view_ = nullptr; waitFn_ = nullptr; }

 private:
  napi_env env_;
  napi_ref view_ = nullptr;     // keeps the SharedArrayBuffer alive
  napi_ref waitFn_ = nullptr;
  int32_t* slots_ = nullptr;
  double* f64_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  int32_t seq_ = 0;
  bool detached_ = false;
};

}  // namespace s3vfs
