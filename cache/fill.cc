#include "cache/fill.h"

#include <algorithm>

namespace cuttle::cache {

// ---- FillWaker ----------------------------------------------------------------------------

FillWaker::FillWaker(uv_loop_t* loop) {
  uv_async_init(loop, &async_, &FillWaker::onAsync);
  async_.data = this;
}

FillWaker::~FillWaker() = default;

uint64_t FillWaker::add(FillListener* listener) {
  uint64_t id = next_id_++;
  listeners_[id] = listener;
  return id;
}

void FillWaker::remove(uint64_t id) { listeners_.erase(id); }

void FillWaker::wake(uint64_t id) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    first = pending_.empty();
    pending_.push_back(id);
  }
  if (first) uv_async_send(&async_);
}

void FillWaker::onAsync(uv_async_t* async) {
  auto* self = static_cast<FillWaker*>(async->data);
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ids.swap(self->pending_);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (uint64_t id : ids) {
    // A listener may unsubscribe (itself or others) while being woken: look each one up.
    auto it = self->listeners_.find(id);
    if (it != self->listeners_.end()) it->second->onFillProgress();
  }
}

void FillWaker::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

// ---- Fill ---------------------------------------------------------------------------------

void Fill::wakeAll() {
  for (const Subscriber& s : subscribers_) s.waker->wake(s.id);
}

void Fill::publishHead(ObjectPtr head, std::optional<uint64_t> length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::kFetching) return;
  head_ = std::move(head);
  length_ = length;
  state_ = State::kStreaming;
  wakeAll();
}

void Fill::appendBody(StoredObject::Chunk chunk) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::kStreaming) return;
  retained_bytes_ += chunk->size();
  chunks_.push_back(std::move(chunk));
  if (overflow_) trim();
  wakeAll();
}

void Fill::overflow() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::kStreaming || overflow_) return;
  overflow_ = true;
  trim();
  wakeAll();
}

void Fill::trim() {
  // Chunks every follower has consumed go.
  size_t keep_from = base_ + chunks_.size();
  for (const Subscriber& s : subscribers_) keep_from = std::min(keep_from, std::max(s.cursor, base_));
  size_t drop = keep_from - base_;
  uint64_t retained = retained_bytes_;
  for (size_t i = 0; i < drop; ++i) retained -= chunks_[i]->size();
  // The leader waits for the slowest follower (roomForMore()); should it not, a follower
  // too far behind loses its place (its client sees a truncation) rather than letting the
  // fill hold an unbounded response.
  while (drop < chunks_.size() && retained > kOverflowHardCap * kOverflowWindow) {
    retained -= chunks_[drop]->size();
    ++drop;
  }
  if (drop != 0) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(drop));
    base_ += drop;
    retained_bytes_ = retained;
  }
  if (leader_waiting_ && retained_bytes_ < kOverflowWindow && leader_waker_ != nullptr) {
    leader_waiting_ = false;
    leader_waker_->wake(leader_id_);
  }
}

void Fill::setLeaderWaker(FillWaker* waker, uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  leader_waker_ = waker;
  leader_id_ = id;
  leader_waiting_ = false;
}

bool Fill::roomForMore() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!overflow_ || retained_bytes_ < kOverflowWindow) return true;
  leader_waiting_ = true;
  return false;
}

void Fill::complete(ObjectPtr object) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kComplete || state_ == State::kFailed) return;
  object_ = std::move(object);
  if (!head_) head_ = object_;
  state_ = State::kComplete;
  wakeAll();
}

void Fill::fail() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kComplete || state_ == State::kFailed) return;
  state_ = State::kFailed;
  wakeAll();
}

Fill::View Fill::read(size_t from_chunk) const {
  std::lock_guard<std::mutex> lock(mutex_);
  View v;
  v.state = state_;
  v.overflow = overflow_;
  v.head = head_;
  v.length = length_;
  v.object = object_;
  if (from_chunk < base_) {
    v.lost = true;
    return v;
  }
  if (from_chunk - base_ < chunks_.size()) {
    v.chunks.assign(chunks_.begin() + static_cast<std::ptrdiff_t>(from_chunk - base_), chunks_.end());
  }
  return v;
}

Fill::View Fill::Subscription::read(size_t from_chunk) {
  {
    std::lock_guard<std::mutex> lock(fill_->mutex_);
    for (Subscriber& s : fill_->subscribers_) {
      if (s.waker == waker_ && s.id == id_) s.cursor = from_chunk;
    }
    if (fill_->overflow_) fill_->trim();
  }
  return fill_->read(from_chunk);
}

bool Fill::hasSubscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !subscribers_.empty();
}

Fill::Subscription Fill::subscribe(FillWaker& waker, FillListener* listener) {
  Subscription s;
  s.fill_ = shared_from_this();
  s.waker_ = &waker;
  s.id_ = waker.add(listener);
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.push_back(Subscriber{&waker, s.id_});
  // Whatever happened before the subscription is reported right away (on a later turn).
  if (state_ != State::kFetching) waker.wake(s.id_);
  return s;
}

Fill::Subscription& Fill::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    fill_ = std::move(o.fill_);
    waker_ = o.waker_;
    id_ = o.id_;
    o.waker_ = nullptr;
    o.id_ = 0;
  }
  return *this;
}

void Fill::Subscription::reset() {
  if (!fill_) return;
  {
    std::lock_guard<std::mutex> lock(fill_->mutex_);
    std::erase_if(fill_->subscribers_, [&](const Subscriber& s) { return s.waker == waker_ && s.id == id_; });
    if (fill_->overflow_) fill_->trim();  // what only this follower still had to read goes
  }
  waker_->remove(id_);
  fill_.reset();
  waker_ = nullptr;
  id_ = 0;
}

}  // namespace cuttle::cache
