#include "bridge.h"

#include <algorithm>
#include <cstring>

#include "sqlite_api.h"

namespace s3vfs {

Bridge::Bridge(Napi::Env env, Napi::Int32Array int32View, Napi::Function waitForReply)
    : env_(env), view_(Napi::Persistent(int32View)), waitFn_(Napi::Persistent(waitForReply)) {
  // A typed array's data is reachable over a SharedArrayBuffer, where an ArrayBuffer's is not.
  uint8_t* bytes = reinterpret_cast<uint8_t*>(int32View.Data());
  slots_ = reinterpret_cast<int32_t*>(bytes);
  f64_ = reinterpret_cast<double*>(bytes);
  data_ = bytes + layout::DATA_OFFSET;
  capacity_ = int32View.ElementLength() * sizeof(int32_t) - layout::DATA_OFFSET;
}

int Bridge::Call(const Request& req, int failure) {
  if (detached_ || req.len > capacity_) return failure;
  slots_[layout::OP] = req.op;
  slots_[layout::FILE_ID] = req.fileId;
  slots_[layout::ARG] = req.arg;
  slots_[layout::LEN] = static_cast<int32_t>(req.len);
  slots_[layout::STATUS] = 0;
  slots_[layout::REPLY_LEN] = 0;
  slots_[layout::ERROR_LEN] = 0;
  slots_[layout::RESULT] = 0;
  slots_[layout::RESULT2] = 0;
  slots_[layout::RESULT3] = 0;
  f64_[layout::F64_OFFSET] = req.offset;
  // A payload built in the shared buffer itself (PayloadArea) needs no copy.
  if (req.len && req.payload != data_) std::memcpy(data_, req.payload, req.len);
  bytes += req.len;
  slots_[layout::SEQ] = ++seq_;

  int32_t outcome = 1;
  {
    Napi::HandleScope scope(env_);
    Napi::Value result = waitFn_.Call(env_.Global(), {});
    if (env_.IsExceptionPending()) {
      // We are inside better-sqlite3's own V8 callback: nobody would rethrow this, and a
      // pending exception would make every later N-API call fail. (The JavaScript side
      // recorded why the call failed; the caller asks it.)
      env_.GetAndClearPendingException();
    } else if (result.IsNumber()) {
      outcome = result.As<Napi::Number>().Int32Value();
    }
  }

  bool valid = outcome == 0 &&
               __atomic_load_n(&slots_[layout::STATE], __ATOMIC_SEQ_CST) == layout::STATE_REPLY &&
               slots_[layout::REPLY_SEQ] == seq_;
  if (!valid) return failure;
  __atomic_store_n(&slots_[layout::STATE], layout::STATE_IDLE, __ATOMIC_SEQ_CST);
  bytes += static_cast<uint64_t>(std::max(0, slots_[layout::REPLY_LEN]));
  return slots_[layout::STATUS];
}

}  // namespace s3vfs
