// MemoryCache: hot objects kept in memory (squid's cache_mem), shared by all workers.
//
// Sharded by URL (so a URL's record and all its variants share one lock); each shard has its
// own mutex and its own S3-FIFO (a small probationary
// FIFO taking ~10% of the shard's bytes, the main FIFO, and a ghost list of keys recently
// evicted from the small FIFO): an object seen once leaves quickly, an object hit again is
// promoted, so one scan over many cold objects does not flush the frequently used ones.
//
// The URL's normalised Vary is kept beside the objects, so that a lookup can compute the
// secondary key without touching the disk.
//
// Thread-safe. Returned ObjectPtrs stay valid after eviction (shared ownership).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/object.h"

namespace cuttle::cache {

struct MemoryCacheStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t evictions = 0;
};

class MemoryCache {
 public:
  static constexpr size_t kShards = 16;

  // capacity: cache_mem; objects larger than max_object_bytes
  // (maximum_object_size_in_memory) are never kept.
  MemoryCache(uint64_t capacity, uint64_t max_object_bytes);

  // The Vary recorded for url, or nullopt when no variant of it is in memory.
  std::optional<std::string> vary(std::string_view url);
  // The variant `key` of url, if present; counts as an access.
  ObjectPtr get(std::string_view url, const ObjectKey& key);
  // Inserts or replaces. Objects over the size limit, or without their whole body, are
  // ignored.
  void put(const ObjectPtr& object);
  // Removes every variant of url.
  void removeUrl(std::string_view url);
  bool accepts(uint64_t footprint) const { return footprint <= max_object_bytes_ && capacity_ > 0; }
  MemoryCacheStats stats() const;

 private:
  struct Entry {
    ObjectPtr object;
    uint64_t bytes = 0;
    uint8_t freq = 0;
    bool main = false;
    std::list<ObjectKey>::iterator pos;
  };
  struct UrlEntry {
    std::string vary;
    std::vector<ObjectKey> variants;  // keys of this URL's objects in the shard
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<ObjectKey, Entry, ObjectKeyHash> entries;
    std::unordered_map<ObjectKey, UrlEntry, ObjectKeyHash> urls;
    std::list<ObjectKey> small;
    std::list<ObjectKey> main;
    std::list<ObjectKey> ghost;
    std::unordered_map<ObjectKey, std::list<ObjectKey>::iterator, ObjectKeyHash> ghost_index;
    uint64_t small_bytes = 0;
    uint64_t main_bytes = 0;
    uint64_t evictions = 0;
  };

  Shard& shardFor(std::string_view url) { return shards_[ObjectKey::forUrl(url).lo % kShards]; }
  void evict(Shard& s);
  void erase(Shard& s, std::unordered_map<ObjectKey, Entry, ObjectKeyHash>::iterator it, bool to_ghost);
  void remember(Shard& s, const ObjectKey& key);

  uint64_t capacity_;
  uint64_t shard_capacity_;
  uint64_t max_object_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace cuttle::cache
