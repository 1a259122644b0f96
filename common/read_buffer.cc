#include "common/read_buffer.h"

#include <memory>

namespace cuttle {

void allocSharedReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  thread_local std::unique_ptr<char[]> storage;
  if (!storage) storage = std::make_unique<char[]>(kReadBufferSize);
  buf->base = storage.get();
  buf->len = kReadBufferSize;
}

}  // namespace cuttle
