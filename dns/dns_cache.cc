#include "dns/dns_cache.h"

namespace cuttle::dns {

void DnsCache::put(const std::string& name, Answer answer, uint64_t expires_ms) {
  if (max_entries_ == 0) return;
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    it->second.answer = std::move(answer);
    it->second.expires_ms = expires_ms;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  lru_.push_front(name);
  entries_.emplace(name, Entry{std::move(answer), expires_ms, lru_.begin()});
  evict();
}

const DnsCache::Answer* DnsCache::find(const std::string& name, uint64_t now_ms) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return nullptr;
  if (now_ms >= it->second.expires_ms) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second.answer;
}

void DnsCache::evict() {
  while (entries_.size() > max_entries_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
}

}  // namespace cuttle::dns
