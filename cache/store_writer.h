// StoreWriter: the body of the store's writer thread. It takes the queued operations in
// batches, applies each batch in one LMDB write transaction together with the hits gathered
// by touch(), evicts down to the target size in the same transaction, writes the counters,
// commits, and syncs the environment every sync_interval_ms (the environment runs with
// MDB_NOSYNC, see store.cc).
//
// Size of a transaction: a batch holds at most Impl::batchLimit() body bytes and
// Impl::op_budget operations, and evicts at most op_budget objects (at least 2); when that
// was not enough, eviction-only transactions follow until the store is under its target.
//
// Failures: MDB_MAP_FULL or MDB_TXN_FULL split a batch in halves; a single operation that
// still does not fit gets two tiny commits (so that recently freed pages become reusable)
// and eviction-only transactions that make more room, then is retried (a few times, with
// growing room); anything else drops the batch (counted in write_errors,
// logged). The counters are reset to their committed values whenever a transaction is
// aborted. Hits that do not fit in a batch's budget get transactions of their own.
//
// Every sync also clears the reader slots of crashed processes (mdb_reader_check).
//
// Thread: everything here runs on the writer thread, except the constructor and
// setCounters(), called by open() before the thread starts.
#pragma once

#include <lmdb.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/s3fifo.h"
#include "cache/store_impl.h"

namespace cuttle::cache {

class StoreWriter {
 public:
  explicit StoreWriter(Store::Impl& store);
  void setCounters(const store_format::Counters& counters);
  // Runs until the store is stopping and its queue is empty, then syncs.
  void run();

 private:
  using Touches = std::vector<std::pair<ObjectKey, uint32_t>>;  // key, hits

  std::vector<StoreOp> takeBatchLocked();
  Touches takeTouches();
  void process(const std::vector<StoreOp>& ops, const Touches& touches);
  void finish(const Touches& touches, size_t next_touch);
  void ageFreePages();
  int evictOnly(uint64_t extra_room);
  // One write transaction: ops, then hits from touches[*next_touch] until 2 * op_budget of
  // them changed a frequency (*next_touch advances when it commits), eviction, counters.
  int runTransaction(const std::vector<StoreOp>& ops, const Touches& touches, size_t* next_touch,
                     uint64_t extra_room);
  int apply(MDB_txn* txn, const StoreOp& op);
  int applyPut(MDB_txn* txn, const StoredObject& object);
  int applyUpdate(MDB_txn* txn, const StoredObject& object);
  int applyRemove(MDB_txn* txn, std::string_view url);
  int applyDropCorrupt(MDB_txn* txn, const ObjectKey& key, std::string_view url);
  int writeBody(MDB_txn* txn, const StoredObject& object, std::vector<uint64_t>* sums);
  int putVary(MDB_txn* txn, const ObjectKey& url_key, const StoredObject& object);
  // Deletes every record of key (metadata, body, index, eviction state) and its charge.
  // *previous receives its eviction record when it had one (*had_record). known_url: the
  // URL of key if the caller knows it (used when the metadata cannot be decoded).
  int deleteObject(MDB_txn* txn, const ObjectKey& key, store_format::EvictRecord* previous,
                   bool* had_record, std::string_view known_url = {});
  int deletePrefix(MDB_txn* txn, MDB_dbi dbi, const std::string& prefix);
  int hasPrefix(MDB_txn* txn, MDB_dbi dbi, const std::string& prefix, bool* found);
  int evict(MDB_txn* txn, uint64_t extra_room);
  uint64_t treeBytes(MDB_txn* txn);
  int writeCounters(MDB_txn* txn);
  void publishStats();
  void sync();

  Store::Impl& s_;
  store_format::Counters counters_;
  S3FifoQueues fifo_;
  bool unsynced_ = false;
  bool over_target_ = false;  // the last transaction stopped evicting at its budget
  uint64_t ticks_ = 0;        // ageFreePages() commits (the value is never read)
  uint64_t failed_batches_ = 0;
  std::chrono::steady_clock::time_point next_sync_;
};

}  // namespace cuttle::cache
