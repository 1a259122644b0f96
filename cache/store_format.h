// The on-disk encoding of the store's records and keys (see cache/store.h for the layout).
//
// Every integer is little-endian and fixed-width except where noted; strings are a u32
// length followed by the bytes. Records that can be damaged in place (metadata, vary,
// counters) end with a checksum64 of the bytes before it, and every body chunk has its own
// checksum in the metadata record, seeded with the object key and chunk index so that a
// chunk moved to the wrong place is detected too.
//
// Decoders take a view of an LMDB value, never read outside it, and copy what they return:
// the value dies with its transaction (see STYLE.md). A decoder that fails returns false
// and leaves a short reason in `why` when asked for one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/object.h"

namespace cuttle::cache::store_format {

// Bumped whenever an encoding or the set of sub-databases changes: a store with another
// version is recreated.
inline constexpr uint32_t kSchemaVersion = 1;
inline constexpr uint64_t kChunkSize = 256 * 1024;  // Store::kChunkSize

// A fast 64-bit non-cryptographic checksum (the XXH64 construction: four 64-bit lanes over
// 32-byte stripes, then a tail and an avalanche). Catches torn or flipped bytes, not
// adversaries.
uint64_t checksum64(const void* data, size_t len, uint64_t seed);
// The seed of chunk `index` of the object `key`.
uint64_t chunkSeed(const ObjectKey& key, uint32_t index);
// Number of kChunkSize chunks of a body (0 for an empty body).
uint32_t chunkCount(uint64_t body_size);
// Size of chunk `index` of a body of body_size bytes.
uint64_t chunkLength(uint64_t body_size, uint32_t index);

// ---- meta: ObjectKey -> the stored response without its body -----------------------------
// u8 format(1) | u8 flags(0) | u16 status | u32 chunk count | i64 request_time |
// i64 response_time | u64 body_size | str url | str variant | str vary | str reason |
// str fields | u64 chunk checksum x count | u64 record checksum
struct MetaRecord {
  StoredObject::Init init;           // body empty
  std::vector<uint64_t> chunk_sums;  // one per chunk
};
std::string encodeMeta(const StoredObject::Init& init, const std::vector<uint64_t>& chunk_sums);
bool decodeMeta(std::string_view value, MetaRecord* out, std::string* why = nullptr);

// ---- vary: ObjectKey::forUrl(url) -> the URL and the normalised Vary of its responses ----
// u8 format(1) | str url | str vary | u64 record checksum
std::string encodeVary(std::string_view url, std::string_view vary);
bool decodeVary(std::string_view value, std::string* url, std::string* vary);

// ---- evict: ObjectKey -> where the object is in the S3-FIFO queues ------------------------
// u8 queue | u8 freq | u64 seq | u64 charge  (18 bytes; rewritten on hits and queue moves,
// which is why it is not part of the metadata record)
enum class QueueId : uint8_t { kSmall = 'S', kMain = 'M', kGhost = 'G' };
struct EvictRecord {
  QueueId queue = QueueId::kSmall;
  uint8_t freq = 0;     // accesses while in the queue, capped at 3
  uint64_t seq = 0;     // position: the queue record is queueKey(queue, seq)
  uint64_t charge = 0;  // bytes accounted for the object (metadata, body, record overhead)
};
std::string encodeEvict(const EvictRecord& r);
bool decodeEvict(std::string_view value, EvictRecord* out);

// ---- info ----------------------------------------------------------------------------------
inline constexpr std::string_view kSchemaKey = "schema";
inline constexpr std::string_view kCountersKey = "counters";
inline constexpr std::string_view kTickKey = "tick";  // rewritten to force a commit
// "cuttle-store\0" | u32 version
std::string encodeSchema(uint32_t version);
bool checkSchema(std::string_view value, std::string* why);

// Counters kept in `info`, rewritten by every write transaction.
struct Counters {
  uint64_t bytes = 0;        // sum of the charges of the stored objects
  uint64_t objects = 0;      // number of meta records
  uint64_t small_bytes = 0;  // charges of the objects in the small FIFO
  uint64_t main_bytes = 0;   // charges of the objects in the main FIFO
  uint64_t ghosts = 0;       // number of ghost records
  uint64_t next_seq = 1;     // next queue sequence number (shared by the three queues)
  uint64_t evictions = 0;    // objects evicted since the store was created
  bool operator==(const Counters&) const = default;
};
// u8 format(1) | 7 x u64 | u64 record checksum
std::string encodeCounters(const Counters& c);
bool decodeCounters(std::string_view value, Counters* out);

// ---- keys ----------------------------------------------------------------------------------
// body: ObjectKey (16) + chunk index (u32 big-endian, so that a key's chunks sort in order).
std::string bodyKey(const ObjectKey& key, uint32_t index);
// urlvariants: forUrl(url) (16) + variant ObjectKey (16) -> empty value. The variants of a
// URL are the records whose key starts with forUrl(url).
std::string variantIndexKey(const ObjectKey& url_key, const ObjectKey& key);
// queue: queue id (1) + sequence number (u64 big-endian: a queue's oldest record sorts first)
// -> ObjectKey (16).
std::string queueKey(QueueId queue, uint64_t seq);
bool decodeQueueKey(std::string_view key, QueueId* queue, uint64_t* seq);

// Bytes charged per LMDB record on top of its key and value (node header, page slack).
inline constexpr uint64_t kRecordOverhead = 64;
// The charge of an object whose metadata record is meta_len bytes.
uint64_t objectCharge(uint64_t meta_len, uint64_t body_size);

}  // namespace cuttle::cache::store_format
