// Store: the on-disk cache, one LMDB environment under cache_dir.
//
// Layout (named sub-databases of one environment; encodings in cache/store_format.h):
//   info        schema version, byte and object counters, queue sequence numbers
//   vary        ObjectKey::forUrl(url)  -> the URL and the normalised Vary of its responses
//   meta        ObjectKey of a variant   -> metadata record (url, variant, status, fields,
//                                           times, body size, chunk checksums)
//   body        ObjectKey + chunk index  -> body bytes, kChunkSize per chunk (last one shorter)
//   urlvariants forUrl(url) + ObjectKey  -> empty: the variants of a URL, for remove(url)
//   evict       ObjectKey                -> eviction state: queue, position, frequency, charge
//                                           (apart from meta: hits rewrite 18 bytes, not the
//                                           metadata record)
//   queue       queue id + sequence      -> ObjectKey (S3-FIFO eviction queues, persistent)
//   ghost       ObjectKey                -> sequence in the ghost queue (recently evicted)
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
//     map, so the object is never missing in between; likewise a queued remove() hides
//     what is on disk until it commits.
//   - Objects are shared, immutable StoredObjects: put() keeps a reference until the
//     commit; everything a Reader returns is a copy out of the map, never a view into it.
//
// Size: the LMDB map size is the configured size, and the writer evicts (S3-FIFO: a small
// probationary FIFO in front of the main FIFO, with a ghost list, so that one scan over many
// objects seen once does not flush the frequently used ones) to keep the stored bytes under
// kFillRatio of it, counting both the accounted bytes (StoreStats::bytes) and the pages the
// trees really occupy. On MDB_MAP_FULL it evicts more and retries. Objects whose body is
// larger than half of max_bytes are not stored (a put of one drops the stored version).
//
// Robustness: a missing directory is created. A store that fails to open, has another
// schema version, or whose records fail their checks is reported (LOG_ERROR), deleted and
// recreated; a corrupt object found while reading (metadata or chunk checksum mismatch) is
// reported as a miss, counted, and dropped by the writer. No operation scans the store at
// start: opening reads the info records and a few counts, whatever the store's size.
// Limits: LMDB's own pages have no checksums, so damage inside its B-tree pages (rather
// than in our records) is found only when LMDB reports it; with MDB_NOSYNC a power loss
// (not a process crash) may lose the last few seconds of writes or, on file systems that
// reorder writes, damage the store, which is then recreated at the next start.
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
  std::string path;  // directory; created when missing
  uint64_t max_bytes = 1ull << 30;
  uint64_t sync_interval_ms = 5000;  // background mdb_env_sync period
  // Tools reading a live store: MDB_RDONLY, no writer thread, never recreated; open()
  // fails when the store does not exist or does not pass its checks. Writes are ignored.
  bool read_only = false;
};

struct StoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;  // stored bytes (metadata and bodies) as accounted
  uint64_t evictions = 0;
  uint64_t queue_depth = 0;  // operations waiting for the writer
  uint64_t commits = 0;
  uint64_t write_errors = 0;
  uint64_t corrupt_objects = 0;
};

class Store {
 public:
  static constexpr uint64_t kChunkSize = 256 * 1024;
  static constexpr double kFillRatio = 0.85;

  // Opens (or creates, or recreates) the store and starts the writer thread. Errors: the
  // directory cannot be created or used, the store is already open in this process (LMDB
  // forbids it), or (read_only) it is missing or damaged.
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
    // an error if the object is gone or corrupt. Returns "" at offset == body size. The
    // bytes come from whatever object is stored under key at the time of the call.
    Result<std::string> readBody(const ObjectKey& key, uint64_t offset, uint64_t max_len);
    // The same for a caller streaming `object` (as returned by load()): fails with
    // kNotFound instead of mixing bodies when the object was replaced or updated (url,
    // variant, body size or times differ) since it was loaded.
    Result<std::string> readBody(const StoredObject& object, uint64_t offset, uint64_t max_len);

   private:
    friend class Store;
    explicit Reader(Store& store);
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  std::unique_ptr<Reader> reader();

  // Queues a complete object (body loaded) for writing, replacing any object with the same
  // key, and records the URL's Vary (a changed Vary drops the URL's other variants).
  // Never blocks on the writer: when too much is queued already, or the body is over half
  // of max_bytes, the object is not stored and the stored one with its key is dropped.
  void put(ObjectPtr object);
  // Queues an update of an object's metadata after a 304 (same body). Ignored when the
  // stored object has another body size or is gone by then; a changed Vary drops the URL.
  void updateMeta(ObjectPtr object);
  // Queues the removal of every stored variant of url (PURGE, invalidation).
  // put(), updateMeta() and remove() may be called from any thread; they take a short lock
  // and never wait for the writer. All three are ignored by a read-only store.
  void remove(std::string_view url);
  // A hit on key: counts for eviction. Lossy and batched: kept in memory (at most 65536
  // distinct keys wait, more are dropped), applied with the next batch or at the latest
  // after sync_interval_ms, lost on a crash. Any thread; takes a short lock.
  void touch(const ObjectKey& key);
  // Waits until everything queued so far (and the hits counted so far) is committed.
  // For tests, tools and shutdown: never on a loop thread.
  void flush();

  // Any thread (atomics). For a read-only store, objects and bytes are as of open().
  StoreStats stats() const;
  const StoreOptions& options() const;

  // Scans the whole store and checks it: every record decodes, every chunk matches its
  // checksum, indexes, queues and counters agree. Reads only (one read transaction).
  // For tests and inspection tools: it is as slow as the store is large.
  Status verify();
  // The number of records open() read: a small constant whatever the store's size (tests
  // use it to show that opening never scans).
  uint64_t openRecordReads() const;

  struct Impl;
  // The store's internals, for the other files of the store (store_list.cc: listing for
  // the inspection tool). Not for use outside cache/store*.
  Impl& impl() { return *impl_; }

 private:
  Store();
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::cache
