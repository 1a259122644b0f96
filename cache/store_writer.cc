#include "cache/store_writer.h"

#include <algorithm>
#include <cstring>

#include "cache/store_lmdb.h"
#include "common/log.h"

namespace cuttle::cache {

namespace sf = store_format;

namespace {

constexpr int kMaxAttempts = 6;
constexpr uint64_t kMinGhosts = 1024;

}  // namespace

StoreWriter::StoreWriter(Store::Impl& store)
    : s_(store),
      fifo_(S3FifoQueues::Dbs{store.dbs.queue, store.dbs.evict, store.dbs.ghost}, &counters_) {}

void StoreWriter::setCounters(const sf::Counters& counters) {
  counters_ = counters;
  publishStats();
}

void StoreWriter::publishStats() {
  s_.objects.store(counters_.objects, std::memory_order_relaxed);
  s_.bytes.store(counters_.bytes, std::memory_order_relaxed);
  s_.evictions.store(counters_.evictions, std::memory_order_relaxed);
}

// ---- the thread --------------------------------------------------------------------------

void StoreWriter::run() {
  const auto interval =
      std::chrono::milliseconds(std::max<uint64_t>(1, s_.options.sync_interval_ms));
  next_sync_ = std::chrono::steady_clock::now() + interval;
  std::unique_lock<std::mutex> lock(s_.mu);
  for (;;) {
    s_.work_cv.wait_until(lock, next_sync_,
                          [&] { return s_.stopping || !s_.queue.empty() || s_.touches_due; });
    bool last_round = s_.stopping && s_.queue.empty();
    s_.touches_due = false;
    std::vector<StoreOp> ops = takeBatchLocked();
    lock.unlock();
    Touches touches = takeTouches();
    if (!ops.empty() || !touches.empty()) process(ops, touches);
    if (unsynced_ && std::chrono::steady_clock::now() >= next_sync_) sync();
    if (std::chrono::steady_clock::now() >= next_sync_) {
      next_sync_ = std::chrono::steady_clock::now() + interval;
    }
    lock.lock();
    if (!ops.empty()) {
      s_.processed_seq = std::max(s_.processed_seq, ops.back().seq);
      s_.clearPendingLocked(ops, s_.processed_seq);
      s_.done_cv.notify_all();
    }
    if (last_round) break;
  }
  lock.unlock();
  sync();
}

std::vector<StoreOp> StoreWriter::takeBatchLocked() {
  std::vector<StoreOp> ops;
  uint64_t bytes = 0;
  const uint64_t limit = s_.batchLimit();
  while (!s_.queue.empty() && ops.size() < s_.op_budget) {
    uint64_t b = s_.queue.front().bytes();
    if (!ops.empty() && bytes + b > limit) break;
    bytes += b;
    ops.push_back(std::move(s_.queue.front()));
    s_.queue.pop_front();
  }
  s_.queued_bytes -= std::min(s_.queued_bytes, bytes);
  s_.queue_depth.store(s_.queue.size(), std::memory_order_relaxed);
  return ops;
}

StoreWriter::Touches StoreWriter::takeTouches() {
  std::unordered_map<ObjectKey, uint32_t, ObjectKeyHash> taken;
  {
    std::lock_guard<std::mutex> lock(s_.touch_mu);
    taken.swap(s_.touches);
  }
  return Touches(taken.begin(), taken.end());
}

void StoreWriter::sync() {
  int rc = mdb_env_sync(s_.env, 1);
  if (rc != 0)
    LOG_ERROR("cache store %s: sync failed: %s", s_.options.path.c_str(), mdb_strerror(rc));
  unsynced_ = false;
  // A tool that crashed while reading the live store leaves a reader slot that would pin
  // old pages (and grow the file) until cleared.
  int dead = 0;
  if (mdb_reader_check(s_.env, &dead) == 0 && dead > 0) {
    LOG_WARN("cache store %s: cleared %d stale reader slots", s_.options.path.c_str(), dead);
  }
}

// ---- batches -----------------------------------------------------------------------------

void StoreWriter::process(const std::vector<StoreOp>& ops, const Touches& touches) {
  sf::Counters committed = counters_;
  uint64_t batch_bytes = 0;
  for (const StoreOp& op : ops) batch_bytes += op.bytes();
  uint64_t extra_room = 0;
  int rc = 0;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    size_t next_touch = 0;
    rc = runTransaction(ops, touches, &next_touch, 0);
    if (rc == 0) {
      finish(touches, next_touch);
      return;
    }
    counters_ = committed;
    if ((rc == MDB_TXN_FULL || rc == MDB_MAP_FULL) && ops.size() > 1) {
      // Too many dirty pages for one transaction: halve the batch.
      size_t half = ops.size() / 2;
      process(std::vector<StoreOp>(ops.begin(), ops.begin() + static_cast<long>(half)), touches);
      process(std::vector<StoreOp>(ops.begin() + static_cast<long>(half), ops.end()), {});
      return;
    }
    if (rc != MDB_MAP_FULL) break;
    // One operation that does not fit: make room, in transactions of their own.
    ageFreePages();
    extra_room = extra_room == 0 ? batch_bytes + s_.target_bytes / 16 : extra_room * 2;
    evictOnly(extra_room);
    committed = counters_;
  }
  uint64_t dropped = 0;
  for (const StoreOp& op : ops) dropped += op.kind == StoreOp::Kind::kBarrier ? 0 : 1;
  s_.write_errors.fetch_add(std::max<uint64_t>(dropped, 1), std::memory_order_relaxed);
  // A store that keeps failing (MDB_PANIC, a full disk) would log every batch: log the
  // 1st, 2nd, 4th, 8th... failure only.
  ++failed_batches_;
  if ((failed_batches_ & (failed_batches_ - 1)) == 0) {
    LOG_ERROR("cache store %s: write failed (%s); %llu operations dropped (failure %llu)",
              s_.options.path.c_str(), mdb_strerror(rc), static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(failed_batches_));
  }
}

// Pages freed by a commit are reused only once no snapshot can see them: two commits later
// when no reader lags. Two tiny commits (one info record each) make the pages freed by the
// last real transactions available, which is what a map too full to commit anything needs.
void StoreWriter::ageFreePages() {
  for (int i = 0; i < 2; ++i) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(s_.env, nullptr, 0, &txn) != 0) return;
    ++ticks_;
    MDB_val kv = lmdb::val(sf::kTickKey);
    MDB_val vv{sizeof(ticks_), &ticks_};
    if (mdb_put(txn, s_.dbs.info, &kv, &vv, 0) != 0) {
      mdb_txn_abort(txn);
      return;
    }
    if (mdb_txn_commit(txn) != 0) return;
  }
}

// After a batch committed: the evictions and hits that did not fit in its budget.
void StoreWriter::finish(const Touches& touches, size_t next_touch) {
  if (over_target_ && evictOnly(0) != 0) return;
  while (next_touch < touches.size()) {
    const sf::Counters committed = counters_;
    if (runTransaction({}, touches, &next_touch, 0) != 0) {
      counters_ = committed;  // the remaining hits are dropped
      return;
    }
    if (over_target_ && evictOnly(0) != 0) return;
  }
}

// Eviction-only transactions until the store is under its target less extra_room (each
// one evicts at most its budget).
int StoreWriter::evictOnly(uint64_t extra_room) {
  int rc = 0;
  do {
    const sf::Counters committed = counters_;
    size_t none = 0;
    rc = runTransaction({}, {}, &none, extra_room);
    if (rc != 0) counters_ = committed;
  } while (rc == 0 && over_target_);
  return rc;
}

int StoreWriter::runTransaction(const std::vector<StoreOp>& ops, const Touches& touches,
                                size_t* next_touch, uint64_t extra_room) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(s_.env, nullptr, 0, &txn);
  if (rc != 0) return rc;
  for (const StoreOp& op : ops) {
    if ((rc = apply(txn, op)) != 0) break;
  }
  // Hits: only those that change a frequency write (and count against the budget).
  uint64_t touch_writes = 0;
  size_t touch = *next_touch;
  for (; rc == 0 && touch < touches.size() && touch_writes < 2 * s_.op_budget; ++touch) {
    bool wrote = false;
    rc = fifo_.touch(txn, touches[touch].first, touches[touch].second, &wrote);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) rc = 0;  // gone, or dropped on eviction
    touch_writes += wrote ? 1 : 0;
  }
  if (rc == 0) rc = evict(txn, extra_room);
  if (rc == 0) rc = writeCounters(txn);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return rc;
  }
  if ((rc = mdb_txn_commit(txn)) != 0) return rc;
  *next_touch = touch;
  unsynced_ = true;
  s_.commits.fetch_add(1, std::memory_order_relaxed);
  publishStats();
  return 0;
}

int StoreWriter::apply(MDB_txn* txn, const StoreOp& op) {
  switch (op.kind) {
    case StoreOp::Kind::kPut:
      return applyPut(txn, *op.object);
    case StoreOp::Kind::kUpdateMeta:
      return applyUpdate(txn, *op.object);
    case StoreOp::Kind::kRemove:
      return applyRemove(txn, op.url);
    case StoreOp::Kind::kDropKey: {
      bool had = false;
      sf::EvictRecord previous;
      return deleteObject(txn, op.key, &previous, &had);
    }
    case StoreOp::Kind::kDropCorrupt:
      return applyDropCorrupt(txn, op.key, op.url);
    case StoreOp::Kind::kBarrier:
      return 0;
  }
  return 0;
}

// ---- operations --------------------------------------------------------------------------

int StoreWriter::applyPut(MDB_txn* txn, const StoredObject& object) {
  const ObjectKey& key = object.key();
  const ObjectKey url_key = ObjectKey::forUrl(object.url());
  sf::EvictRecord previous;
  bool had = false;
  int rc = deleteObject(txn, key, &previous, &had);
  if (rc != 0) return rc;
  uint64_t loaded = 0;
  for (const StoredObject::Chunk& chunk : object.body()) loaded += chunk->size();
  if (loaded != object.bodySize()) {
    s_.write_errors.fetch_add(1, std::memory_order_relaxed);  // put() checked it: unreachable
    return 0;
  }
  if ((rc = putVary(txn, url_key, object)) != 0) return rc;
  std::vector<uint64_t> sums;
  if ((rc = writeBody(txn, object, &sums)) != 0) return rc;
  std::string meta = sf::encodeMeta(object.init(), sums);
  std::string kb = key.bytes();
  std::string index = sf::variantIndexKey(url_key, key);
  MDB_val kv = lmdb::val(kb);
  MDB_val mv = lmdb::val(meta);
  MDB_val iv = lmdb::val(index);
  MDB_val empty{0, nullptr};
  if ((rc = mdb_put(txn, s_.dbs.meta, &kv, &mv, 0)) != 0) return rc;
  if ((rc = mdb_put(txn, s_.dbs.urlvariants, &iv, &empty, 0)) != 0) return rc;
  uint64_t charge = sf::objectCharge(meta.size(), object.bodySize());
  if ((rc = fifo_.admit(txn, key, charge, had ? &previous : nullptr)) != 0) return rc;
  counters_.bytes += charge;
  ++counters_.objects;
  return 0;
}

// Records the URL's Vary. When it changed, the variants stored under the old one can no
// longer be selected: they are removed now rather than left to eviction.
int StoreWriter::putVary(MDB_txn* txn, const ObjectKey& url_key, const StoredObject& object) {
  std::string kb = url_key.bytes();
  MDB_val kv = lmdb::val(kb);
  MDB_val v;
  int rc = mdb_get(txn, s_.dbs.vary, &kv, &v);
  if (rc != 0 && rc != MDB_NOTFOUND) return rc;
  if (rc == 0) {
    std::string url;
    std::string vary;
    bool same_url = sf::decodeVary(lmdb::view(v), &url, &vary) && url == object.url();
    if (same_url && vary == object.vary()) return 0;
    if (same_url && (rc = applyRemove(txn, object.url())) != 0) return rc;
  }
  std::string record = sf::encodeVary(object.url(), object.vary());
  MDB_val rv = lmdb::val(record);
  return mdb_put(txn, s_.dbs.vary, &kv, &rv, 0);
}

// Re-chunks the object's body into kChunkSize records, written in place with MDB_RESERVE.
int StoreWriter::writeBody(MDB_txn* txn, const StoredObject& object, std::vector<uint64_t>* sums) {
  const uint64_t size = object.bodySize();
  const uint32_t count = sf::chunkCount(size);
  const auto& chunks = object.body();
  size_t src = 0;
  size_t src_offset = 0;
  sums->resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t len = sf::chunkLength(size, i);
    std::string k = sf::bodyKey(object.key(), i);
    MDB_val kv = lmdb::val(k);
    MDB_val dv{len, nullptr};
    int rc = mdb_put(txn, s_.dbs.body, &kv, &dv, MDB_RESERVE);
    if (rc != 0) return rc;
    char* out = static_cast<char*>(dv.mv_data);
    uint64_t filled = 0;
    while (filled < len && src < chunks.size()) {
      const std::string& from = *chunks[src];
      size_t n = static_cast<size_t>(std::min<uint64_t>(len - filled, from.size() - src_offset));
      std::memcpy(out + filled, from.data() + src_offset, n);
      filled += n;
      src_offset += n;
      if (src_offset == from.size()) {
        ++src;
        src_offset = 0;
      }
    }
    (*sums)[i] = sf::checksum64(out, len, sf::chunkSeed(object.key(), i));
  }
  return 0;
}

int StoreWriter::applyUpdate(MDB_txn* txn, const StoredObject& object) {
  sf::MetaRecord old;
  std::string why;
  int rc = readMeta(txn, s_.dbs, object.key(), &old, &why);
  if (rc == MDB_NOTFOUND) return 0;  // evicted or removed meanwhile: nothing to update
  if (rc == MDB_CORRUPTED) return applyDropCorrupt(txn, object.key(), object.url());
  if (rc != 0) return rc;
  if (old.init.url != object.url() || old.init.body_size != object.bodySize()) return 0;
  // A 304 that changes Vary makes the stored variants unselectable: drop them all.
  if (old.init.vary != object.vary()) return applyRemove(txn, object.url());
  const ObjectKey url_key = ObjectKey::forUrl(object.url());
  std::string meta = sf::encodeMeta(object.init(), old.chunk_sums);
  std::string kb = object.key().bytes();
  MDB_val kv = lmdb::val(kb);
  MDB_val mv = lmdb::val(meta);
  if ((rc = mdb_put(txn, s_.dbs.meta, &kv, &mv, 0)) != 0) return rc;
  std::string index = sf::variantIndexKey(url_key, object.key());
  MDB_val iv = lmdb::val(index);
  MDB_val empty{0, nullptr};
  if ((rc = mdb_put(txn, s_.dbs.urlvariants, &iv, &empty, 0)) != 0) return rc;
  uint64_t charge = sf::objectCharge(meta.size(), object.bodySize());
  uint64_t old_charge = 0;
  rc = fifo_.recharge(txn, object.key(), charge, &old_charge);
  if (rc == 0) counters_.bytes = counters_.bytes - std::min(counters_.bytes, old_charge) + charge;
  return rc == MDB_NOTFOUND || rc == MDB_CORRUPTED ? 0 : rc;
}

// The variants of url are found through `urlvariants`, whose keys start with forUrl(url):
// no scan. (Two URLs with the same 128-bit forUrl would share the range; that is taken as
// impossible, like a collision of object keys.)
int StoreWriter::applyRemove(MDB_txn* txn, std::string_view url) {
  const std::string prefix = ObjectKey::forUrl(url).bytes();
  std::vector<ObjectKey> variants;
  {
    lmdb::Cursor cursor;
    int rc = cursor.open(txn, s_.dbs.urlvariants);
    if (rc != 0) return rc;
    MDB_val kv = lmdb::val(prefix);
    MDB_val v;
    for (rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_NEXT)) {
      std::string_view k = lmdb::view(kv);
      if (k.size() != 32 || k.substr(0, 16) != prefix) break;
      variants.push_back(ObjectKey::fromBytes(k.substr(16)));
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
  }
  int rc = deletePrefix(txn, s_.dbs.urlvariants, prefix);
  for (size_t i = 0; rc == 0 && i < variants.size(); ++i) {
    sf::EvictRecord previous;
    bool had = false;
    rc = deleteObject(txn, variants[i], &previous, &had);
  }
  if (rc != 0) return rc;
  MDB_val kv = lmdb::val(prefix);
  rc = mdb_del(txn, s_.dbs.vary, &kv, nullptr);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

// A reader found key corrupt. Drop it only if it still is: it may have been replaced.
int StoreWriter::applyDropCorrupt(MDB_txn* txn, const ObjectKey& key, std::string_view url) {
  sf::MetaRecord meta;
  std::string why;
  int rc = readMeta(txn, s_.dbs, key, &meta, &why);
  if (rc == MDB_NOTFOUND) return 0;
  if (rc == 0 && StoredObject::create(meta.init) == nullptr) {
    rc = MDB_CORRUPTED;
    why = "stored fields do not parse";
  }
  for (uint32_t i = 0; rc == 0 && i < meta.chunk_sums.size(); ++i) {
    std::string_view chunk;
    rc = readChunk(txn, s_.dbs, key, meta, i, &chunk);
    if (rc == MDB_CORRUPTED || rc == MDB_NOTFOUND) {
      rc = MDB_CORRUPTED;
      why = "body chunk " + std::to_string(i) + " missing or checksum mismatch";
    }
  }
  if (rc != MDB_CORRUPTED) return rc;
  LOG_ERROR("cache store %s: dropping corrupt object %s: %s", s_.options.path.c_str(),
            key.hex().c_str(), why.c_str());
  sf::EvictRecord previous;
  bool had = false;
  return deleteObject(txn, key, &previous, &had, url);
}

int StoreWriter::deleteObject(MDB_txn* txn, const ObjectKey& key, sf::EvictRecord* previous,
                              bool* had_record, std::string_view known_url) {
  *had_record = false;
  const std::string kb = key.bytes();
  MDB_val kv = lmdb::val(kb);
  sf::MetaRecord meta;
  std::string why;
  int rc = readMeta(txn, s_.dbs, key, &meta, &why);
  const bool found = rc == 0 || rc == MDB_CORRUPTED;
  if (rc != 0 && rc != MDB_NOTFOUND && rc != MDB_CORRUPTED) return rc;
  if (rc != 0) meta.init.url = known_url;  // unknown URL: its index record stays until remove(url)
  if (found) {
    if ((rc = mdb_del(txn, s_.dbs.meta, &kv, nullptr)) != 0) return rc;
    if (counters_.objects > 0) --counters_.objects;
    if ((rc = deletePrefix(txn, s_.dbs.body, kb)) != 0) return rc;
  }
  rc = fifo_.forget(txn, key, previous);
  if (rc == 0) {
    *had_record = true;
    counters_.bytes -= std::min(counters_.bytes, previous->charge);
  } else if (rc != MDB_NOTFOUND) {
    return rc;
  }
  if (meta.init.url.empty()) return 0;  // not found, or its URL is unknown
  const std::string url_prefix = ObjectKey::forUrl(meta.init.url).bytes();
  std::string index = url_prefix + kb;
  MDB_val iv = lmdb::val(index);
  rc = mdb_del(txn, s_.dbs.urlvariants, &iv, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return rc;
  // The URL's last variant takes its vary record along.
  bool more = false;
  if ((rc = hasPrefix(txn, s_.dbs.urlvariants, url_prefix, &more)) != 0) return rc;
  if (more) return 0;
  MDB_val uv = lmdb::val(url_prefix);
  rc = mdb_del(txn, s_.dbs.vary, &uv, nullptr);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int StoreWriter::deletePrefix(MDB_txn* txn, MDB_dbi dbi, const std::string& prefix) {
  lmdb::Cursor cursor;
  int rc = cursor.open(txn, dbi);
  if (rc != 0) return rc;
  // Collect, then delete: no reasoning about where a cursor stands after a deletion.
  std::vector<std::string> keys;
  MDB_val kv = lmdb::val(prefix);
  MDB_val v;
  for (rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_SET_RANGE);
       rc == 0 && lmdb::view(kv).substr(0, prefix.size()) == prefix;
       rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_NEXT)) {
    keys.emplace_back(lmdb::view(kv));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return rc;
  for (const std::string& k : keys) {
    MDB_val dk = lmdb::val(k);
    if ((rc = mdb_del(txn, dbi, &dk, nullptr)) != 0 && rc != MDB_NOTFOUND) return rc;
  }
  return 0;
}

int StoreWriter::hasPrefix(MDB_txn* txn, MDB_dbi dbi, const std::string& prefix, bool* found) {
  lmdb::Cursor cursor;
  int rc = cursor.open(txn, dbi);
  if (rc != 0) return rc;
  MDB_val kv = lmdb::val(prefix);
  MDB_val v;
  rc = mdb_cursor_get(cursor.get(), &kv, &v, MDB_SET_RANGE);
  *found = rc == 0 && lmdb::view(kv).substr(0, prefix.size()) == prefix;
  return rc == MDB_NOTFOUND ? 0 : rc;
}

// ---- size ----------------------------------------------------------------------------------

// Bytes of the pages the store's trees occupy: what the map really holds, accounted or not
// (page headers, half-full pages, overflow page rounding).
uint64_t StoreWriter::treeBytes(MDB_txn* txn) {
  uint64_t pages = 0;
  uint64_t page_size = 4096;
  for (MDB_dbi dbi : {s_.dbs.info, s_.dbs.vary, s_.dbs.meta, s_.dbs.body, s_.dbs.queue,
                      s_.dbs.urlvariants, s_.dbs.evict, s_.dbs.ghost}) {
    MDB_stat st;
    if (mdb_stat(txn, dbi, &st) != 0) continue;
    pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    page_size = st.ms_psize;
  }
  return pages * page_size;
}

// Evicts until both the accounted bytes and the pages in use are under the target (less
// extra_room when making room after MDB_MAP_FULL), then trims the ghosts to about as many
// keys as there are objects.
int StoreWriter::evict(MDB_txn* txn, uint64_t extra_room) {
  const uint64_t target = s_.target_bytes > extra_room ? s_.target_bytes - extra_room : 0;
  const uint64_t small_target = s_.target_bytes / 10;
  uint64_t budget = std::max<uint64_t>(2, s_.op_budget);
  over_target_ = false;
  while (counters_.bytes > target || treeBytes(txn) > target) {
    if (budget-- == 0) {
      over_target_ = true;
      break;
    }
    ObjectKey victim;
    bool to_ghost = false;
    int rc = fifo_.nextVictim(txn, small_target, &victim, &to_ghost);
    if (rc == MDB_NOTFOUND) break;
    if (rc != 0) return rc;
    sf::EvictRecord previous;
    bool had = false;
    if ((rc = deleteObject(txn, victim, &previous, &had)) != 0) return rc;
    if (to_ghost && (rc = fifo_.addGhost(txn, victim)) != 0) return rc;
    ++counters_.evictions;
  }
  return fifo_.trimGhosts(txn, std::max(kMinGhosts, counters_.objects));
}

int StoreWriter::writeCounters(MDB_txn* txn) {
  std::string v = sf::encodeCounters(counters_);
  MDB_val kv = lmdb::val(sf::kCountersKey);
  MDB_val vv = lmdb::val(v);
  return mdb_put(txn, s_.dbs.info, &kv, &vv, 0);
}

}  // namespace cuttle::cache
