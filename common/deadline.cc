#include "common/deadline.h"

namespace cuttle {

void Deadline::init(uv_loop_t* loop, void* owner, Callback callback) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  owner_ = owner;
  callback_ = callback;
}

void Deadline::arm(uint64_t timeout_ms) {
  const uint64_t now = uv_now(timer_.loop);
  deadline_ = now + timeout_ms;
  armed_ = true;
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_)) || scheduled_ > deadline_) {
    uv_timer_start(&timer_, &Deadline::onTimer, timeout_ms, 0);
    scheduled_ = deadline_;
  }
}

void Deadline::onTimer(uv_timer_t* t) {
  auto* self = static_cast<Deadline*>(t->data);
  if (!self->armed_) return;
  const uint64_t now = uv_now(t->loop);
  if (now < self->deadline_) {
    uv_timer_start(t, &Deadline::onTimer, self->deadline_ - now, 0);
    self->scheduled_ = self->deadline_;
    return;
  }
  self->armed_ = false;
  self->callback_(self->owner_);
}

}  // namespace cuttle
