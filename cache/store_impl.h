// Store::Impl: the state shared by the store's sources (store.cc: open, queueing, pending
// writes; store_reader.cc: reads; store_writer.cc: the writer thread; store_verify.cc).
// Not for users of the store.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cache/store.h"
#include "cache/store_format.h"

namespace cuttle::cache {

struct StoreDbs {
  MDB_dbi info = 0;
  MDB_dbi vary = 0;
  MDB_dbi meta = 0;
  MDB_dbi body = 0;
  MDB_dbi queue = 0;
  MDB_dbi urlvariants = 0;
  MDB_dbi evict = 0;
  MDB_dbi ghost = 0;
};

// One queued write, applied by the writer in queue order.
struct StoreOp {
  enum class Kind : uint8_t {
    kPut,          // object
    kUpdateMeta,   // object (same body)
    kRemove,       // url: every variant
    kDropKey,      // key: a put that will not be stored supersedes what is stored
    kDropCorrupt,  // key (url if known): a reader found it corrupt; dropped if the writer agrees
    kBarrier,      // nothing: flush() waits for its sequence number
  };
  Kind kind = Kind::kBarrier;
  uint64_t seq = 0;
  ObjectPtr object;
  std::string url;
  ObjectKey key;
  std::vector<ObjectKey> hidden;  // kRemove: the queued puts of url it turned into removals
  static StoreOp make(Kind kind, ObjectPtr object, std::string url = {}, ObjectKey key = {}) {
    StoreOp op;
    op.kind = kind;
    op.object = std::move(object);
    op.url = std::move(url);
    op.key = key;
    return op;
  }
  uint64_t bytes() const { return object ? object->bodySize() : 0; }
};

// What readers see of queued, uncommitted writes (guarded by Impl::mu).
struct PendingVariant {
  ObjectPtr object;  // null: the key's removal is queued
  uint64_t seq = 0;
  bool meta_only = false;  // an updateMeta whose object has no body: the body is on disk
};
struct PendingUrl {
  std::optional<std::string> vary;  // Vary of the newest queued put of the URL
  uint64_t vary_seq = 0;
  uint64_t removed_seq = 0;         // a queued remove(url): older disk variants are hidden
  std::vector<ObjectKey> variants;  // keys of the URL's queued puts (for remove)
};
struct PendingLookup {
  enum class Kind { kNone, kObject, kHidden } kind = Kind::kNone;
  ObjectPtr object;
  bool meta_only = false;
};

class StoreWriter;

struct Store::Impl {
  Impl();
  ~Impl();

  StoreOptions options;
  MDB_env* env = nullptr;
  StoreDbs dbs;
  uint64_t map_size = 0;
  uint64_t target_bytes = 0;  // kFillRatio * max_bytes
  // Operations (and evictions) per write transaction. Every page a transaction changes is
  // copied, and the pages it frees are reused only two commits later: a transaction must
  // dirty few enough pages to fit in the map's free share whatever the object sizes.
  uint64_t op_budget = 0;
  uint64_t open_reads = 0;  // records open() read
  std::string registered_path;

  // Statistics (any thread).
  std::atomic<uint64_t> objects{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> queue_depth{0};
  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> corrupt_objects{0};

  // The write queue and the pending maps.
  std::mutex mu;
  std::condition_variable work_cv;  // the writer waits for work
  std::condition_variable done_cv;  // flush() waits for processed_seq
  std::deque<StoreOp> queue;
  uint64_t queued_bytes = 0;
  uint64_t next_op_seq = 1;
  uint64_t processed_seq = 0;
  bool stopping = false;
  bool touches_due = false;  // enough touches gathered: the writer should apply them
  std::unordered_map<ObjectKey, PendingVariant, ObjectKeyHash> pending_variants;
  std::unordered_map<std::string, PendingUrl> pending_urls;
  std::atomic<size_t> pending_count{0};  // size of the two maps: readers skip mu when 0

  // Hits not yet applied to the eviction state (lossy: bounded, dropped when full).
  std::mutex touch_mu;
  std::unordered_map<ObjectKey, uint32_t, ObjectKeyHash> touches;

  std::unique_ptr<StoreWriter> writer;
  std::thread writer_thread;

  // ---- store.cc ----
  // Queues op (mu held): assigns its sequence number and wakes the writer.
  uint64_t enqueueLocked(StoreOp op);
  // Records a queued put or update of object in pending_urls (mu held).
  void notePendingUrl(const StoredObject& object, uint64_t seq);
  // Forgets the pending entries of ops, now processed up to `processed` (mu held).
  void clearPendingLocked(const std::vector<StoreOp>& ops, uint64_t processed);
  void refreshPendingCount();
  PendingLookup lookupPending(std::string_view url, const ObjectKey& key);
  PendingLookup lookupPendingKey(const ObjectKey& key);
  // nullopt: ask the disk; otherwise the answer of vary(url).
  std::optional<std::optional<std::string>> pendingVary(std::string_view url);
  // A reader found key (of url, when known) corrupt: count it and let the writer check and
  // drop it.
  void reportCorrupt(const ObjectKey& key, std::string_view url = {});
  uint64_t batchLimit() const;
};

// ---- shared record access (store_reader.cc) ------------------------------------------------
// Reads and decodes the metadata of key: 0, MDB_NOTFOUND, MDB_CORRUPTED (reason in why) or
// another MDB error.
int readMeta(MDB_txn* txn, const StoreDbs& dbs, const ObjectKey& key, store_format::MetaRecord* out,
             std::string* why);
// Chunk `index` of key's body, checked against its length and checksum in meta. The view
// lives as long as the transaction (or, in a write transaction, until the next change).
int readChunk(MDB_txn* txn, const StoreDbs& dbs, const ObjectKey& key,
              const store_format::MetaRecord& meta, uint32_t index, std::string_view* out);

}  // namespace cuttle::cache
