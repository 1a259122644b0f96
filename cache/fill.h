// Fill: a response being fetched into the cache, readable while it is written.
//
// Collapsed forwarding: the first request for a missing or stale URL becomes the leader
// and fetches; concurrent requests for the URL follow the fill, on any worker. The leader
// publishes the head, then body chunks as they arrive, then the complete object, or fails
// the fill (uncacheable response, origin error, abort): followers then fetch on their own.
// Followers are woken on their own loop through their worker's FillWaker.
//
// Threads: the leader calls the writer side on its loop; followers read under the fill's
// mutex from theirs. Lock order: a fill's mutex, then a waker's; never the reverse.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/object.h"

namespace cuttle::cache {

class FillListener {
 public:
  virtual ~FillListener() = default;
  // The fill changed (head, more body, completion or failure). On the listener's loop.
  virtual void onFillProgress() = 0;
};

// Delivers wake-ups to listeners on one loop. Thread: wake() from any thread; the rest on
// the loop's thread. Every subscription must be gone before close().
class FillWaker {
 public:
  explicit FillWaker(uv_loop_t* loop);
  FillWaker(const FillWaker&) = delete;
  FillWaker& operator=(const FillWaker&) = delete;
  ~FillWaker();

  uint64_t add(FillListener* listener);
  void remove(uint64_t id);
  void wake(uint64_t id);
  void close();

 private:
  static void onAsync(uv_async_t* async);
  uv_async_t async_;
  std::mutex mutex_;
  std::vector<uint64_t> pending_;  // guarded by mutex_
  std::unordered_map<uint64_t, FillListener*> listeners_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

class Fill : public std::enable_shared_from_this<Fill> {
 public:
  enum class State : uint8_t { kFetching, kStreaming, kComplete, kFailed };

  explicit Fill(std::string url) : url_(std::move(url)) {}
  const std::string& url() const { return url_; }

  // ---- Leader.
  // The response head: an object with the stored fields and no body; `length` when known.
  void publishHead(ObjectPtr head, std::optional<uint64_t> length);
  void appendBody(StoredObject::Chunk chunk);
  // The response will not be stored (it outgrew maximum_object_size) but goes on: the
  // followers already streaming keep receiving it; the fill keeps only what some of them
  // still has to read, about kOverflowWindow bytes (the leader waits: roomForMore()).
  // Followers that have not started must fetch on their own.
  void overflow();
  // After overflow(), the leader reads from the origin no faster than the slowest streaming
  // follower: roomForMore() is false while the fill holds kOverflowWindow bytes some
  // follower has not read yet; the leader then stops reading until `waker` wakes `id` (a
  // follower read on or left). So no follower is ever cut and the fill stays bounded.
  // setLeaderWaker(nullptr, 0) before the leader goes.
  void setLeaderWaker(FillWaker* waker, uint64_t id);
  bool roomForMore();
  // The object is complete. `object` is null when it was not stored (after overflow()).
  void complete(ObjectPtr object);
  void fail();
  static constexpr uint64_t kOverflowWindow = 16 * 1024 * 1024;

  // ---- Followers.
  struct View {
    State state = State::kFetching;
    bool overflow = false;               // not stored: only streaming followers go on
    bool lost = false;                   // chunks from the index asked for were dropped
    ObjectPtr head;                      // from kStreaming on
    std::optional<uint64_t> length;
    std::vector<StoredObject::Chunk> chunks;  // chunks from the index asked for
    ObjectPtr object;                    // kComplete
  };
  View read(size_t from_chunk) const;
  bool hasSubscribers() const;

  // Subscription: wakes `listener` on its loop at every change; unsubscribes when
  // destroyed. No wake-up for it runs after its destruction.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& o) noexcept { *this = std::move(o); }
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription() { reset(); }
    void reset();
    // Reads from `from_chunk` on, telling the fill that the earlier chunks are consumed.
    View read(size_t from_chunk);

   private:
    friend class Fill;
    std::shared_ptr<Fill> fill_;
    FillWaker* waker_ = nullptr;
    uint64_t id_ = 0;
  };
  Subscription subscribe(FillWaker& waker, FillListener* listener);

 private:
  void wakeAll();  // with mutex_ held
  void trim();     // with mutex_ held, after overflow()
  // A hard cap for a leader that does not wait (kOverflowWindow times this): followers
  // further behind lose their place.
  static constexpr uint64_t kOverflowHardCap = 4;

  std::string url_;
  mutable std::mutex mutex_;
  State state_ = State::kFetching;
  ObjectPtr head_;
  std::optional<uint64_t> length_;
  std::vector<StoredObject::Chunk> chunks_;  // chunks_[0] is chunk number base_
  size_t base_ = 0;
  uint64_t retained_bytes_ = 0;
  bool overflow_ = false;
  FillWaker* leader_waker_ = nullptr;
  uint64_t leader_id_ = 0;
  bool leader_waiting_ = false;
  ObjectPtr object_;
  struct Subscriber {
    FillWaker* waker;
    uint64_t id;
    size_t cursor = 0;  // chunks it has consumed
  };
  std::vector<Subscriber> subscribers_;
};

}  // namespace cuttle::cache
