// The main-thread end of the synchronous bridge: writes a request into the shared
// buffer, calls a small JavaScript function that wakes the worker and waits for its
// reply (Atomics.wait is only reachable from JavaScript), then reads the reply.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "bridge_layout.h"

namespace s3vfs {

class Bridge {
 public:
  // int32View: an Int32Array over the SharedArrayBuffer; waitForReply: wakes the worker and
  // waits (lib/bridge/main-bridge.ts), returning 0 when a valid reply is in the buffer.
  Bridge(Napi::Env env, Napi::Int32Array int32View, Napi::Function waitForReply);

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
  // The worker's NEWS counter, which it bumps at any moment (not only in a reply).
  int32_t News() const { return __atomic_load_n(&slots_[layout::NEWS], __ATOMIC_SEQ_CST); }
  double F64Result() const { return f64_[layout::F64_RESULT]; }
  int32_t ReplyLen() const { return slots_[layout::REPLY_LEN]; }
  const uint8_t* Data() const { return data_; }
  // Where a request may build its payload in place, to be sent without a copy.
  uint8_t* PayloadArea() { return data_; }
  size_t Capacity() const { return capacity_; }
  // Payload bytes carried both ways, for stats().
  uint64_t bytes = 0;
  // The owning thread's environment is gone: fail every call without touching it.
  // (Its references must then not be released either: that too would touch the environment.)
  void Detach() {
    detached_ = true;
    view_.SuppressDestruct();
    waitFn_.SuppressDestruct();
  }

 private:
  Napi::Env env_;
  Napi::Reference<Napi::Int32Array> view_;  // keeps the SharedArrayBuffer alive
  Napi::FunctionReference waitFn_;
  int32_t* slots_ = nullptr;
  double* f64_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  int32_t seq_ = 0;
  bool detached_ = false;
};

}  // namespace s3vfs
