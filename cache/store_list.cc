// Read-only inspection of a Store (see cache/store_list.h): listing objects, the variants of
// a URL, and the recorded totals. Reads only; never queues a write, not even for a damaged
// record (that is the store's own readers' business).
#include "cache/store_list.h"

#include <memory>
#include <utility>

#include "cache/store_impl.h"
#include "cache/store_lmdb.h"

namespace cuttle::cache {

namespace sf = store_format;

namespace {

Store::Impl& implOf(Store& store) { return store.impl(); }

// A read-only transaction for the length of a scope.
class ReadTxn {
 public:
  explicit ReadTxn(MDB_env* env) { rc_ = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_); }
  ~ReadTxn() {
    if (rc_ == 0) mdb_txn_abort(txn_);
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  int rc() const { return rc_; }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
  int rc_ = 0;
};

// The eviction state of key (left at kUnknown when there is no valid record).
void readEvict(MDB_txn* txn, const StoreDbs& dbs, std::string_view key_bytes, StoreEntry* entry) {
  MDB_val kv = lmdb::val(key_bytes);
  MDB_val v;
  sf::EvictRecord e;
  if (mdb_get(txn, dbs.evict, &kv, &v) != 0 || !sf::decodeEvict(lmdb::view(v), &e)) return;
  entry->charge = e.charge;
  entry->frequency = e.freq;
  entry->queue =
      e.queue == sf::QueueId::kMain ? StoreEntry::Queue::kMain : StoreEntry::Queue::kSmall;
}

// An entry from a decoded metadata record; false when the fields do not parse.
bool makeEntry(MDB_txn* txn, const StoreDbs& dbs, std::string_view key_bytes, sf::MetaRecord&& meta,
               StoreEntry* entry) {
  entry->object = StoredObject::create(std::move(meta.init));
  if (!entry->object) return false;
  readEvict(txn, dbs, key_bytes, entry);
  return true;
}

struct Batch {
  std::vector<StoreEntry> entries;
  uint64_t damaged = 0;
  bool done = false;  // the last record was read
};

// Reads up to kListBatch metadata records after `resume` (from the first when resume is
// empty), keeping the matching ones; leaves the last key read in `resume`.
Status readBatch(Store::Impl& s, std::string_view prefix, std::string* resume, Batch* batch) {
  ReadTxn txn(s.env);
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "cache store listing");
  lmdb::Cursor cursor;
  int rc = cursor.open(txn.get(), s.dbs.meta);
  if (rc != 0) return lmdb::error(rc, "cache store listing");
  MDB_val k;
  MDB_val v;
  if (resume->empty()) {
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  } else {
    k = lmdb::val(*resume);
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
    if (rc == 0 && lmdb::view(k) == *resume) rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  for (size_t n = 0; rc == 0 && n < kListBatch; ++n) {
    const std::string_view key_bytes = lmdb::view(k);
    sf::MetaRecord meta;
    if (key_bytes.size() != 16 || !sf::decodeMeta(lmdb::view(v), &meta) ||
        ObjectKey::forVariant(meta.init.url, meta.init.variant) !=
            ObjectKey::fromBytes(key_bytes)) {
      ++batch->damaged;
    } else if (meta.init.url.starts_with(prefix)) {
      StoreEntry entry;
      if (makeEntry(txn.get(), s.dbs, key_bytes, std::move(meta), &entry)) {
        batch->entries.push_back(std::move(entry));
      } else {
        ++batch->damaged;
      }
    }
    resume->assign(key_bytes);
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND) {
    batch->done = true;
  } else if (rc != 0) {
    return lmdb::error(rc, "cache store listing");
  }
  return {};
}

}  // namespace

Result<ListOutcome> listStore(Store& store, std::string_view url_prefix,
                              const std::function<bool(const StoreEntry&)>& visit) {
  Store::Impl& s = implOf(store);
  ListOutcome outcome;
  std::string resume;
  for (;;) {
    Batch batch;
    Status read = readBatch(s, url_prefix, &resume, &batch);
    if (!read) return read.takeError();
    outcome.damaged += batch.damaged;
    // The visitor runs with no transaction open: it may take its time.
    for (const StoreEntry& entry : batch.entries) {
      ++outcome.visited;
      if (!visit(entry)) return outcome;
    }
    if (batch.done) return outcome;
  }
}

Result<UrlEntries> urlVariants(Store& store, std::string_view url) {
  Store::Impl& s = implOf(store);
  ReadTxn txn(s.env);
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "cache store read");
  UrlEntries out;
  const std::string url_key = ObjectKey::forUrl(url).bytes();
  MDB_val k = lmdb::val(url_key);
  MDB_val v;
  int rc = mdb_get(txn.get(), s.dbs.vary, &k, &v);
  std::string stored_url;
  std::string vary;
  if (rc == 0 && sf::decodeVary(lmdb::view(v), &stored_url, &vary) && stored_url == url) {
    out.vary = std::move(vary);
  } else if (rc != 0 && rc != MDB_NOTFOUND) {
    return lmdb::error(rc, "cache store read");
  }
  lmdb::Cursor cursor;
  if ((rc = cursor.open(txn.get(), s.dbs.urlvariants)) != 0) {
    return lmdb::error(rc, "cache store read");
  }
  // urlvariants keys are forUrl(url) + the variant's key: the URL's variants are adjacent.
  k = lmdb::val(url_key);
  for (rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
       rc == 0 && lmdb::view(k).starts_with(url_key);
       rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    const std::string_view index_key = lmdb::view(k);
    if (index_key.size() != 32) {
      ++out.damaged;
      continue;
    }
    const std::string key_bytes(index_key.substr(16));
    sf::MetaRecord meta;
    const int meta_rc = readMeta(txn.get(), s.dbs, ObjectKey::fromBytes(key_bytes), &meta, nullptr);
    if (meta_rc == MDB_NOTFOUND || meta_rc == MDB_CORRUPTED) {
      ++out.damaged;  // an index entry without its object: the store's verify() reports it
      continue;
    }
    if (meta_rc != 0) return lmdb::error(meta_rc, "cache store read");
    if (meta.init.url != url) continue;  // another URL with the same 128-bit hash
    StoreEntry entry;
    if (makeEntry(txn.get(), s.dbs, key_bytes, std::move(meta), &entry)) {
      out.variants.push_back(std::move(entry));
    } else {
      ++out.damaged;
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb::error(rc, "cache store read");
  return out;
}

Result<StoreInfo> storeInfo(Store& store) {
  Store::Impl& s = implOf(store);
  ReadTxn txn(s.env);
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "cache store info");
  auto damaged = [](std::string why) {
    return Error(ErrorCode::kIo, Side::kCache, "cache store info: " + std::move(why));
  };
  MDB_val k = lmdb::val(sf::kSchemaKey);
  MDB_val v;
  std::string why;
  if (mdb_get(txn.get(), s.dbs.info, &k, &v) != 0) return damaged("no schema record");
  if (!sf::checkSchema(lmdb::view(v), &why)) return damaged(why);
  sf::Counters c;
  k = lmdb::val(sf::kCountersKey);
  if (mdb_get(txn.get(), s.dbs.info, &k, &v) != 0 || !sf::decodeCounters(lmdb::view(v), &c)) {
    return damaged("counters record missing or damaged");
  }
  StoreInfo info;
  info.schema_version = sf::kSchemaVersion;  // checkSchema() accepts no other
  info.objects = c.objects;
  info.bytes = c.bytes;
  info.small_bytes = c.small_bytes;
  info.main_bytes = c.main_bytes;
  info.ghosts = c.ghosts;
  info.evictions = c.evictions;
  MDB_envinfo env_info;
  MDB_stat env_stat;
  int rc = mdb_env_info(s.env, &env_info);
  if (rc == 0) rc = mdb_env_stat(s.env, &env_stat);
  if (rc != 0) return lmdb::error(rc, "cache store info");
  info.page_size = env_stat.ms_psize;
  info.used_bytes = (static_cast<uint64_t>(env_info.me_last_pgno) + 1) * env_stat.ms_psize;
  info.map_size = env_info.me_mapsize;
  return info;
}

}  // namespace cuttle::cache
