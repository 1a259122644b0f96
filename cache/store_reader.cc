// Store::Reader: lookups on the worker threads. Each call runs in one short read-only
// transaction, begun once per Reader and then reset and renewed per call (MDB_NOTLS lets
// the transaction follow the Reader from thread to thread; it keeps its reader slot). No
// transaction stays open after a call returns, and everything returned is copied out of the
// map before the reset.
#include <algorithm>

#include "cache/store_impl.h"
#include "cache/store_lmdb.h"

namespace cuttle::cache {

namespace sf = store_format;

int readMeta(MDB_txn* txn, const StoreDbs& dbs, const ObjectKey& key, sf::MetaRecord* out,
             std::string* why) {
  std::string kb = key.bytes();
  MDB_val kv = lmdb::val(kb);
  MDB_val v;
  int rc = mdb_get(txn, dbs.meta, &kv, &v);
  if (rc != 0) return rc;
  if (!sf::decodeMeta(lmdb::view(v), out, why)) return MDB_CORRUPTED;
  if (ObjectKey::forVariant(out->init.url, out->init.variant) != key) {
    if (why) *why = "metadata stored under another key";
    return MDB_CORRUPTED;
  }
  return 0;
}

int readChunk(MDB_txn* txn, const StoreDbs& dbs, const ObjectKey& key, const sf::MetaRecord& meta,
              uint32_t index, std::string_view* out) {
  if (index >= meta.chunk_sums.size()) return MDB_NOTFOUND;
  std::string k = sf::bodyKey(key, index);
  MDB_val kv = lmdb::val(k);
  MDB_val v;
  int rc = mdb_get(txn, dbs.body, &kv, &v);
  if (rc == MDB_NOTFOUND) return MDB_CORRUPTED;  // the metadata promises it
  if (rc != 0) return rc;
  if (v.mv_size != sf::chunkLength(meta.init.body_size, index) ||
      sf::checksum64(v.mv_data, v.mv_size, sf::chunkSeed(key, index)) != meta.chunk_sums[index]) {
    return MDB_CORRUPTED;
  }
  *out = lmdb::view(v);
  return 0;
}

struct Store::Reader::Impl {
  explicit Impl(Store::Impl& store) : s(store) {}
  ~Impl() {
    if (txn) mdb_txn_abort(txn);
  }
  Store::Impl& s;
  MDB_txn* txn = nullptr;

  ObjectPtr loadFromDisk(std::string_view url, std::string_view variant, const ObjectKey& key,
                         bool with_body, uint64_t max_body);
  Result<std::string> readFromDisk(const ObjectKey& key, const StoredObject* expected,
                                   uint64_t offset, uint64_t max_len);
};

namespace {

// The read transaction of one call: renewed on entry, reset on exit.
class ReadScope {
 public:
  explicit ReadScope(MDB_env* env, MDB_txn** txn) : txn_(txn) {
    int rc = *txn ? mdb_txn_renew(*txn) : mdb_txn_begin(env, nullptr, MDB_RDONLY, txn);
    if (rc != 0 && *txn) {
      mdb_txn_abort(*txn);  // a handle that cannot be renewed is not kept
      *txn = nullptr;
    }
    ok_ = rc == 0;
  }
  ~ReadScope() {
    if (ok_) mdb_txn_reset(*txn_);
  }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;
  bool ok() const { return ok_; }
  MDB_txn* txn() const { return *txn_; }

 private:
  MDB_txn** txn_;
  bool ok_ = false;
};

Result<std::string> slice(const StoredObject& object, uint64_t offset, uint64_t max_len) {
  if (offset > object.bodySize()) {
    return Error(ErrorCode::kInvalidArgument, Side::kCache, "offset past the end of the body");
  }
  // The same bounds as a read from disk: within one kChunkSize chunk.
  uint64_t chunk_end = std::min(object.bodySize(), (offset / sf::kChunkSize + 1) * sf::kChunkSize);
  uint64_t want = std::min(max_len, chunk_end - offset);
  std::string out;
  out.reserve(want);
  uint64_t pos = 0;
  for (const StoredObject::Chunk& c : object.body()) {
    if (out.size() == want) break;
    uint64_t end = pos + c->size();
    if (end > offset) {
      uint64_t from = std::max(offset + out.size(), pos) - pos;
      uint64_t n = std::min<uint64_t>(c->size() - from, want - out.size());
      out.append(*c, from, n);
    }
    pos = end;
  }
  return out;
}

// The identity of a response for streaming: a replaced or updated object is another one.
bool sameResponse(const StoredObject::Init& a, const StoredObject& b) {
  return a.url == b.url() && a.variant == b.variant() && a.body_size == b.bodySize() &&
         a.request_time == b.requestTime() && a.response_time == b.responseTime();
}

// The metadata of `update` with the body of `body`.
ObjectPtr withBody(const StoredObject& update, const StoredObject& body) {
  StoredObject::Init init = update.init();
  init.body = body.body();
  return StoredObject::create(std::move(init));
}

}  // namespace

Store::Reader::Reader(Store& store) : impl_(std::make_unique<Impl>(*store.impl_)) {}

Store::Reader::~Reader() = default;

std::unique_ptr<Store::Reader> Store::reader() {
  return std::unique_ptr<Reader>(new Reader(*this));
}

std::optional<std::string> Store::Reader::vary(std::string_view url) {
  if (auto pending = impl_->s.pendingVary(url)) return *pending;
  ReadScope scope(impl_->s.env, &impl_->txn);
  if (!scope.ok()) return std::nullopt;
  std::string kb = ObjectKey::forUrl(url).bytes();
  MDB_val kv = lmdb::val(kb);
  MDB_val v;
  if (mdb_get(scope.txn(), impl_->s.dbs.vary, &kv, &v) != 0) return std::nullopt;
  std::string stored_url;
  std::string vary;
  // A damaged vary record reads as "nothing stored"; the next put of the URL rewrites it.
  if (!sf::decodeVary(lmdb::view(v), &stored_url, &vary) || stored_url != url) return std::nullopt;
  return vary;
}

ObjectPtr Store::Reader::load(std::string_view url, std::string_view variant, bool with_body,
                              uint64_t max_body) {
  const ObjectKey key = ObjectKey::forVariant(url, variant);
  PendingLookup pending = impl_->s.lookupPending(url, key);
  if (pending.kind == PendingLookup::Kind::kHidden) return nullptr;
  if (pending.kind == PendingLookup::Kind::kObject) {
    const StoredObject& o = *pending.object;
    if (!pending.meta_only || !with_body || o.bodySize() > max_body || o.bodyLoaded()) {
      return pending.object;
    }
    // A queued 304 update: its metadata, the body on disk.
    ObjectPtr disk = impl_->loadFromDisk(url, variant, key, true, max_body);
    if (!disk || disk->bodySize() != o.bodySize()) return nullptr;
    return withBody(o, *disk);
  }
  return impl_->loadFromDisk(url, variant, key, with_body, max_body);
}

ObjectPtr Store::Reader::Impl::loadFromDisk(std::string_view url, std::string_view variant,
                                            const ObjectKey& key, bool with_body,
                                            uint64_t max_body) {
  ReadScope scope(s.env, &txn);
  if (!scope.ok()) return nullptr;
  sf::MetaRecord meta;
  int rc = readMeta(scope.txn(), s.dbs, key, &meta, nullptr);
  if (rc == MDB_CORRUPTED) s.reportCorrupt(key, url);
  if (rc != 0) return nullptr;
  // Keys are hashes: the full URL and secondary key decide (a collision is a miss).
  if (meta.init.url != url || meta.init.variant != variant) return nullptr;
  if (with_body && meta.init.body_size <= max_body) {
    meta.init.body.reserve(meta.chunk_sums.size());
    for (uint32_t i = 0; i < meta.chunk_sums.size(); ++i) {
      std::string_view chunk;
      rc = readChunk(scope.txn(), s.dbs, key, meta, i, &chunk);
      if (rc == MDB_CORRUPTED) s.reportCorrupt(key, url);
      if (rc != 0) return nullptr;
      meta.init.body.push_back(std::make_shared<const std::string>(chunk));  // copied out
    }
  }
  ObjectPtr object = StoredObject::create(std::move(meta.init));
  if (!object) s.reportCorrupt(key, url);
  return object;
}

Result<std::string> Store::Reader::readBody(const ObjectKey& key, uint64_t offset,
                                            uint64_t max_len) {
  PendingLookup pending = impl_->s.lookupPendingKey(key);
  if (pending.kind == PendingLookup::Kind::kHidden) {
    return Error(ErrorCode::kNotFound, Side::kCache, "object removed");
  }
  if (pending.kind == PendingLookup::Kind::kObject && pending.object->bodyLoaded()) {
    return slice(*pending.object, offset, max_len);
  }
  return impl_->readFromDisk(key, nullptr, offset, max_len);
}

Result<std::string> Store::Reader::readBody(const StoredObject& object, uint64_t offset,
                                            uint64_t max_len) {
  PendingLookup pending = impl_->s.lookupPendingKey(object.key());
  if (pending.kind == PendingLookup::Kind::kObject && pending.object->bodyLoaded() &&
      sameResponse(pending.object->init(), object)) {
    return slice(*pending.object, offset, max_len);
  }
  if (object.bodyLoaded()) return slice(object, offset, max_len);
  return impl_->readFromDisk(object.key(), &object, offset, max_len);
}

Result<std::string> Store::Reader::Impl::readFromDisk(const ObjectKey& key,
                                                      const StoredObject* expected, uint64_t offset,
                                                      uint64_t max_len) {
  ReadScope scope(s.env, &txn);
  if (!scope.ok()) return Error(ErrorCode::kIo, Side::kCache, "cannot begin a read transaction");
  sf::MetaRecord meta;
  int rc = readMeta(scope.txn(), s.dbs, key, &meta, nullptr);
  if (rc == MDB_CORRUPTED) s.reportCorrupt(key);
  if (rc == MDB_NOTFOUND) return Error(ErrorCode::kNotFound, Side::kCache, "object not stored");
  if (rc != 0) return lmdb::error(rc, "cache store read");
  if (expected && !sameResponse(meta.init, *expected)) {
    return Error(ErrorCode::kNotFound, Side::kCache, "object replaced in the store");
  }
  if (offset > meta.init.body_size) {
    return Error(ErrorCode::kInvalidArgument, Side::kCache, "offset past the end of the body");
  }
  if (offset == meta.init.body_size) return std::string();
  const uint32_t index = static_cast<uint32_t>(offset / sf::kChunkSize);
  std::string_view chunk;
  rc = readChunk(scope.txn(), s.dbs, key, meta, index, &chunk);
  if (rc == MDB_CORRUPTED) s.reportCorrupt(key);
  if (rc != 0) return lmdb::error(rc, "cache store body chunk");
  const uint64_t in_chunk = offset - static_cast<uint64_t>(index) * sf::kChunkSize;
  return std::string(chunk.substr(in_chunk, std::min<uint64_t>(max_len, chunk.size() - in_chunk)));
}

}  // namespace cuttle::cache
