// Read-only inspection of a Store, for tools (cuttle-cache) and tests: every stored object,
// the variants of one URL, and the totals the store records on disk.
//
// What is seen: committed records only. Operations still queued in the process that writes
// the store (its pending puts and removals) are invisible here; for a read-only Store opened
// on the store of a running proxy, that is what the proxy's writer has committed so far.
//
// Transactions: every call reads in its own short read-only transactions, independent of
// the store's Readers. listStore() reads at most kListBatch records per transaction and
// resumes after the last key it saw, so that listing a large live store never keeps one
// LMDB snapshot open for long (an old snapshot keeps the writer from reusing its pages).
// The listing is therefore not a snapshot: an object put or removed while it runs may or
// may not be visited; no key is visited twice. Nothing is returned as a view into the map:
// entries are copied out before the transaction ends (see STYLE.md).
//
// Threads: any thread, concurrently with the store's Readers and writer.
// Cost: listStore() decodes every metadata record (the URL is inside it); urlVariants()
// and storeInfo() read a handful of records.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/object.h"
#include "cache/store.h"
#include "common/error.h"

namespace cuttle::cache {

// One stored object: its metadata and where it stands for eviction.
struct StoreEntry {
  enum class Queue : uint8_t { kSmall, kMain, kUnknown };  // S3-FIFO queue (kUnknown: no record)
  ObjectPtr object;     // metadata only: body() is empty, bodySize() is the stored size
  uint64_t charge = 0;  // bytes accounted to the object (metadata, body, record overhead)
  Queue queue = Queue::kUnknown;
  uint8_t frequency = 0;  // accesses counted while in its queue, capped at 3
};

struct ListOutcome {
  uint64_t visited = 0;  // entries passed to the visitor
  uint64_t damaged = 0;  // metadata records that failed their checks (skipped)
};

inline constexpr size_t kListBatch = 256;

// Calls visit(entry) for every stored object whose URL starts with url_prefix ("" for
// all), in key order (the order of the hashes, not of the URLs). The visitor runs outside
// any transaction; returning false stops the listing. Damaged records are skipped and
// counted. Errors: LMDB errors (Side::kCache).
Result<ListOutcome> listStore(Store& store, std::string_view url_prefix,
                              const std::function<bool(const StoreEntry&)>& visit);

struct UrlEntries {
  // The normalised Vary recorded for the URL ("" when its responses do not vary), or
  // nullopt when there is no vary record for it.
  std::optional<std::string> vary;
  std::vector<StoreEntry> variants;  // every stored variant (urlvariants index), key order
  uint64_t damaged = 0;              // variants whose metadata failed its checks (skipped)
};
// The stored variants of exactly `url` (as stored: the canonical absolute URI), read in one
// transaction. Empty when nothing is stored. Errors: LMDB errors.
Result<UrlEntries> urlVariants(Store& store, std::string_view url);

// The store's totals as its counters record has them, and the LMDB environment's size.
struct StoreInfo {
  uint32_t schema_version = 0;
  uint64_t objects = 0;
  uint64_t bytes = 0;        // sum of the objects' charges
  uint64_t small_bytes = 0;  // of which in the small (probationary) FIFO
  uint64_t main_bytes = 0;   // of which in the main FIFO
  uint64_t ghosts = 0;       // recently evicted keys remembered by S3-FIFO
  uint64_t evictions = 0;    // objects evicted since the store was created
  uint64_t page_size = 0;
  uint64_t used_bytes = 0;  // pages in use in the data file: (last page + 1) * page size
  uint64_t map_size = 0;    // the map size of this process's environment (at least used_bytes)
};
// Errors: LMDB errors; a missing or damaged counters or schema record.
Result<StoreInfo> storeInfo(Store& store);

}  // namespace cuttle::cache
