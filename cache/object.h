// What the cache stores: an immutable response (StoredObject) and its key.
//
// A StoredObject is built once, then shared read-only between threads as
// std::shared_ptr<const StoredObject>: the memory cache, the store's write queue, and the
// exchanges serving it all hold the same bytes. Body chunks are themselves shared, so an
// updated object (after a 304) can reuse the body of the previous one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/header_list.h"

namespace cuttle::cache {

// 128-bit hash of a cache key. LMDB keys are limited to 511 bytes and URLs are not; the full
// URL is kept in the object and compared on lookup, so a collision is a miss, never a wrong
// hit.
struct ObjectKey {
  uint64_t hi = 0;
  uint64_t lo = 0;

  // The key of the Vary record of a URL (which request fields select its variants).
  static ObjectKey forUrl(std::string_view url);
  // The key of one stored response: the URL and its secondary key (empty without Vary).
  static ObjectKey forVariant(std::string_view url, std::string_view variant);
  // 16 bytes, big-endian hi then lo: sorts like the numbers.
  std::string bytes() const;
  static ObjectKey fromBytes(std::string_view b);
  std::string hex() const;
  bool operator==(const ObjectKey&) const = default;
};

struct ObjectKeyHash {
  size_t operator()(const ObjectKey& k) const { return static_cast<size_t>(k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull)); }
};

// A 128-bit non-cryptographic hash (MurmurHash3 x64 128 construction).
void hash128(std::string_view data, uint64_t seed, uint64_t* hi, uint64_t* lo);

class StoredObject {
 public:
  using Chunk = std::shared_ptr<const std::string>;

  StoredObject(const StoredObject&) = delete;
  StoredObject& operator=(const StoredObject&) = delete;

  struct Init {
    std::string url;
    std::string variant;   // secondary key from the request fields named by Vary
    std::string vary;      // normalised Vary of the response: lower-case names, ", "-joined
    int status = 200;
    std::string reason;
    // The header section to store: "Name: value\r\n" lines, as received, minus hop-by-hop
    // fields, fields named by Connection and framing fields (RFC 9111 3.1). Age is kept
    // (currentAge() needs it) and replaced by the computed age when served.
    std::string fields;
    int64_t request_time = 0;   // unix seconds: when the request that fetched it was sent
    int64_t response_time = 0;  // unix seconds: when its response head arrived
    uint64_t body_size = 0;
    std::vector<Chunk> body;    // may be empty when only the metadata is loaded
    uint32_t hits = 0;          // accesses seen (eviction), informational
  };

  // Parses `init.fields` into headers(). Returns null if the fields are not valid lines.
  static std::shared_ptr<StoredObject> create(Init init);

  const ObjectKey& key() const { return key_; }
  const std::string& url() const { return init_.url; }
  const std::string& variant() const { return init_.variant; }
  const std::string& vary() const { return init_.vary; }
  int status() const { return init_.status; }
  const std::string& reason() const { return init_.reason; }
  const std::string& fields() const { return init_.fields; }
  const HeaderList& headers() const { return headers_; }
  int64_t requestTime() const { return init_.request_time; }
  int64_t responseTime() const { return init_.response_time; }
  uint64_t bodySize() const { return init_.body_size; }
  const std::vector<Chunk>& body() const { return init_.body; }
  bool bodyLoaded() const;
  uint32_t hits() const { return init_.hits; }
  // Memory charged to the object: fields, strings and body.
  uint64_t footprint() const;
  const Init& init() const { return init_; }

 private:
  explicit StoredObject(Init init);
  Init init_;
  ObjectKey key_;
  HeaderList headers_;  // views into init_.fields
};

using ObjectPtr = std::shared_ptr<const StoredObject>;

}  // namespace cuttle::cache
