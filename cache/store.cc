// Store: opening (and recreating) the environment, the write queue and the pending maps.
// Reads are in store_reader.cc, the writer thread in store_writer.cc.
#include "cache/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cache/store_impl.h"
#include "cache/store_lmdb.h"
#include "cache/store_writer.h"
#include "common/log.h"

namespace cuttle::cache {

namespace sf = store_format;

namespace {

constexpr uint64_t kMinMapSize = 4ull << 20;
constexpr unsigned kMaxDbs = 8;
constexpr unsigned kMaxReaders = 1024;  // one slot per Reader (worker thread) and tool
constexpr uint64_t kMaxBatchBytes = 64ull << 20;
// Pages a put dirties (a leaf in most sub-databases, plus its share of the eviction it
// causes) when keys are random hashes.
constexpr uint64_t kDirtyPagesPerOp = 12;
constexpr uint64_t kMaxQueuedBytes = 256ull << 20;
constexpr size_t kMaxTouches = 1 << 16;
constexpr size_t kTouchesDue = 1 << 12;

// LMDB must not open one environment twice in a process (closing either would drop the
// other's fcntl locks): open() refuses a directory that is already open.
std::mutex g_open_mutex;
std::set<std::string>& openPaths() {
  static std::set<std::string> paths;
  return paths;
}

Status makeDirectories(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty() || mkdir(partial.c_str(), 0755) == 0 || errno == EEXIST) continue;
    return Error(ErrorCode::kIo, Side::kCache,
                 "cannot create " + partial + ": " + std::strerror(errno));
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error(ErrorCode::kIo, Side::kCache, path + " is not a directory");
  }
  return {};
}

uint64_t roundToPage(uint64_t n) {
  long page = sysconf(_SC_PAGESIZE);
  uint64_t p = page > 0 ? static_cast<uint64_t>(page) : 4096;
  return (n + p - 1) / p * p;
}

// Why an environment could not be opened, and whether recreating it can help.
struct OpenFailure {
  std::string why;
  bool damaged = false;  // the files are not a usable store: recreate them
  int rc = 0;
};

bool damagedCode(int rc) {
  return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED ||
         rc == MDB_PANIC || rc == MDB_PAGE_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_BAD_DBI;
}

OpenFailure lmdbFailure(int rc, const char* what) {
  return OpenFailure{std::string(what) + ": " + mdb_strerror(rc), damagedCode(rc), rc};
}

OpenFailure damaged(std::string why) { return OpenFailure{std::move(why), true, MDB_CORRUPTED}; }

}  // namespace

// ---- opening -------------------------------------------------------------------------------

Store::Impl::Impl() = default;

Store::Impl::~Impl() {
  if (env) mdb_env_close(env);
}

namespace {

// MDB_NOTLS: a Reader's transaction is reset and renewed per call, and a worker may hand it
// to another thread; without it LMDB ties a read transaction (and its slot) to the thread.
// MDB_NOSYNC | MDB_NOMETASYNC: a commit does not wait for fsync (the writer syncs every
// sync_interval_ms instead). Committed pages are written to the file at commit, so a
// process crash loses nothing committed; only a system crash can lose the last interval.
// NOMETASYNC is implied by NOSYNC and stated for the day NOSYNC is dropped.
unsigned envFlags(bool read_only) {
  unsigned flags = MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC;
  return read_only ? flags | MDB_RDONLY : flags;
}

// A data file shorter than the pages its meta page claims would fault (SIGBUS) on the
// first access to a missing page: check before any transaction.
std::optional<OpenFailure> checkFileSize(MDB_env* env, const std::string& path) {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0) return damaged("no env info");
  struct stat fs;
  std::string data = path + "/data.mdb";
  if (stat(data.c_str(), &fs) != 0)
    return OpenFailure{data + ": " + std::strerror(errno), false, EIO};
  uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  if (static_cast<uint64_t>(fs.st_size) < needed) {
    return damaged("data file truncated (" + std::to_string(fs.st_size) + " bytes, " +
                   std::to_string(needed) + " needed)");
  }
  return std::nullopt;
}

// LMDB maps at least the pages in use, but a store opened with a smaller size than it had
// would then have no free page left to evict with: give it the usual free share on top.
// (The file never shrinks; eviction brings the contents down to the new size.)
void growMap(MDB_env* env, uint64_t configured) {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0) return;
  uint64_t used = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  uint64_t wanted = roundToPage(
      used + static_cast<uint64_t>(static_cast<double>(configured) * (1 - Store::kFillRatio)));
  if (info.me_mapsize < wanted) mdb_env_set_mapsize(env, wanted);
}

std::optional<OpenFailure> openDbs(MDB_txn* txn, bool create, StoreDbs* dbs) {
  const std::pair<const char*, MDB_dbi*> names[] = {
      {"info", &dbs->info},   {"vary", &dbs->vary},   {"meta", &dbs->meta},
      {"body", &dbs->body},   {"queue", &dbs->queue}, {"urlvariants", &dbs->urlvariants},
      {"evict", &dbs->evict}, {"ghost", &dbs->ghost}};
  for (const auto& [name, dbi] : names) {
    int rc = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi);
    if (rc == MDB_NOTFOUND) return OpenFailure{std::string("no sub-database ") + name, false, rc};
    if (rc != 0) return lmdbFailure(rc, "mdb_dbi_open");
  }
  return std::nullopt;
}

uint64_t entries(MDB_txn* txn, MDB_dbi dbi) {
  MDB_stat st;
  return mdb_stat(txn, dbi, &st) == 0 ? st.ms_entries : UINT64_MAX;
}

// Reads the schema and counter records (creating them in an empty store) and checks them
// against the entry counts LMDB keeps: O(1), no record is visited.
std::optional<OpenFailure> loadInfo(MDB_txn* txn, const StoreDbs& dbs, bool read_only,
                                    sf::Counters* counters, uint64_t* reads) {
  MDB_val kv = lmdb::val(sf::kSchemaKey);
  MDB_val v;
  ++*reads;
  int rc = mdb_get(txn, dbs.info, &kv, &v);
  if (rc == MDB_NOTFOUND && !read_only && entries(txn, dbs.meta) == 0) {
    std::string schema = sf::encodeSchema(sf::kSchemaVersion);
    std::string initial = sf::encodeCounters(sf::Counters{});
    MDB_val sv = lmdb::val(schema);
    MDB_val ck = lmdb::val(sf::kCountersKey);
    MDB_val cv = lmdb::val(initial);
    if ((rc = mdb_put(txn, dbs.info, &kv, &sv, 0)) != 0) return lmdbFailure(rc, "write schema");
    if ((rc = mdb_put(txn, dbs.info, &ck, &cv, 0)) != 0) return lmdbFailure(rc, "write counters");
    *counters = sf::Counters{};
    return std::nullopt;
  }
  if (rc == MDB_NOTFOUND) return damaged("no schema record");
  if (rc != 0) return lmdbFailure(rc, "read schema");
  std::string why;
  if (!sf::checkSchema(lmdb::view(v), &why)) return damaged(why);
  kv = lmdb::val(sf::kCountersKey);
  ++*reads;
  if ((rc = mdb_get(txn, dbs.info, &kv, &v)) != 0) return damaged("no counters record");
  if (!sf::decodeCounters(lmdb::view(v), counters)) return damaged("counters record damaged");
  const sf::Counters& c = *counters;
  if (entries(txn, dbs.meta) != c.objects || entries(txn, dbs.evict) != c.objects ||
      entries(txn, dbs.urlvariants) < c.objects || entries(txn, dbs.ghost) != c.ghosts ||
      c.small_bytes + c.main_bytes != c.bytes) {
    return damaged("counters disagree with the store (" + std::to_string(c.objects) +
                   " objects counted, " + std::to_string(entries(txn, dbs.meta)) + " stored)");
  }
  return std::nullopt;
}

}  // namespace

// Opens the environment under options.path and checks it; on failure the env is closed.
static std::optional<OpenFailure> openEnvironment(Store::Impl& s, sf::Counters* counters) {
  const bool ro = s.options.read_only;
  int rc = mdb_env_create(&s.env);
  if (rc != 0) return lmdbFailure(rc, "mdb_env_create");
  mdb_env_set_maxdbs(s.env, kMaxDbs);
  mdb_env_set_maxreaders(s.env, kMaxReaders);
  mdb_env_set_mapsize(s.env, s.map_size);
  rc = mdb_env_open(s.env, s.options.path.c_str(), envFlags(ro), 0644);
  std::optional<OpenFailure> failure;
  if (rc != 0) failure = lmdbFailure(rc, "mdb_env_open");
  if (!failure) {
    // Reader slots of crashed processes would pin old pages forever.
    int dead = 0;
    if (mdb_reader_check(s.env, &dead) == 0 && dead > 0) {
      LOG_INFO("cache store %s: cleared %d stale reader slots", s.options.path.c_str(), dead);
    }
    failure = checkFileSize(s.env, s.options.path);
  }
  if (!failure && !ro) growMap(s.env, s.map_size);
  MDB_txn* txn = nullptr;
  if (!failure && (rc = mdb_txn_begin(s.env, nullptr, ro ? MDB_RDONLY : 0, &txn)) != 0) {
    failure = lmdbFailure(rc, "mdb_txn_begin");
  }
  if (!failure) failure = openDbs(txn, !ro, &s.dbs);
  if (!failure) failure = loadInfo(txn, s.dbs, ro, counters, &s.open_reads);
  if (txn && !failure && (rc = mdb_txn_commit(txn)) != 0) failure = lmdbFailure(rc, "commit");
  if (txn && failure) mdb_txn_abort(txn);
  if (failure) {
    mdb_env_close(s.env);
    s.env = nullptr;
  }
  return failure;
}

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  if (options.path.empty())
    return Error(ErrorCode::kInvalidArgument, Side::kConfig, "no store path");
  if (!options.read_only) {
    Status made = makeDirectories(options.path);
    if (!made) return made.takeError();
  }
  char resolved[PATH_MAX];
  if (!realpath(options.path.c_str(), resolved)) {
    return Error(ErrorCode::kIo, Side::kCache, options.path + ": " + std::strerror(errno));
  }
  std::unique_ptr<Store> store(new Store());
  Impl& s = *store->impl_;
  s.options = options;
  s.map_size = roundToPage(std::max(options.max_bytes, kMinMapSize));
  s.target_bytes = static_cast<uint64_t>(static_cast<double>(options.max_bytes) * kFillRatio);
  // Operations and evictions share the 5%: half each.
  s.op_budget = std::max<uint64_t>(1, s.map_size / 4096 / 20 / kDirtyPagesPerOp / 2);
  {
    std::lock_guard<std::mutex> lock(g_open_mutex);
    if (!openPaths().insert(resolved).second) {
      return Error(ErrorCode::kInvalidArgument, Side::kCache, options.path + " is already open");
    }
    s.registered_path = resolved;
  }
  sf::Counters counters;
  std::optional<OpenFailure> failure = openEnvironment(s, &counters);
  if (failure && failure->damaged && !options.read_only) {
    LOG_ERROR("cache store %s: %s; recreating it empty", options.path.c_str(),
              failure->why.c_str());
    for (const char* file : {"/data.mdb", "/lock.mdb"}) {
      std::string p = options.path + file;
      if (unlink(p.c_str()) != 0 && errno != ENOENT) {
        LOG_ERROR("cache store: cannot remove %s: %s", p.c_str(), std::strerror(errno));
      }
    }
    s.open_reads = 0;
    failure = openEnvironment(s, &counters);
  }
  if (failure) {
    return Error(ErrorCode::kIo, Side::kCache, "cache store " + options.path + ": " + failure->why);
  }
  s.objects = counters.objects;
  s.bytes = counters.bytes;
  s.evictions = counters.evictions;
  if (!options.read_only) {
    s.writer = std::make_unique<StoreWriter>(s);
    s.writer->setCounters(counters);
    s.writer_thread = std::thread([&s] { s.writer->run(); });
  }
  return store;
}

Store::Store() : impl_(std::make_unique<Impl>()) {}

Store::~Store() {
  Impl& s = *impl_;
  if (s.writer_thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.stopping = true;
    }
    s.work_cv.notify_all();
    s.writer_thread.join();  // drains the queue, then syncs
  }
  if (s.env) {
    mdb_env_close(s.env);
    s.env = nullptr;
  }
  std::lock_guard<std::mutex> lock(g_open_mutex);
  openPaths().erase(s.registered_path);
}

// ---- queueing ------------------------------------------------------------------------------

// A batch dirties at most about 5% of the map (the bodies' pages plus the leaves its
// operations touch), so that two transactions' freed-but-not-yet-reusable pages fit in the
// (1 - kFillRatio) share the eviction keeps free.
uint64_t Store::Impl::batchLimit() const {
  return std::min(kMaxBatchBytes, std::max(kChunkSize, map_size / 20));
}

uint64_t Store::Impl::enqueueLocked(StoreOp op) {
  op.seq = next_op_seq++;
  queued_bytes += op.bytes();
  queue.push_back(std::move(op));
  queue_depth.store(queue.size(), std::memory_order_relaxed);
  work_cv.notify_one();
  return queue.back().seq;
}

void Store::Impl::refreshPendingCount() {
  pending_count.store(pending_variants.size() + pending_urls.size(), std::memory_order_release);
}

void Store::put(ObjectPtr object) {
  Impl& s = *impl_;
  if (!object || s.options.read_only) return;
  if (!object->bodyLoaded()) {
    s.write_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard<std::mutex> lock(s.mu);
  const bool too_big = object->bodySize() > s.options.max_bytes / 2;
  const bool overloaded = s.queued_bytes + object->bodySize() > kMaxQueuedBytes;
  if (too_big || overloaded) {
    // Not stored; the version stored with its key is superseded all the same.
    if (overloaded) s.write_errors.fetch_add(1, std::memory_order_relaxed);
    StoreOp op = StoreOp::make(StoreOp::Kind::kDropKey, nullptr, {}, object->key());
    uint64_t seq = s.enqueueLocked(std::move(op));
    s.pending_variants[object->key()] = PendingVariant{nullptr, seq, false};
    s.refreshPendingCount();
    return;
  }
  uint64_t seq = s.enqueueLocked(StoreOp::make(StoreOp::Kind::kPut, object));
  s.pending_variants[object->key()] = PendingVariant{object, seq, false};
  s.notePendingUrl(*object, seq);
  s.refreshPendingCount();
}

void Store::updateMeta(ObjectPtr object) {
  Impl& s = *impl_;
  if (!object || s.options.read_only) return;
  std::lock_guard<std::mutex> lock(s.mu);
  uint64_t seq = s.enqueueLocked(StoreOp::make(StoreOp::Kind::kUpdateMeta, object));
  PendingVariant next{object, seq, !object->bodyLoaded()};
  auto it = s.pending_variants.find(object->key());
  if (next.meta_only && it != s.pending_variants.end() && it->second.object &&
      it->second.object->bodyLoaded() && it->second.object->bodySize() == object->bodySize()) {
    // The body of a queued put is not on disk yet: readers get it from here.
    StoredObject::Init init = object->init();
    init.body = it->second.object->body();
    if (ObjectPtr merged = StoredObject::create(std::move(init))) next = {merged, seq, false};
  }
  s.pending_variants[object->key()] = next;
  s.notePendingUrl(*object, seq);
  s.refreshPendingCount();
}

void Store::remove(std::string_view url) {
  Impl& s = *impl_;
  if (s.options.read_only) return;
  std::lock_guard<std::mutex> lock(s.mu);
  PendingUrl& u = s.pending_urls[std::string(url)];
  // The URL's queued puts become queued removals, forgotten when the removal is processed.
  StoreOp op = StoreOp::make(StoreOp::Kind::kRemove, nullptr, std::string(url));
  op.hidden = std::move(u.variants);
  u.variants.clear();
  uint64_t seq = s.enqueueLocked(std::move(op));
  for (const ObjectKey& key : s.queue.back().hidden) {
    auto it = s.pending_variants.find(key);
    if (it != s.pending_variants.end()) it->second = PendingVariant{nullptr, seq, false};
  }
  u.vary.reset();
  u.removed_seq = seq;
  s.refreshPendingCount();
}

void Store::touch(const ObjectKey& key) {
  Impl& s = *impl_;
  if (s.options.read_only) return;
  bool due = false;
  {
    std::lock_guard<std::mutex> lock(s.touch_mu);
    auto it = s.touches.find(key);
    if (it != s.touches.end()) {
      ++it->second;
    } else if (s.touches.size() < kMaxTouches) {
      s.touches.emplace(key, 1);
      due = s.touches.size() == kTouchesDue;
    }
  }
  if (due) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.touches_due = true;
    s.work_cv.notify_one();
  }
}

void Store::flush() {
  Impl& s = *impl_;
  if (s.options.read_only) return;
  std::unique_lock<std::mutex> lock(s.mu);
  uint64_t seq = s.enqueueLocked(StoreOp{});
  s.done_cv.wait(lock, [&] { return s.processed_seq >= seq; });
}

void Store::Impl::reportCorrupt(const ObjectKey& key, std::string_view url) {
  corrupt_objects.fetch_add(1, std::memory_order_relaxed);
  if (options.read_only) return;
  std::lock_guard<std::mutex> lock(mu);
  enqueueLocked(StoreOp::make(StoreOp::Kind::kDropCorrupt, nullptr, std::string(url), key));
}

// ---- pending writes as readers see them ------------------------------------------------------

void Store::Impl::notePendingUrl(const StoredObject& object, uint64_t seq) {
  PendingUrl& u = pending_urls[object.url()];
  u.vary = object.vary();
  u.vary_seq = seq;
  if (std::find(u.variants.begin(), u.variants.end(), object.key()) == u.variants.end()) {
    u.variants.push_back(object.key());
  }
}

// Only the entries the processed operations touched are looked at: the cost is that of the
// batch, not of everything still queued.
void Store::Impl::clearPendingLocked(const std::vector<StoreOp>& ops, uint64_t processed) {
  auto forgetKey = [&](const ObjectKey& key) {
    auto it = pending_variants.find(key);
    if (it != pending_variants.end() && it->second.seq <= processed) pending_variants.erase(it);
  };
  auto forgetUrl = [&](const std::string& url) {
    auto it = pending_urls.find(url);
    if (it == pending_urls.end()) return;
    PendingUrl& u = it->second;
    if (u.vary && u.vary_seq <= processed) {
      u.vary.reset();
      u.variants.clear();  // every put of the URL is processed
    }
    if (u.removed_seq <= processed) u.removed_seq = 0;
    if (!u.vary && u.removed_seq == 0) pending_urls.erase(it);
  };
  for (const StoreOp& op : ops) {
    if (op.object) {
      forgetKey(op.object->key());
      forgetUrl(op.object->url());
    } else if (op.kind == StoreOp::Kind::kDropKey) {
      forgetKey(op.key);
    } else if (op.kind == StoreOp::Kind::kRemove) {
      for (const ObjectKey& key : op.hidden) forgetKey(key);
      forgetUrl(op.url);
    }
  }
  refreshPendingCount();
}

PendingLookup Store::Impl::lookupPending(std::string_view url, const ObjectKey& key) {
  if (pending_count.load(std::memory_order_acquire) == 0) return {};
  std::lock_guard<std::mutex> lock(mu);
  auto v = pending_variants.find(key);
  if (v != pending_variants.end()) {
    if (!v->second.object) return {PendingLookup::Kind::kHidden, nullptr, false};
    if (v->second.object->url() == url) {
      return {PendingLookup::Kind::kObject, v->second.object, v->second.meta_only};
    }
  }
  auto u = pending_urls.find(std::string(url));
  if (u != pending_urls.end() && u->second.removed_seq != 0) {
    return {PendingLookup::Kind::kHidden, nullptr, false};
  }
  return {};
}

PendingLookup Store::Impl::lookupPendingKey(const ObjectKey& key) {
  if (pending_count.load(std::memory_order_acquire) == 0) return {};
  std::lock_guard<std::mutex> lock(mu);
  auto v = pending_variants.find(key);
  if (v == pending_variants.end()) return {};
  if (!v->second.object) return {PendingLookup::Kind::kHidden, nullptr, false};
  return {PendingLookup::Kind::kObject, v->second.object, v->second.meta_only};
}

std::optional<std::optional<std::string>> Store::Impl::pendingVary(std::string_view url) {
  if (pending_count.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu);
  auto u = pending_urls.find(std::string(url));
  if (u == pending_urls.end()) return std::nullopt;
  if (u->second.vary) return std::optional<std::string>(*u->second.vary);
  if (u->second.removed_seq != 0) return std::optional<std::string>();
  return std::nullopt;
}

// ---- statistics ------------------------------------------------------------------------------

StoreStats Store::stats() const {
  const Impl& s = *impl_;
  StoreStats st;
  st.objects = s.objects.load(std::memory_order_relaxed);
  st.bytes = s.bytes.load(std::memory_order_relaxed);
  st.evictions = s.evictions.load(std::memory_order_relaxed);
  st.queue_depth = s.queue_depth.load(std::memory_order_relaxed);
  st.commits = s.commits.load(std::memory_order_relaxed);
  st.write_errors = s.write_errors.load(std::memory_order_relaxed);
  st.corrupt_objects = s.corrupt_objects.load(std::memory_order_relaxed);
  return st;
}

const StoreOptions& Store::options() const { return impl_->options; }

uint64_t Store::openRecordReads() const { return impl_->open_reads; }

}  // namespace cuttle::cache
