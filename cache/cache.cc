#include "cache/cache.h"

#include "common/log.h"

namespace cuttle::cache {

Cache::Cache(const conf::Config& config)
    : memory_(config.cache_mem, config.maximum_object_size_in_memory) {}

Cache::~Cache() = default;

std::unique_ptr<Cache> Cache::open(const conf::Config& config) {
  std::unique_ptr<Cache> cache(new Cache(config));
  if (config.cache_dir) {
    if (config.cache_dir->type != "lmdb") {
      LOG_INFO("cache_dir type %s: cuttle stores everything in LMDB under %s",
               config.cache_dir->type.c_str(), config.cache_dir->path.c_str());
    }
    StoreOptions options;
    options.path = config.cache_dir->path;
    options.max_bytes = config.cache_dir->size_mb * 1024 * 1024;
    auto store = Store::open(options);
    if (store) {
      cache->store_ = std::move(store.value());
    } else {
      // Best effort: without its disk the cache still works from memory.
      LOG_ERROR("cache_dir %s unusable, caching in memory only: %s", options.path.c_str(),
                store.error().cause.c_str());
    }
  }
  return cache;
}

std::unique_ptr<Cache::Context> Cache::attach(uv_loop_t* loop) {
  std::unique_ptr<Context> c(new Context(loop));
  if (store_) c->reader_ = store_->reader();
  return c;
}

Cache::Context::~Context() = default;

Cache::Found Cache::lookup(Context& context, std::string_view url, const HeaderList& request_headers) {
  Found found;
  std::optional<std::string> vary = memory_.vary(url);
  bool in_memory = vary.has_value();
  if (!vary && context.reader()) vary = context.reader()->vary(url);
  if (!vary) return found;
  found.uri_known = true;
  if (*vary == "*") return found;
  const std::string variant = vary->empty() ? std::string() : secondaryKey(*vary, request_headers);
  const ObjectKey key = ObjectKey::forVariant(url, variant);
  if (in_memory) {
    found.object = memory_.get(url, key);
    if (found.object) {
      found.from_memory = true;
      return found;
    }
  }
  if (context.reader()) {
    found.object = context.reader()->load(url, variant, true, kLoadWholeLimit);
    if (found.object && found.object->bodyLoaded()) memory_.put(found.object);
  }
  return found;
}

Result<std::string> Cache::readBody(Context& context, const StoredObject& object, uint64_t offset,
                                    uint64_t max_len) {
  if (!context.reader()) return Error(ErrorCode::kNotFound, Side::kCache, "no store");
  return context.reader()->readBody(object, offset, max_len);
}

Cache::Claim Cache::claim(const std::string& url) {
  std::lock_guard<std::mutex> lock(fills_mutex_);
  auto it = fills_.find(url);
  if (it != fills_.end()) {
    Fill::View v = it->second->read(SIZE_MAX);
    if (v.state != Fill::State::kFailed) return Claim{it->second, false};
  }
  auto fill = std::make_shared<Fill>(url);
  fills_[url] = fill;
  return Claim{fill, true};
}

void Cache::release(const std::shared_ptr<Fill>& fill) {
  if (!fill) return;
  std::lock_guard<std::mutex> lock(fills_mutex_);
  auto it = fills_.find(fill->url());
  if (it != fills_.end() && it->second == fill) fills_.erase(it);
}

void Cache::store(const ObjectPtr& object) {
  memory_.put(object);
  if (store_) store_->put(object);
}

void Cache::update(const ObjectPtr& object) {
  memory_.put(object);
  if (store_) store_->updateMeta(object);
}

bool Cache::purge(Context& context, std::string_view url) {
  bool existed = memory_.vary(url).has_value();
  if (!existed && context.reader()) existed = context.reader()->vary(url).has_value();
  invalidate(url);
  return existed;
}

void Cache::invalidate(std::string_view url) {
  memory_.removeUrl(url);
  if (store_) store_->remove(url);
}

void Cache::touch(const ObjectKey& key) {
  if (store_) store_->touch(key);
}

CacheStats Cache::stats() const {
  CacheStats s;
  s.memory = memory_.stats();
  if (store_) s.store = store_->stats();
  {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(fills_mutex_));
    s.fills_in_flight = fills_.size();
  }
  return s;
}

}  // namespace cuttle::cache
