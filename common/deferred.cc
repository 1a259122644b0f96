#include "common/deferred.h"

namespace cuttle {

DeferredQueue::DeferredQueue(uv_loop_t* loop) {
  uv_idle_init(loop, &idle_);
  idle_.data = this;
}

DeferredQueue::~DeferredQueue() { queue_.clear(); }

void DeferredQueue::destroyLater(std::unique_ptr<Deferrable> object) {
  if (!object) return;
  if (closed_) return;  // destroyed right here: the loop is going away
  queue_.push_back(std::move(object));
  if (!active_) {
    active_ = true;
    uv_idle_start(&idle_, &DeferredQueue::onIdle);
  }
}

void DeferredQueue::drain() {
  // Destructors may queue more objects: loop until quiet.
  while (!queue_.empty()) {
    std::vector<std::unique_ptr<Deferrable>> batch;
    batch.swap(queue_);
    batch.clear();
  }
}

void DeferredQueue::onIdle(uv_idle_t* idle) {
  auto* self = static_cast<DeferredQueue*>(idle->data);
  self->drain();
  self->active_ = false;
  uv_idle_stop(idle);
}

void DeferredQueue::close() {
  if (closed_) return;
  drain();
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
}

}  // namespace cuttle
