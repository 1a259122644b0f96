#include "common/stream_writer.h"

#include <algorithm>

namespace cuttle {
namespace {
constexpr size_t kCoalesceLimit = 16 * 1024;
constexpr size_t kCoalesceSmall = 4 * 1024;
constexpr size_t kMaxBufs = 64;
}  // namespace

StreamWriter::StreamWriter(uv_stream_t* stream, Listener* listener, size_t high_watermark,
                           size_t low_watermark)
    : stream_(stream), listener_(listener), high_(high_watermark), low_(low_watermark) {
  req_.data = this;
}

void StreamWriter::noteAppended(size_t n) {
  pending_ += n;
  if (pending_ > high_) above_high_ = true;
}

void StreamWriter::append(std::string_view data) {
  if (data.empty() || failed_) return;
  noteAppended(data.size());
  if (!queued_.empty() && !queued_.back().shared &&
      queued_.back().own.size() + data.size() <= kCoalesceLimit) {
    queued_.back().own.append(data);
    queued_.back().length += data.size();
    return;
  }
  Segment s;
  s.own.assign(data);
  s.length = data.size();
  queued_.push_back(std::move(s));
}

void StreamWriter::append(std::string&& data) {
  if (data.empty() || failed_) return;
  if (data.size() <= kCoalesceSmall) {
    append(std::string_view(data));
    return;
  }
  noteAppended(data.size());
  Segment s;
  s.length = data.size();
  s.own = std::move(data);
  queued_.push_back(std::move(s));
}

void StreamWriter::append(std::shared_ptr<const std::string> data, size_t offset, size_t length) {
  if (length == 0 || failed_) return;
  if (length <= kCoalesceSmall) {
    append(std::string_view(data->data() + offset, length));
    return;
  }
  noteAppended(length);
  Segment s;
  s.shared = std::move(data);
  s.offset = offset;
  s.length = length;
  queued_.push_back(std::move(s));
}

void StreamWriter::writeThrough(std::string_view data) {
  if (data.empty() || failed_) return;
  if (writing_ || !queued_.empty()) {  // behind other bytes: in order, through the queue
    append(data);
    flush();
    return;
  }
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
  int r = uv_try_write(stream_, &buf, 1);
  if (r > 0) {
    written_ += static_cast<size_t>(r);
    data.remove_prefix(static_cast<size_t>(r));
  }
  // r < 0: not writable now (UV_EAGAIN), or broken: uv_write reports the error. Either way
  // the socket has just been tried: the rest goes straight to uv_write.
  append(data);
  writeQueued();
}

void StreamWriter::consume(size_t n) {
  written_ += n;
  pending_ -= n;
  size_t i = 0;
  while (n > 0 && i < queued_.size()) {
    Segment& s = queued_[i];
    if (n < s.length) {
      s.offset += n;
      s.length -= n;
      break;
    }
    n -= s.length;
    ++i;
  }
  queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(i));
}

void StreamWriter::flush() {
  if (writing_ || failed_ || queued_.empty()) return;
  uv_buf_t bufs[kMaxBufs];
  size_t n = std::min(queued_.size(), kMaxBufs);
  for (size_t i = 0; i < n; ++i) {
    bufs[i] = uv_buf_init(const_cast<char*>(queued_[i].data()), static_cast<unsigned>(queued_[i].length));
  }
  int r = uv_try_write(stream_, bufs, static_cast<unsigned>(n));
  if (r > 0) consume(static_cast<size_t>(r));
  // above_high_ stays set even when everything went out now: only afterWrite() clears it,
  // together with onWriteDrained(), so that a reader paused on it is always resumed.
  writeQueued();
}

void StreamWriter::writeQueued() {
  if (writing_ || failed_ || queued_.empty()) return;
  // The rest goes through uv_write: libuv keeps writing as the socket drains, or reports
  // the error in the callback.
  inflight_.swap(queued_);
  queued_.clear();
  std::vector<uv_buf_t> all;
  all.reserve(inflight_.size());
  inflight_bytes_ = 0;
  for (const Segment& s : inflight_) {
    all.push_back(uv_buf_init(const_cast<char*>(s.data()), static_cast<unsigned>(s.length)));
    inflight_bytes_ += s.length;
  }
  int w = uv_write(&req_, stream_, all.data(), static_cast<unsigned>(all.size()), &StreamWriter::onWrite);
  if (w != 0) {
    // The stream is already shut down or closing: the owner is tearing it down.
    failed_ = true;
    inflight_.clear();
    return;
  }
  writing_ = true;
}

void StreamWriter::onWrite(uv_write_t* req, int status) {
  static_cast<StreamWriter*>(req->data)->afterWrite(status);
}

void StreamWriter::afterWrite(int status) {
  writing_ = false;
  inflight_.clear();
  if (status < 0) {
    failed_ = true;
    queued_.clear();
    pending_ = 0;
    listener_->onWriteError(status);
    return;
  }
  written_ += inflight_bytes_;
  pending_ -= inflight_bytes_;
  inflight_bytes_ = 0;
  flush();
  if (above_high_ && pending_ <= low_) {
    above_high_ = false;
    listener_->onWriteDrained();
  }
  if (pending_ == 0 && !writing_) listener_->onWriteIdle();
}

void StreamWriter::shrink() {
  if (queued_.empty()) std::vector<Segment>().swap(queued_);
  if (!writing_) std::vector<Segment>().swap(inflight_);
}

}  // namespace cuttle
