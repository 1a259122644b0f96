#include "common/read_buffer.h"

namespace cuttle {

void allocSharedReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  alignas(64) thread_local char storage[kReadBufferSize];
  buf->base = storage;
  buf->len = sizeof(storage);
}

}  // namespace cuttle
