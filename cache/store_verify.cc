// Store::verify(): a full consistency check for tests and inspection tools. It reads every
// record in one read transaction; nothing else in the store ever scans.
#include <unordered_map>
#include <unordered_set>

#include "cache/store_impl.h"
#include "cache/store_lmdb.h"

namespace cuttle::cache {

namespace sf = store_format;

namespace {

Error problem(const std::string& what) { return Error(ErrorCode::kInternal, Side::kCache, what); }

uint64_t entries(MDB_txn* txn, MDB_dbi dbi) {
  MDB_stat st;
  return mdb_stat(txn, dbi, &st) == 0 ? st.ms_entries : UINT64_MAX;
}

bool exists(MDB_txn* txn, MDB_dbi dbi, const std::string& key) {
  MDB_val kv = lmdb::val(key);
  MDB_val v;
  return mdb_get(txn, dbi, &kv, &v) == 0;
}

// What the scan adds up, to compare with the counters.
struct Totals {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t small_bytes = 0;
  uint64_t main_bytes = 0;
  uint64_t chunks = 0;
  std::unordered_set<std::string> urls;  // forUrl keys of the stored variants
};

// Checks one object: metadata, body, index and eviction records.
Status checkObject(MDB_txn* txn, const StoreDbs& dbs, std::string_view key_bytes,
                   std::string_view value, Totals* totals) {
  const ObjectKey key = ObjectKey::fromBytes(key_bytes);
  const std::string name = key.hex();
  sf::MetaRecord meta;
  std::string why;
  if (key_bytes.size() != 16) return problem("meta key of the wrong size");
  if (!sf::decodeMeta(value, &meta, &why)) return problem(name + ": " + why);
  if (ObjectKey::forVariant(meta.init.url, meta.init.variant) != key) {
    return problem(name + ": metadata stored under another key");
  }
  for (uint32_t i = 0; i < meta.chunk_sums.size(); ++i) {
    std::string_view chunk;
    if (readChunk(txn, dbs, key, meta, i, &chunk) != 0) {
      return problem(name + ": body chunk " + std::to_string(i) + " missing or damaged");
    }
  }
  totals->chunks += meta.chunk_sums.size();
  const std::string url_key = ObjectKey::forUrl(meta.init.url).bytes();
  if (!exists(txn, dbs.urlvariants, url_key + std::string(key_bytes))) {
    return problem(name + ": not in urlvariants");
  }
  if (!exists(txn, dbs.vary, url_key)) return problem(name + ": its URL has no vary record");
  totals->urls.insert(url_key);
  MDB_val kv = lmdb::val(key_bytes);
  MDB_val v;
  sf::EvictRecord e;
  if (mdb_get(txn, dbs.evict, &kv, &v) != 0 || !sf::decodeEvict(lmdb::view(v), &e)) {
    return problem(name + ": no eviction record");
  }
  std::string qk = sf::queueKey(e.queue, e.seq);
  MDB_val qkv = lmdb::val(qk);
  if (mdb_get(txn, dbs.queue, &qkv, &v) != 0 || lmdb::view(v) != key_bytes) {
    return problem(name + ": not at its place in the eviction queue");
  }
  totals->objects += 1;
  totals->bytes += e.charge;
  (e.queue == sf::QueueId::kMain ? totals->main_bytes : totals->small_bytes) += e.charge;
  return {};
}

}  // namespace

Status Store::verify() {
  Impl& s = *impl_;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(s.env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return lmdb::error(rc, "verify");
  Totals totals;
  Status status;
  {
    lmdb::Cursor cursor;
    rc = cursor.open(txn, s.dbs.meta);
    MDB_val k;
    MDB_val v;
    for (rc = rc ? rc : mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST); rc == 0 && status.ok();
         rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      status = checkObject(txn, s.dbs, lmdb::view(k), lmdb::view(v), &totals);
    }
  }
  sf::Counters c;
  MDB_val ck = lmdb::val(sf::kCountersKey);
  MDB_val cv;
  if (status.ok() && rc != MDB_NOTFOUND) status = lmdb::error(rc, "verify scan");
  if (status.ok() &&
      (mdb_get(txn, s.dbs.info, &ck, &cv) != 0 || !sf::decodeCounters(lmdb::view(cv), &c))) {
    status = problem("counters record missing or damaged");
  }
  if (status.ok()) {
    const uint64_t queued = entries(txn, s.dbs.queue);
    std::string mismatch;
    if (c.objects != totals.objects)
      mismatch = "object count";
    else if (c.bytes != totals.bytes)
      mismatch = "byte count";
    else if (c.small_bytes != totals.small_bytes || c.main_bytes != totals.main_bytes)
      mismatch = "queue bytes";
    else if (entries(txn, s.dbs.evict) != totals.objects)
      mismatch = "eviction records";
    else if (entries(txn, s.dbs.urlvariants) != totals.objects)
      mismatch = "urlvariants records";
    else if (entries(txn, s.dbs.body) != totals.chunks)
      mismatch = "body records";
    else if (entries(txn, s.dbs.vary) != totals.urls.size())
      mismatch = "vary records";
    else if (entries(txn, s.dbs.ghost) != c.ghosts)
      mismatch = "ghost count";
    else if (queued != totals.objects + c.ghosts)
      mismatch = "queue records";
    if (!mismatch.empty()) {
      status = problem(mismatch + " disagrees with the records (" + std::to_string(totals.objects) +
                       " objects, " + std::to_string(totals.bytes) + " bytes found; counters " +
                       std::to_string(c.objects) + ", " + std::to_string(c.bytes) + ")");
    }
  }
  mdb_txn_abort(txn);
  return status;
}

}  // namespace cuttle::cache
