#include "common/stream_writer.h"

#include <algorithm>

namespace cuttle {
namespace {
constexpr size_t kCoalesceLimit = 16 * 1024;
constexpr size_t kMaxBufs = 64;
}  // namespace

StreamWriter::StreamWriter(uv_stream_t* stream, Listener* listener, size_t high_watermark,
                           size_t low_watermark)
    : stream_(stream), listener_(listener), high_(high_watermark), low_(low_watermark) {
  req_.data = this;
}

void StreamWriter::append(std::string_view data) {
  if (data.empty() || failed_) return;
  pending_ += data.size();
  if (!queued_.empty() && queued_.back().size() + data.size() <= kCoalesceLimit) {
    queued_.back().append(data);
  } else {
    queued_.emplace_back(data);
  }
  if (pending_ > high_) above_high_ = true;
}

void StreamWriter::append(std::string&& data) {
  if (data.empty() || failed_) return;
  pending_ += data.size();
  if (!queued_.empty() && queued_.back().size() + data.size() <= kCoalesceLimit &&
      data.size() < 1024) {
    queued_.back().append(data);
  } else {
    queued_.push_back(std::move(data));
  }
  if (pending_ > high_) above_high_ = true;
}

void StreamWriter::consume(size_t n) {
  written_ += n;
  pending_ -= n;
  size_t i = 0;
  while (n > 0 && i < queued_.size()) {
    size_t avail = queued_[i].size() - (i == 0 ? queued_offset_ : 0);
    if (n < avail) {
      queued_offset_ = (i == 0 ? queued_offset_ : 0) + n;
      break;
    }
    n -= avail;
    queued_offset_ = 0;
    ++i;
  }
  queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(i));
}

void StreamWriter::flush() {
  if (writing_ || failed_ || queued_.empty()) return;
  uv_buf_t bufs[kMaxBufs];
  size_t n = std::min(queued_.size(), kMaxBufs);
  for (size_t i = 0; i < n; ++i) {
    size_t off = i == 0 ? queued_offset_ : 0;
    bufs[i] = uv_buf_init(queued_[i].data() + off, static_cast<unsigned>(queued_[i].size() - off));
  }
  int r = uv_try_write(stream_, bufs, static_cast<unsigned>(n));
  if (r > 0) consume(static_cast<size_t>(r));
  if (queued_.empty()) {
    above_high_ = false;
    return;
  }
  // The rest goes through uv_write: libuv keeps writing as the socket drains, or reports
  // the error in the callback.
  inflight_.swap(queued_);
  size_t off = queued_offset_;
  queued_offset_ = 0;
  queued_.clear();
  std::vector<uv_buf_t> all;
  all.reserve(inflight_.size());
  inflight_bytes_ = 0;
  for (size_t i = 0; i < inflight_.size(); ++i) {
    size_t o = i == 0 ? off : 0;
    all.push_back(uv_buf_init(inflight_[i].data() + o, static_cast<unsigned>(inflight_[i].size() - o)));
    inflight_bytes_ += inflight_[i].size() - o;
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
  if (queued_.empty()) std::vector<std::string>().swap(queued_);
  if (!writing_) std::vector<std::string>().swap(inflight_);
}

}  // namespace cuttle
