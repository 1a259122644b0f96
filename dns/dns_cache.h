// DnsCache: the answers of finished lookups (addresses or an error) per host name, each
// with an expiry time, bounded in number with least-recently-used eviction.
//
// Pure data structure: no clock of its own (every call takes `now`), no I/O, no loop.
// Not thread-safe; one per resolver (per worker loop).
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "common/error.h"
#include "dns/resolver.h"

namespace cuttle::dns {

class DnsCache {
 public:
  using Answer = Result<AddressList>;

  // max_entries == 0 disables caching: put() stores nothing.
  explicit DnsCache(size_t max_entries) : max_entries_(max_entries) {}

  // Stores answer for name (already normalised), fresh while now < expires_ms. Replaces an
  // earlier answer for name and makes it the most recently used; then evicts the least
  // recently used entries beyond max_entries.
  void put(const std::string& name, Answer answer, uint64_t expires_ms);

  // The fresh answer for name at now_ms and marks it recently used, or nullptr when there is
  // none (an expired entry is dropped). The pointer is valid until the next put() or find().
  const Answer* find(const std::string& name, uint64_t now_ms);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Answer answer;
    uint64_t expires_ms;
    std::list<std::string>::iterator lru;  // position in lru_
  };
  void evict();

  size_t max_entries_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recently used
};

}  // namespace cuttle::dns
