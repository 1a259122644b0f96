// S3FifoQueues: the store's eviction policy, S3-FIFO by bytes (Yang et al., "FIFO queues
// are all you need for cache eviction", SOSP 2023), kept in LMDB so that a restart finds it
// as it was and never rebuilds it by scanning.
//
// Three FIFO queues live in the `queue` sub-database, ordered by a sequence number:
//   small (S)  new objects, about a tenth of the capacity: one-hit wonders leave from here
//   main  (M)  objects seen again while in S, or re-admitted while remembered as ghosts
//   ghost (G)  keys recently evicted from S (no data), bounded by count
// An object's position and access frequency (0..3) are its `evict` record; a ghost is a
// `ghost` record key -> its sequence number. Queue counters (bytes per queue, ghost count,
// next sequence number) are part of store_format::Counters, written by the caller in the
// same transaction.
//
// Eviction (nextVictim): from S when S holds at least its target share (or M is empty):
// the head of S moves to M if it was accessed while in S (freq >= 1), otherwise it is the
// victim and becomes a ghost. From M: an object with freq > 0 is reinserted at the tail with
// freq - 1, otherwise it is the victim. A scan of objects seen once therefore only cycles
// through S and never reaches the frequently used objects in M.
//
// Thread: the store's writer thread only; every call takes the open write transaction and
// returns an MDB code (0, MDB_NOTFOUND as documented, or an error after which the caller
// must abort the transaction).
#pragma once

#include <lmdb.h>

#include <cstdint>

#include "cache/object.h"
#include "cache/store_format.h"

namespace cuttle::cache {

class S3FifoQueues {
 public:
  struct Dbs {
    MDB_dbi queue = 0;
    MDB_dbi evict = 0;
    MDB_dbi ghost = 0;
  };
  // `counters` must outlive this object; it is read and updated by every call.
  S3FifoQueues(Dbs dbs, store_format::Counters* counters) : dbs_(dbs), c_(counters) {}

  // The evict record of key; MDB_NOTFOUND when key is not stored.
  int get(MDB_txn* txn, const ObjectKey& key, store_format::EvictRecord* out);
  // Queues a newly stored object: at the tail of M when it was a ghost, else of S. With
  // `previous` (the record of the object it replaces, already forgotten), it keeps that
  // queue and frequency instead.
  int admit(MDB_txn* txn, const ObjectKey& key, uint64_t charge,
            const store_format::EvictRecord* previous);
  // Deletes the evict and queue records of key and takes its charge off its queue;
  // `removed` (optional) receives the record. MDB_NOTFOUND when key is not queued.
  int forget(MDB_txn* txn, const ObjectKey& key, store_format::EvictRecord* removed);
  // Changes the charge of a queued object (metadata rewritten after a 304).
  int recharge(MDB_txn* txn, const ObjectKey& key, uint64_t charge, uint64_t* old_charge);
  // Adds `hits` accesses to key's frequency (capped at 3). Writes only when it changes, so
  // a popular object costs at most three writes per stay in a queue. MDB_NOTFOUND when key
  // is not stored.
  int touch(MDB_txn* txn, const ObjectKey& key, uint32_t hits, bool* wrote);
  // Runs the policy until it finds a victim; objects passed over are moved as described
  // above. The victim is still stored and queued: the caller deletes it (which calls
  // forget()), then calls addGhost() when `to_ghost`. MDB_NOTFOUND: nothing is queued.
  int nextVictim(MDB_txn* txn, uint64_t small_target, ObjectKey* victim, bool* to_ghost);
  // Remembers an evicted key.
  int addGhost(MDB_txn* txn, const ObjectKey& key);
  // Forgets the oldest ghosts until at most max_ghosts remain.
  int trimGhosts(MDB_txn* txn, uint64_t max_ghosts);

 private:
  int head(MDB_txn* txn, store_format::QueueId queue, ObjectKey* key, uint64_t* seq);
  int enqueue(MDB_txn* txn, const ObjectKey& key, store_format::EvictRecord* record);
  int dequeue(MDB_txn* txn, const store_format::EvictRecord& record);
  int putRecord(MDB_txn* txn, const ObjectKey& key, const store_format::EvictRecord& record);
  // Deletes key's ghost record (and its queue record) if there is one; sets *was_ghost.
  int unghost(MDB_txn* txn, const ObjectKey& key, bool* was_ghost);
  uint64_t* queueBytes(store_format::QueueId queue);

  Dbs dbs_;
  store_format::Counters* c_;
};

}  // namespace cuttle::cache
