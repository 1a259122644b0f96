// DeferredQueue: destroys objects on a later turn of the loop (STYLE rule 3), so that an
// object can finish the call it is in when its owner lets go of it.
//
// One per loop. Thread: the loop's thread. close() must be called before the loop closes.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

namespace cuttle {

// Base for objects handed to a DeferredQueue.
class Deferrable {
 public:
  virtual ~Deferrable() = default;
};

class DeferredQueue {
 public:
  explicit DeferredQueue(uv_loop_t* loop);
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;
  ~DeferredQueue();

  // Takes ownership; the object is destroyed before the loop next waits for I/O.
  void destroyLater(std::unique_ptr<Deferrable> object);
  // Destroys everything queued now, then closes the idle handle.
  void close();

 private:
  static void onIdle(uv_idle_t* idle);
  void drain();

  uv_idle_t idle_;
  bool active_ = false;
  bool closed_ = false;
  std::vector<std::unique_ptr<Deferrable>> queue_;
};

}  // namespace cuttle
