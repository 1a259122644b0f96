// Cache: what the proxy sees of cache/. Memory (cache_mem) in front of the LMDB store
// (cache_dir), the in-flight fills of collapsed forwarding, and the configured policy.
//
// A cache fault never fails a request: a store that cannot be opened leaves a memory-only
// cache (logged), a record that cannot be read is a miss.
//
// Threads: one Cache per process; each worker attaches a Context on its loop thread and
// passes it to the calls that read (they use the context's store reader).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cache/fill.h"
#include "cache/memory_cache.h"
#include "cache/object.h"
#include "cache/policy.h"
#include "cache/store.h"
#include "common/error.h"
#include "conf/config.h"

namespace cuttle::cache {

struct CacheStats {
  MemoryCacheStats memory;
  StoreStats store;
  uint64_t fills_in_flight = 0;
};

class Cache {
 public:
  // Objects bigger than this are streamed from the store chunk by chunk, not loaded whole.
  static constexpr uint64_t kLoadWholeLimit = 4ull * 1024 * 1024;

  static std::unique_ptr<Cache> open(const conf::Config& config);
  ~Cache();

  class Context {
   public:
    ~Context();
    FillWaker& waker() { return waker_; }
    Store::Reader* reader() { return reader_.get(); }
    // Closes the waker; every fill subscription of this loop must be gone.
    void close() { waker_.close(); }

   private:
    friend class Cache;
    explicit Context(uv_loop_t* loop) : waker_(loop) {}
    FillWaker waker_;
    std::unique_ptr<Store::Reader> reader_;
  };
  std::unique_ptr<Context> attach(uv_loop_t* loop);

  struct Found {
    ObjectPtr object;  // null: nothing stored for this request
    bool from_memory = false;
    bool uri_known = false;  // something is stored for the URL (another variant)
  };
  // The stored response matching url and the request's Vary selection.
  Found lookup(Context& context, std::string_view url, const HeaderList& request_headers);
  // Up to max_len body bytes of `object` from the store (objects not loaded whole). Fails
  // when the stored object is gone or is no longer this one (replaced mid-stream).
  Result<std::string> readBody(Context& context, const StoredObject& object, uint64_t offset,
                               uint64_t max_len);

  struct Claim {
    std::shared_ptr<Fill> fill;
    bool leader = false;
  };
  // Joins the fill in flight for url, or starts one (leader).
  Claim claim(const std::string& url);
  // The leader is done with its fill (after complete() or fail()).
  void release(const std::shared_ptr<Fill>& fill);

  void store(const ObjectPtr& object);
  // After a 304: the new metadata, same body.
  void update(const ObjectPtr& object);
  // PURGE: removes every variant of url; true if something was stored.
  bool purge(Context& context, std::string_view url);
  // RFC 9111 4.4.
  void invalidate(std::string_view url);
  void touch(const ObjectKey& key);

  bool persistent() const { return store_ != nullptr; }
  CacheStats stats() const;

 private:
  Cache(const conf::Config& config);

  MemoryCache memory_;
  std::unique_ptr<Store> store_;
  std::mutex fills_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Fill>> fills_;
};

}  // namespace cuttle::cache
