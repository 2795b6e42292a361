#include "bridge.h"

#include <algorithm>
#include <cstring>

#include "sqlite_api.h"

namespace s3vfs {

Bridge::Bridge(napi_env env, napi_value int32View, napi_value waitForReply) : env_(env) {
  napi_typedarray_type type;
  size_t length, byteOffset;
  void* base;
  napi_value arrayBuffer;
  // napi_get_arraybuffer_info refuses a SharedArrayBuffer, a typed-array view does not.
  napi_get_typedarray_info(env, int32View, &type, &length, &base, &arrayBuffer, &byteOffset);
  uint8_t* bytes = static_cast<uint8_t*>(base);
  slots_ = reinterpret_cast<int32_t*>(bytes);
  f64_ = reinterpret_cast<double*>(bytes);
  data_ = bytes + layout::DATA_OFFSET;
  capacity_ = length * sizeof(int32_t) - layout::DATA_OFFSET;
  napi_create_reference(env, int32View, 1, &view_);
  napi_create_reference(env, waitForReply, 1, &waitFn_);
}

Bridge::~Bridge() {
  if (view_) napi_delete_reference(env_, view_);
  if (waitFn_) napi_delete_reference(env_, waitFn_);
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

  napi_handle_scope scope;
  napi_open_handle_scope(env_, &scope);
  napi_value fn, global, result;
  napi_get_reference_value(env_, waitFn_, &fn);
  napi_get_global(env_, &global);
  napi_status status = napi_call_function(env_, global, fn, 0, nullptr, &result);
  int32_t outcome = 1;
  if (status == napi_ok) {
    napi_get_value_int32(env_, result, &outcome);
  } else {
    // We are inside better-sqlite3's own V8 callback: nobody would rethrow this, and
    // a pending exception would make every later N-API call fail.
    napi_value ignored;
    napi_get_and_clear_last_exception(env_, &ignored);
  }
  napi_close_handle_scope(env_, scope);

  bool valid = outcome == 0 &&
               __atomic_load_n(&slots_[layout::STATE], __ATOMIC_SEQ_CST) == layout::STATE_REPLY &&
               slots_[layout::REPLY_SEQ] == seq_;
  if (!valid) return failure;
  __atomic_store_n(&slots_[layout::STATE], layout::STATE_IDLE, __ATOMIC_SEQ_CST);
  bytes += static_cast<uint64_t>(std::max(0, slots_[layout::REPLY_LEN]));
  return slots_[layout::STATUS];
}

}  // namespace s3vfs
