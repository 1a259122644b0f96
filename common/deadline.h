// Deadline: a uv_timer_t for timeouts that are re-armed all the time (every read, every
// request). Moving a deadline later costs nothing: the timer fires at the old time, sees the
// new deadline and sleeps again. Only a deadline moved earlier touches libuv's timer heap.
//
// The owner embeds it, calls init() once, and closes handle() with its other handles.
// Thread: the loop's.
#pragma once

#include <uv.h>

#include <cstdint>

namespace cuttle {

class Deadline {
 public:
  using Callback = void (*)(void* owner);

  void init(uv_loop_t* loop, void* owner, Callback callback);
  // Fires `timeout_ms` from now (loop time), replacing any earlier arm().
  void arm(uint64_t timeout_ms);
  void stop() { armed_ = false; }
  bool armed() const { return armed_; }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&timer_); }
  // The owner of the Deadline whose handle `h` is (for close callbacks).
  static void* ownerOf(uv_handle_t* h) { return static_cast<Deadline*>(h->data)->owner_; }

 private:
  static void onTimer(uv_timer_t* t);

  uv_timer_t timer_;
  void* owner_ = nullptr;
  Callback callback_ = nullptr;
  uint64_t deadline_ = 0;   // loop time at which the owner wants the callback
  uint64_t scheduled_ = 0;  // loop time at which the uv timer fires, when active
  bool armed_ = false;
};

}  // namespace cuttle
