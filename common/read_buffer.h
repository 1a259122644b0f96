// One read buffer per thread, shared by every stream of the loop: libuv asks for a buffer
// right before each read and the read callback consumes it before the next one, so an idle
// connection holds no read memory at all. Whatever a read callback wants to keep it copies.
#pragma once

#include <uv.h>

namespace cuttle {

// HTTP reads take up to 64 KiB: what a read hands over is copied before the next read
// (heads, pipelined requests, bodies queued behind a slow peer), and per-connection memory
// stays bounded by this size times a few. Tunnels read up to 1 MiB: their bytes are written
// straight on (Tunnel, StreamWriter::writeThrough), and large reads cost fewer system calls
// per byte relayed (a CONNECT tunnel moved about 800 MiB/s on this machine's loopback with
// 64 KiB reads, about 1,300 with 1 MiB). Both hand out the same per-thread storage,
// allocated on the thread's first read.
inline constexpr size_t kReadBufferSize = 64 * 1024;
inline constexpr size_t kTunnelReadBufferSize = 1024 * 1024;

// uv_alloc_cbs handing out the thread's shared buffer: kReadBufferSize bytes of it, or
// kTunnelReadBufferSize for a stream that relays a tunnel.
void allocSharedReadBuffer(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
void allocTunnelReadBuffer(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);

}  // namespace cuttle
