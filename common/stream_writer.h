// StreamWriter: ordered writes to one uv_stream_t, owning the bytes until libuv is done
// with them (STYLE rule 6), with high/low watermarks for backpressure (rule 8).
//
// append() only queues bytes; flush() sends them: first with uv_try_write (the common case
// of a writable socket costs one writev and no callback), and what the kernel did not take
// through one uv_write at a time. Small appends are coalesced; shared buffers (cached
// bodies) are referenced, not copied.
//
// Errors never surface synchronously: when the socket is broken, the bytes go to uv_write,
// whose callback reports the error on a later loop turn (Listener::onWriteError). After
// flush() the owner may look at pending(): callbacks only report what libuv finished later.
//
// The owner keeps the stream open while a write is in flight (closing the stream makes
// libuv call the write callback with UV_ECANCELED before the close callback).
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle {

class StreamWriter {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Pending bytes fell to the low watermark after having exceeded the high one.
    virtual void onWriteDrained() = 0;
    // Everything appended so far has been written to the socket.
    virtual void onWriteIdle() = 0;
    // The write failed (status is a libuv error code); nothing more will be written.
    virtual void onWriteError(int status) = 0;
  };

  StreamWriter(uv_stream_t* stream, Listener* listener, size_t high_watermark,
               size_t low_watermark);
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  void append(std::string_view data);
  void append(std::string&& data);
  // References `length` bytes of an immutable shared buffer from `offset`.
  void append(std::shared_ptr<const std::string> data, size_t offset, size_t length);
  void flush();
  // append(data) then flush(), but straight from the caller's memory when nothing is queued
  // or in flight: only what the kernel does not take now is copied. For relayed bytes (a
  // tunnel), which are written once and never kept.
  void writeThrough(std::string_view data);

  // Bytes appended and not yet accepted by the kernel.
  size_t pending() const { return pending_; }
  bool aboveHighWatermark() const { return pending_ > high_; }
  bool failed() const { return failed_; }
  bool writing() const { return writing_; }
  uint64_t bytesWritten() const { return written_; }
  // Releases queue memory; for idle connections.
  void shrink();

 private:
  struct Segment {
    std::string own;                          // owned bytes, or
    std::shared_ptr<const std::string> shared;  // a shared buffer
    size_t offset = 0;                        // into own or *shared, advanced as written
    size_t length = 0;                        // bytes left
    const char* data() const { return (shared ? shared->data() : own.data()) + offset; }
  };
  static void onWrite(uv_write_t* req, int status);
  void consume(size_t n);
  // Hands the queue to uv_write (no uv_try_write first); nothing when a write is in flight.
  void writeQueued();
  void afterWrite(int status);
  void noteAppended(size_t n);

  uv_stream_t* stream_;
  Listener* listener_;
  size_t high_;
  size_t low_;
  size_t pending_ = 0;
  uint64_t written_ = 0;
  bool writing_ = false;
  bool failed_ = false;
  bool above_high_ = false;
  std::vector<Segment> queued_;
  std::vector<Segment> inflight_;
  size_t inflight_bytes_ = 0;
  uv_write_t req_;
};

}  // namespace cuttle
