// Gate: a one-shot latch between a test and its origin handlers ("release the rest of the
// response now"). open() is thread-safe and idempotent; wait() blocks until opened, bounded
// by kSafetyTimeout (a timeout reports a gtest failure and returns false).
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "tests/support/socket_stream.h"

namespace cuttle::test {

class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kSafetyTimeout, [&] { return open_; })) return true;
    ADD_FAILURE() << "safety timeout waiting for a gate to open";
    return false;
  }
  bool isOpen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace cuttle::test
