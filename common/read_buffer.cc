#include "common/read_buffer.h"

#include <memory>

namespace cuttle {
namespace {

char* sharedStorage() {
  thread_local std::unique_ptr<char[]> storage;
  if (!storage) storage = std::make_unique<char[]>(kTunnelReadBufferSize);
  return storage.get();
}

}  // namespace

void allocSharedReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  buf->base = sharedStorage();
  buf->len = kReadBufferSize;
}

void allocTunnelReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  buf->base = sharedStorage();
  buf->len = kTunnelReadBufferSize;
}

}  // namespace cuttle
