#include "cache/memory_cache.h"

#include <algorithm>

namespace cuttle::cache {
namespace {
constexpr uint8_t kMaxFreq = 3;
}  // namespace

MemoryCache::MemoryCache(uint64_t capacity, uint64_t max_object_bytes)
    : capacity_(capacity), shard_capacity_(capacity / kShards), max_object_bytes_(max_object_bytes) {
  // An object must fit in its shard.
  if (max_object_bytes_ > shard_capacity_ / 2) max_object_bytes_ = shard_capacity_ / 2;
}

std::optional<std::string> MemoryCache::vary(std::string_view url) {
  Shard& s = shardFor(url);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.urls.find(ObjectKey::forUrl(url));
  if (it == s.urls.end() || it->second.variants.empty()) return std::nullopt;
  return it->second.vary;
}

ObjectPtr MemoryCache::get(std::string_view url, const ObjectKey& key) {
  Shard& s = shardFor(url);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return nullptr;
  if (it->second.freq < kMaxFreq) ++it->second.freq;
  return it->second.object;
}

void MemoryCache::put(const ObjectPtr& object) {
  if (!object || !object->bodyLoaded()) return;
  const uint64_t bytes = object->footprint();
  if (!accepts(bytes)) return;
  const ObjectKey key = object->key();
  Shard& s = shardFor(object->url());
  std::lock_guard<std::mutex> lock(s.mutex);
  UrlEntry& url = s.urls[ObjectKey::forUrl(object->url())];
  if (url.vary != object->vary()) url.vary = object->vary();
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    Entry& e = it->second;
    (e.main ? s.main_bytes : s.small_bytes) -= e.bytes;
    e.object = object;
    e.bytes = bytes;
    (e.main ? s.main_bytes : s.small_bytes) += bytes;
  } else {
    Entry e;
    e.object = object;
    e.bytes = bytes;
    auto ghost = s.ghost_index.find(key);
    if (ghost != s.ghost_index.end()) {
      // Evicted recently from probation and asked for again: straight to main.
      s.ghost.erase(ghost->second);
      s.ghost_index.erase(ghost);
      e.main = true;
      e.pos = s.main.insert(s.main.end(), key);
      s.main_bytes += bytes;
    } else {
      e.pos = s.small.insert(s.small.end(), key);
      s.small_bytes += bytes;
    }
    s.entries.emplace(key, std::move(e));
    url.variants.push_back(key);
  }
  evict(s);
}

void MemoryCache::evict(Shard& s) {
  while (s.small_bytes + s.main_bytes > shard_capacity_) {
    const bool from_small = !s.small.empty() && (s.small_bytes > shard_capacity_ / 10 || s.main.empty());
    std::list<ObjectKey>& q = from_small ? s.small : s.main;
    if (q.empty()) break;
    ObjectKey key = q.front();
    auto it = s.entries.find(key);
    Entry& e = it->second;
    if (from_small) {
      if (e.freq > 0) {
        // Seen again while on probation: promote.
        s.small.pop_front();
        s.small_bytes -= e.bytes;
        e.main = true;
        e.freq = 0;
        e.pos = s.main.insert(s.main.end(), key);
        s.main_bytes += e.bytes;
      } else {
        erase(s, it, true);
        ++s.evictions;
      }
    } else if (e.freq > 0) {
      --e.freq;
      s.main.splice(s.main.end(), s.main, e.pos);
    } else {
      erase(s, it, false);
      ++s.evictions;
    }
  }
}

void MemoryCache::remember(Shard& s, const ObjectKey& key) {
  // The ghost list holds about as many keys as the cache holds objects.
  const size_t limit = std::max<size_t>(64, s.entries.size());
  s.ghost_index[key] = s.ghost.insert(s.ghost.end(), key);
  while (s.ghost.size() > limit) {
    s.ghost_index.erase(s.ghost.front());
    s.ghost.pop_front();
  }
}

void MemoryCache::erase(Shard& s, std::unordered_map<ObjectKey, Entry, ObjectKeyHash>::iterator it,
                        bool to_ghost) {
  Entry& e = it->second;
  if (e.main) {
    s.main.erase(e.pos);
    s.main_bytes -= e.bytes;
  } else {
    s.small.erase(e.pos);
    s.small_bytes -= e.bytes;
  }
  const ObjectKey key = it->first;
  const ObjectKey url_key = ObjectKey::forUrl(e.object->url());
  s.entries.erase(it);
  auto u = s.urls.find(url_key);
  if (u != s.urls.end()) {
    std::erase(u->second.variants, key);
    if (u->second.variants.empty()) s.urls.erase(u);
  }
  if (to_ghost) remember(s, key);
}

void MemoryCache::removeUrl(std::string_view url) {
  Shard& s = shardFor(url);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto u = s.urls.find(ObjectKey::forUrl(url));
  if (u == s.urls.end()) return;
  std::vector<ObjectKey> variants = u->second.variants;
  for (const ObjectKey& key : variants) {
    auto it = s.entries.find(key);
    if (it != s.entries.end()) erase(s, it, false);
  }
  s.urls.erase(ObjectKey::forUrl(url));
}

MemoryCacheStats MemoryCache::stats() const {
  MemoryCacheStats st;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(s.mutex));
    st.objects += s.entries.size();
    st.bytes += s.small_bytes + s.main_bytes;
    st.evictions += s.evictions;
  }
  return st;
}

}  // namespace cuttle::cache
