// Store: the on-disk cache, one LMDB environment under cache_dir.
//
// Layout (named sub-databases of one environment):
//   info    schema version, byte and object counters, queue sequence numbers
//   vary    ObjectKey::forUrl(url)  -> the normalised Vary of the URL's responses
//   meta    ObjectKey of a variant   -> metadata record (url, variant, status, fields,
//                                       times, body size, chunk checksums, eviction state)
//   body    ObjectKey + chunk index   -> body bytes, kChunkSize per chunk (last one shorter)
//   queue   queue id + sequence      -> ObjectKey (S3-FIFO eviction queues, persistent)
//
// Threads and transactions:
//   - Reads happen on the calling thread (the workers) through a Reader, one per thread,
//     with short read-only transactions that never span a loop turn. LMDB readers never
//     block on the writer.
//   - Every write goes through the store's writer thread, which batches queued operations
//     into few transactions. put()/remove()/touch() only queue and return; the loops never
//     wait for a commit or an fsync. The environment runs with MDB_NOSYNC and the writer
//     syncs it in the background every few seconds: a process crash (SIGKILL) loses only
//     operations whose transaction had not committed; data on disk is always a consistent
//     LMDB snapshot.
//   - An object is written (body chunks then metadata) in one transaction: it is visible
//     whole or not at all. Between put() and the commit, lookups find it in the pending
//     map, so the object is never missing in between.
//
// Size: the LMDB map size is the configured size, and the writer evicts (S3-FIFO: a small
// probationary FIFO in front of the main FIFO, with a ghost list, so that one scan over many
// objects seen once does not flush the frequently used ones) to keep the stored bytes under
// kFillRatio of it. On MDB_MAP_FULL it evicts more and retries.
//
// Robustness: a missing directory is created. A store that fails to open, has another
// schema version, or whose records fail their checks is reported (LOG_ERROR), deleted and
// recreated; a corrupt object found while reading is dropped and reported as a miss. No
// operation scans the store at start: opening is constant time whatever its size.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/object.h"
#include "common/error.h"

namespace cuttle::cache {

struct StoreOptions {
  std::string path;              // directory; created when missing
  uint64_t max_bytes = 1ull << 30;
  uint64_t sync_interval_ms = 5000;  // background mdb_env_sync period
  bool read_only = false;        // tools reading a live store: no writer thread, no recreate
};

struct StoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;            // stored bytes (metadata and bodies) as accounted
  uint64_t evictions = 0;
  uint64_t queue_depth = 0;      // operations waiting for the writer
  uint64_t commits = 0;
  uint64_t write_errors = 0;
  uint64_t corrupt_objects = 0;
};

class Store {
 public:
  static constexpr uint64_t kChunkSize = 256 * 1024;
  static constexpr double kFillRatio = 0.85;

  // Opens (or creates, or recreates) the store and starts the writer thread.
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  // Stops the writer after it has committed everything queued, syncs, closes.
  ~Store();

  // A per-thread reader. Not thread-safe; create one per worker thread. Must be destroyed
  // before the Store.
  class Reader {
   public:
    ~Reader();
    // The normalised Vary recorded for url ("" when its responses do not vary), or nullopt
    // when nothing is stored for url.
    std::optional<std::string> vary(std::string_view url);
    // The stored response for (url, variant), or null. With `with_body`, the body is loaded
    // too when it is at most `max_body` bytes (otherwise metadata only: stream it with
    // readBody). Checks the URL (hash collisions) and the chunk checksums.
    ObjectPtr load(std::string_view url, std::string_view variant, bool with_body,
                   uint64_t max_body);
    // Up to `max_len` body bytes of the object starting at `offset` (within one chunk), or
    // an error if the object is gone or corrupt.
    Result<std::string> readBody(const ObjectKey& key, uint64_t offset, uint64_t max_len);

   private:
    friend class Store;
    explicit Reader(Store& store);
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  std::unique_ptr<Reader> reader();

  // Queues a complete object (body loaded) for writing, replacing any object with the same
  // key, and records the URL's Vary.
  void put(ObjectPtr object);
  // Queues an update of an object's metadata after a 304 (same body).
  void updateMeta(ObjectPtr object);
  // Queues the removal of every stored variant of url (PURGE, invalidation).
  void remove(std::string_view url);
  // A hit on key: counts for eviction (lossy, batched).
  void touch(const ObjectKey& key);
  // Waits until everything queued so far is committed (tests, tools, shutdown).
  void flush();

  StoreStats stats() const;
  const StoreOptions& options() const;

  struct Impl;

 private:
  Store();
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::cache
