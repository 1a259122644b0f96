#include "cache/s3fifo.h"

#include <algorithm>

#include "cache/store_lmdb.h"

namespace cuttle::cache {

using store_format::EvictRecord;
using store_format::QueueId;

namespace {

// head() dropped a damaged queue record: look again.
constexpr int kDropped = 1;

// A ghost record's value: its sequence number, u64 little-endian.
std::string encodeSeq(uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((seq >> (8 * i)) & 0xff);
  return out;
}

bool decodeSeq(std::string_view v, uint64_t* seq) {
  if (v.size() != 8) return false;
  *seq = 0;
  for (int i = 7; i >= 0; --i)
    *seq = (*seq << 8) | static_cast<unsigned char>(v[static_cast<size_t>(i)]);
  return true;
}

}  // namespace

uint64_t* S3FifoQueues::queueBytes(QueueId queue) {
  return queue == QueueId::kMain ? &c_->main_bytes : &c_->small_bytes;
}

int S3FifoQueues::get(MDB_txn* txn, const ObjectKey& key, EvictRecord* out) {
  std::string k = key.bytes();
  MDB_val kv = lmdb::val(k);
  MDB_val v;
  int rc = mdb_get(txn, dbs_.evict, &kv, &v);
  if (rc != 0) return rc;
  return store_format::decodeEvict(lmdb::view(v), out) ? 0 : MDB_CORRUPTED;
}

int S3FifoQueues::putRecord(MDB_txn* txn, const ObjectKey& key, const EvictRecord& record) {
  std::string k = key.bytes();
  std::string v = store_format::encodeEvict(record);
  MDB_val kv = lmdb::val(k);
  MDB_val vv = lmdb::val(v);
  return mdb_put(txn, dbs_.evict, &kv, &vv, 0);
}

// Appends key at the tail of record->queue: assigns record->seq and writes both records.
int S3FifoQueues::enqueue(MDB_txn* txn, const ObjectKey& key, EvictRecord* record) {
  record->seq = c_->next_seq++;
  std::string qk = store_format::queueKey(record->queue, record->seq);
  std::string kb = key.bytes();
  MDB_val qkv = lmdb::val(qk);
  MDB_val qvv = lmdb::val(kb);
  int rc = mdb_put(txn, dbs_.queue, &qkv, &qvv, 0);
  if (rc != 0) return rc;
  return putRecord(txn, key, *record);
}

int S3FifoQueues::dequeue(MDB_txn* txn, const EvictRecord& record) {
  std::string qk = store_format::queueKey(record.queue, record.seq);
  MDB_val qkv = lmdb::val(qk);
  int rc = mdb_del(txn, dbs_.queue, &qkv, nullptr);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int S3FifoQueues::unghost(MDB_txn* txn, const ObjectKey& key, bool* was_ghost) {
  *was_ghost = false;
  std::string k = key.bytes();
  MDB_val kv = lmdb::val(k);
  MDB_val v;
  int rc = mdb_get(txn, dbs_.ghost, &kv, &v);
  if (rc == MDB_NOTFOUND) return 0;
  if (rc != 0) return rc;
  uint64_t seq = 0;
  bool valid = decodeSeq(lmdb::view(v), &seq);
  if ((rc = mdb_del(txn, dbs_.ghost, &kv, nullptr)) != 0) return rc;
  if (c_->ghosts > 0) --c_->ghosts;
  if (!valid) return 0;
  *was_ghost = true;
  EvictRecord ghost{QueueId::kGhost, 0, seq, 0};
  return dequeue(txn, ghost);
}

int S3FifoQueues::admit(MDB_txn* txn, const ObjectKey& key, uint64_t charge,
                        const EvictRecord* previous) {
  bool was_ghost = false;
  int rc = unghost(txn, key, &was_ghost);
  if (rc != 0) return rc;
  EvictRecord record;
  record.charge = charge;
  if (previous) {
    record.queue = previous->queue;
    record.freq = previous->freq;
  } else {
    record.queue = was_ghost ? QueueId::kMain : QueueId::kSmall;
  }
  if ((rc = enqueue(txn, key, &record)) != 0) return rc;
  *queueBytes(record.queue) += charge;
  return 0;
}

int S3FifoQueues::forget(MDB_txn* txn, const ObjectKey& key, EvictRecord* removed) {
  EvictRecord record;
  int rc = get(txn, key, &record);
  if (rc == MDB_CORRUPTED) {
    record = EvictRecord{QueueId::kSmall, 0, 0, 0};  // unknown position: nextVictim drops it
  } else if (rc != 0) {
    return rc;
  } else if ((rc = dequeue(txn, record)) != 0) {
    return rc;
  }
  std::string k = key.bytes();
  MDB_val kv = lmdb::val(k);
  if ((rc = mdb_del(txn, dbs_.evict, &kv, nullptr)) != 0) return rc;
  uint64_t* bytes = queueBytes(record.queue);
  *bytes -= std::min(*bytes, record.charge);
  if (removed) *removed = record;
  return 0;
}

int S3FifoQueues::recharge(MDB_txn* txn, const ObjectKey& key, uint64_t charge,
                           uint64_t* old_charge) {
  EvictRecord record;
  int rc = get(txn, key, &record);
  if (rc != 0) return rc;
  *old_charge = record.charge;
  uint64_t* bytes = queueBytes(record.queue);
  *bytes = *bytes - std::min(*bytes, record.charge) + charge;
  record.charge = charge;
  return putRecord(txn, key, record);
}

int S3FifoQueues::touch(MDB_txn* txn, const ObjectKey& key, uint32_t hits, bool* wrote) {
  *wrote = false;
  EvictRecord record;
  int rc = get(txn, key, &record);
  if (rc != 0) return rc;
  uint8_t freq = static_cast<uint8_t>(std::min<uint64_t>(3, uint64_t{record.freq} + hits));
  if (freq == record.freq) return 0;
  record.freq = freq;
  *wrote = true;
  return putRecord(txn, key, record);
}

int S3FifoQueues::head(MDB_txn* txn, QueueId queue, ObjectKey* key, uint64_t* seq) {
  lmdb::Cursor cursor;
  int rc = cursor.open(txn, dbs_.queue);
  if (rc != 0) return rc;
  std::string first = store_format::queueKey(queue, 0);
  MDB_val kv = lmdb::val(first);
  MDB_val v;
  rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_SET_RANGE);
  if (rc != 0) return rc;
  QueueId found;
  if (!store_format::decodeQueueKey(lmdb::view(kv), &found, seq) || found != queue) {
    return MDB_NOTFOUND;
  }
  if (v.mv_size != 16) {
    // A damaged queue record: drop it, the object (if any) stays stored and unqueued.
    rc = mdb_cursor_del(cursor.get(), 0);
    return rc == 0 ? kDropped : rc;
  }
  *key = ObjectKey::fromBytes(lmdb::view(v));
  return 0;
}

int S3FifoQueues::nextVictim(MDB_txn* txn, uint64_t small_target, ObjectKey* victim,
                             bool* to_ghost) {
  for (;;) {
    QueueId queue =
        (c_->small_bytes >= small_target || c_->main_bytes == 0) ? QueueId::kSmall : QueueId::kMain;
    ObjectKey key;
    uint64_t seq = 0;
    int rc = head(txn, queue, &key, &seq);
    if (rc == MDB_NOTFOUND) {
      // The counters said otherwise; the other queue decides.
      queue = queue == QueueId::kSmall ? QueueId::kMain : QueueId::kSmall;
      rc = head(txn, queue, &key, &seq);
    }
    if (rc == kDropped) continue;
    if (rc != 0) return rc;
    EvictRecord record;
    rc = get(txn, key, &record);
    if (rc == MDB_CORRUPTED) {
      // The object's evict record is damaged: it is the victim (its queue record goes now,
      // forget() cannot find it).
      if ((rc = dequeue(txn, EvictRecord{queue, 0, seq, 0})) != 0) return rc;
      *victim = key;
      *to_ghost = false;
      return 0;
    }
    if (rc == MDB_NOTFOUND || (rc == 0 && (record.queue != queue || record.seq != seq))) {
      // A queue record that no object owns: drop it and look again.
      if ((rc = dequeue(txn, EvictRecord{queue, 0, seq, 0})) != 0) return rc;
      continue;
    }
    if (rc != 0) return rc;
    if (record.freq == 0) {
      *victim = key;
      *to_ghost = queue == QueueId::kSmall;
      return 0;
    }
    // Passed over: S -> M with the frequency reset, or M -> M tail with one less.
    if ((rc = dequeue(txn, record)) != 0) return rc;
    if (queue == QueueId::kSmall) {
      c_->small_bytes -= std::min(c_->small_bytes, record.charge);
      c_->main_bytes += record.charge;
      record.queue = QueueId::kMain;
      record.freq = 0;
    } else {
      --record.freq;
    }
    if ((rc = enqueue(txn, key, &record)) != 0) return rc;
  }
}

int S3FifoQueues::addGhost(MDB_txn* txn, const ObjectKey& key) {
  bool was_ghost = false;
  int rc = unghost(txn, key, &was_ghost);
  if (rc != 0) return rc;
  uint64_t seq = c_->next_seq++;
  std::string k = key.bytes();
  std::string sv = encodeSeq(seq);
  std::string qk = store_format::queueKey(QueueId::kGhost, seq);
  MDB_val kv = lmdb::val(k);
  MDB_val sval = lmdb::val(sv);
  MDB_val qkv = lmdb::val(qk);
  if ((rc = mdb_put(txn, dbs_.ghost, &kv, &sval, 0)) != 0) return rc;
  if ((rc = mdb_put(txn, dbs_.queue, &qkv, &kv, 0)) != 0) return rc;
  ++c_->ghosts;
  return 0;
}

int S3FifoQueues::trimGhosts(MDB_txn* txn, uint64_t max_ghosts) {
  while (c_->ghosts > max_ghosts) {
    ObjectKey key;
    uint64_t seq = 0;
    int rc = head(txn, QueueId::kGhost, &key, &seq);
    if (rc == kDropped) continue;
    if (rc == MDB_NOTFOUND) {
      c_->ghosts = 0;  // the counter drifted: no ghost is queued
      return 0;
    }
    if (rc != 0) return rc;
    if ((rc = dequeue(txn, EvictRecord{QueueId::kGhost, 0, seq, 0})) != 0) return rc;
    std::string k = key.bytes();
    MDB_val kv = lmdb::val(k);
    MDB_val v;
    uint64_t ghost_seq = 0;
    rc = mdb_get(txn, dbs_.ghost, &kv, &v);
    if (rc == 0 && decodeSeq(lmdb::view(v), &ghost_seq) && ghost_seq == seq) {
      if ((rc = mdb_del(txn, dbs_.ghost, &kv, nullptr)) != 0) return rc;
      --c_->ghosts;
    } else if (rc != 0 && rc != MDB_NOTFOUND) {
      return rc;
    }
  }
  return 0;
}

}  // namespace cuttle::cache
