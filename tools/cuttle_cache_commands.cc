// cuttle-cache ls, stats and purge (show is in cuttle_cache_show.cc).
#include "tools/cuttle_cache_commands.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "cache/store_list.h"
#include "common/uri.h"
#include "tools/cuttle_cache_format.h"
#include "tools/cuttle_cache_purge.h"

namespace cuttle::tools {
namespace {

// The map a read-only environment reserves: address space only (nothing is written, pages
// are read on demand), but it must cover what the proxy's writer may grow the data file to
// while the tool runs, or LMDB answers MDB_MAP_RESIZED. The proxy's map is its cache_dir
// size (more only after that size was lowered), unknown with -d.
constexpr uint64_t kReadOnlyMapBytes = 64ull << 30;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

std::string freshnessText(const FreshnessReport& f) {
  std::string out =
      f.fresh ? "fresh, " + formatDuration(f.ttl) + " left" : "stale for " + formatDuration(-f.ttl);
  if (f.heuristic) out += " (heuristic)";
  return out;
}

// One line of ls: everything computed while the entry is at hand.
struct Row {
  std::string url;
  std::string variant;
  std::string vary;
  int status = 0;
  uint64_t size = 0;
  uint64_t charge = 0;
  int64_t stored = 0;
  FreshnessReport freshness;
  Validators validators;
};

Row makeRow(const cache::StoreEntry& entry, const ToolContext& ctx) {
  const cache::StoredObject& o = *entry.object;
  Row row;
  row.url = o.url();
  row.variant = o.variant();
  row.vary = o.vary();
  row.status = o.status();
  row.size = o.bodySize();
  row.charge = entry.charge;
  row.stored = o.responseTime();
  row.freshness = explainFreshness(o, ctx.rules, ctx.now);
  row.validators = storedValidators(o);
  return row;
}

void writeRowJson(JsonWriter& j, const Row& r) {
  j.beginObject();
  j.key("url").string(r.url);
  j.key("variant").string(describeVariant(r.variant));
  j.key("vary").string(r.vary);
  j.key("status").number(r.status);
  j.key("size").unsignedNumber(r.size);
  j.key("charge").unsignedNumber(r.charge);
  j.key("stored").number(r.stored);
  j.key("stored_at").string(formatTime(r.stored));
  writeFreshnessJson(j, r.freshness);
  writeValidatorsJson(j, r.validators);
  j.endObject();
}

void reportDamaged(uint64_t damaged) {
  if (damaged == 0) return;
  complain(std::to_string(damaged) +
           " damaged record(s) skipped (the proxy drops them when it reads them; "
           "`stats --verify` checks the whole store)");
}

}  // namespace

void writeFreshnessJson(JsonWriter& j, const FreshnessReport& f) {
  j.key("age").number(f.age);
  j.key("lifetime").number(f.lifetime);
  j.key("lifetime_source").string(f.source);
  j.key("heuristic").boolean(f.heuristic);
  j.key("fresh").boolean(f.fresh);
  j.key("ttl").number(f.ttl);
}

void writeValidatorsJson(JsonWriter& j, const Validators& v) {
  j.key("etag");
  v.etag.empty() ? j.null() : j.string(v.etag);
  j.key("last_modified");
  v.last_modified.empty() ? j.null() : j.string(v.last_modified);
}

void complain(const std::string& message) {
  std::fprintf(stderr, "cuttle-cache: %s\n", message.c_str());
}

cache::Store* ToolContext::store() {
  if (store_ || store_failed_) return store_.get();
  if (cache_dir.empty()) {
    complain(config_path + " has no cache_dir: cuttle caches in memory only, there is no store");
    store_failed_ = true;
    return nullptr;
  }
  cache::StoreOptions options;
  options.path = cache_dir;
  options.read_only = true;
  options.max_bytes = std::max(kReadOnlyMapBytes, capacity.value_or(0) * 2);
  auto opened = cache::Store::open(options);
  if (!opened) {
    complain("cannot read the cache store: " + opened.error().cause);
    store_failed_ = true;
    return nullptr;
  }
  store_ = std::move(opened.value());
  return store_.get();
}

// ---- ls ------------------------------------------------------------------------------------

int commandLs(ToolContext& ctx, const std::string& prefix) {
  cache::Store* store = ctx.store();
  if (store == nullptr) return 1;
  std::vector<Row> rows;
  auto listed = cache::listStore(*store, prefix, [&](const cache::StoreEntry& entry) {
    rows.push_back(makeRow(entry, ctx));
    return true;
  });
  if (!listed) {
    complain(listed.error().cause);
    return 1;
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.url != b.url ? a.url < b.url : a.variant < b.variant;
  });
  uint64_t body_bytes = 0;
  for (const Row& r : rows) body_bytes += r.size;
  if (ctx.json) {
    JsonWriter j;
    j.beginObject();
    j.key("store").string(ctx.cache_dir);
    j.key("now").number(ctx.now);
    j.key("prefix").string(prefix);
    j.key("objects").beginArray();
    for (const Row& r : rows) writeRowJson(j, r);
    j.endArray();
    j.key("count").unsignedNumber(rows.size());
    j.key("body_bytes").unsignedNumber(body_bytes);
    j.key("damaged").unsignedNumber(listed->damaged);
    j.endObject();
    print(j.take());
  } else {
    Table table({"STATUS", "SIZE", "STORED", "AGE", "FRESHNESS", "VALIDATORS", "URL"});
    for (const Row& r : rows) {
      std::string url = r.url;
      if (!r.variant.empty()) url += " {" + describeVariant(r.variant) + "}";
      table.add({std::to_string(r.status), std::to_string(r.size), formatTime(r.stored),
                 formatDuration(r.freshness.age), freshnessText(r.freshness),
                 r.validators.summary(), url});
    }
    if (!rows.empty()) print(table.render());
    print(std::to_string(rows.size()) + (rows.size() == 1 ? " object" : " objects") +
          (prefix.empty() ? "" : " under " + prefix) + ", " + std::to_string(body_bytes) +
          " bytes of bodies\n");
  }
  reportDamaged(listed->damaged);
  return 0;
}

// ---- stats ---------------------------------------------------------------------------------

namespace {

struct StatsReport {
  cache::StoreInfo info;
  uint64_t fresh = 0;
  uint64_t stale = 0;
  uint64_t body_bytes = 0;
  std::set<std::string> urls;
  std::optional<Row> oldest;
  std::optional<Row> newest;
  uint64_t damaged = 0;
  std::optional<double> fill;           // bytes / capacity, when the capacity is known
  std::optional<std::string> verified;  // "ok" or the problem, with --verify
};

// Everything stats reports; false (after saying why) when the store cannot be read.
bool gatherStats(ToolContext& ctx, bool verify, StatsReport* r) {
  cache::Store* store = ctx.store();
  if (store == nullptr) return false;
  auto info = cache::storeInfo(*store);
  if (!info) {
    complain(info.error().cause);
    return false;
  }
  r->info = *info;
  // Oldest and newest need every object: the store keeps no index by time.
  auto listed = cache::listStore(*store, "", [&](const cache::StoreEntry& entry) {
    Row row = makeRow(entry, ctx);
    (row.freshness.fresh ? r->fresh : r->stale) += 1;
    r->body_bytes += row.size;
    r->urls.insert(row.url);
    if (!r->oldest || row.stored < r->oldest->stored) r->oldest = row;
    if (!r->newest || row.stored > r->newest->stored) r->newest = row;
    return true;
  });
  if (!listed) {
    complain(listed.error().cause);
    return false;
  }
  r->damaged = listed->damaged;
  if (verify) {
    Status checked = store->verify();
    r->verified = checked ? std::string("ok") : checked.error().cause;
  }
  if (ctx.capacity && *ctx.capacity > 0) {
    r->fill = static_cast<double>(info->bytes) / static_cast<double>(*ctx.capacity);
  }
  return true;
}

void writeExtremeJson(JsonWriter& j, const char* name, const std::optional<Row>& row) {
  j.key(name);
  if (!row) {
    j.null();
    return;
  }
  j.beginObject();
  j.key("url").string(row->url);
  j.key("stored").number(row->stored);
  j.key("stored_at").string(formatTime(row->stored));
  j.key("age").number(row->freshness.age);
  j.endObject();
}

void printStatsJson(const ToolContext& ctx, const StatsReport& r) {
  JsonWriter j;
  j.beginObject();
  j.key("store").string(ctx.cache_dir);
  j.key("schema_version").unsignedNumber(r.info.schema_version);
  j.key("objects").unsignedNumber(r.info.objects);
  j.key("urls").unsignedNumber(r.urls.size());
  j.key("fresh").unsignedNumber(r.fresh);
  j.key("stale").unsignedNumber(r.stale);
  j.key("bytes").unsignedNumber(r.info.bytes);
  j.key("body_bytes").unsignedNumber(r.body_bytes);
  j.key("capacity");
  ctx.capacity ? j.unsignedNumber(*ctx.capacity) : j.null();
  j.key("fill_ratio");
  r.fill ? j.decimal(*r.fill) : j.null();
  j.key("eviction_threshold").decimal(cache::Store::kFillRatio);
  j.key("evictions").unsignedNumber(r.info.evictions);
  j.key("small_queue_bytes").unsignedNumber(r.info.small_bytes);
  j.key("main_queue_bytes").unsignedNumber(r.info.main_bytes);
  j.key("ghosts").unsignedNumber(r.info.ghosts);
  writeExtremeJson(j, "oldest", r.oldest);
  writeExtremeJson(j, "newest", r.newest);
  j.key("data_file_bytes_used").unsignedNumber(r.info.used_bytes);
  j.key("damaged").unsignedNumber(r.damaged);
  j.key("verify");
  r.verified ? j.string(*r.verified) : j.null();
  j.endObject();
  print(j.take());
}

std::string extremeText(const std::optional<Row>& row) {
  if (!row) return "-";
  return formatTime(row->stored) + "  age " + formatDuration(row->freshness.age) + "  " + row->url;
}

void printStatsText(const ToolContext& ctx, const StatsReport& r) {
  const cache::StoreInfo& info = r.info;
  Table t({"store", ctx.cache_dir});
  t.add({"schema", "version " + std::to_string(info.schema_version)});
  t.add({"objects", std::to_string(info.objects) + " (" + std::to_string(r.fresh) + " fresh, " +
                        std::to_string(r.stale) + " stale), " + std::to_string(r.urls.size()) +
                        " URLs"});
  t.add({"bytes", formatBytes(info.bytes) + " (" + std::to_string(info.bytes) +
                      " bytes accounted; bodies " + std::to_string(r.body_bytes) + " bytes)"});
  t.add({"capacity", ctx.capacity ? formatBytes(*ctx.capacity) + " (cache_dir)" : "unknown"});
  char fill[64] = "unknown without -f CONFIG (the size is in cache_dir)";
  if (r.fill) {
    std::snprintf(fill, sizeof fill, "%.2f%% (eviction above %.0f%%)", *r.fill * 100,
                  cache::Store::kFillRatio * 100);
  }
  t.add({"fill", fill});
  t.add({"evictions", std::to_string(info.evictions)});
  t.add({"queues", "small " + formatBytes(info.small_bytes) + ", main " +
                       formatBytes(info.main_bytes) + ", ghosts " + std::to_string(info.ghosts)});
  t.add({"oldest", extremeText(r.oldest)});
  t.add({"newest", extremeText(r.newest)});
  t.add({"data file", formatBytes(info.used_bytes) + " in use (page size " +
                          std::to_string(info.page_size) + ")"});
  if (r.verified) t.add({"verify", *r.verified});
  print(t.render());
}

}  // namespace

int commandStats(ToolContext& ctx, bool verify) {
  StatsReport report;
  if (!gatherStats(ctx, verify, &report)) return 1;
  if (ctx.json) {
    printStatsJson(ctx, report);
  } else {
    printStatsText(ctx, report);
  }
  reportDamaged(report.damaged);
  return report.verified && *report.verified != "ok" ? 1 : 0;
}

// ---- purge ---------------------------------------------------------------------------------

namespace {

enum class PurgeOutcome { kPurged, kNotCached, kFailed, kNotRunning };

PurgeOutcome purgeOne(const ToolContext& ctx, const std::string& url) {
  auto reply = sendPurge(ctx.proxies, url);
  if (!reply) {
    if (reply.error().code == ErrorCode::kConnectFailed) {
      complain("cuttle is not running (nothing accepts connections at the " + ctx.proxies_source +
               ": " + reply.error().cause + ")");
      return PurgeOutcome::kNotRunning;
    }
    complain(url + ": " + reply.error().cause);
    return PurgeOutcome::kFailed;
  }
  switch (reply->status) {
    case 200:
      print("purged " + url + "\n");
      return PurgeOutcome::kPurged;
    case 404:
      print("not in the cache: " + url + "\n");
      return PurgeOutcome::kNotCached;
    case 403:
      complain(url + ": refused by " + reply->proxy.toString() +
               " (403): cuttle accepts PURGE from localhost only; connect through a loopback "
               "address with --proxy");
      return PurgeOutcome::kFailed;
    default:
      complain(url + ": " + reply->proxy.toString() + " answered " + std::to_string(reply->status) +
               ": " + reply->body);
      return PurgeOutcome::kFailed;
  }
}

}  // namespace

int commandPurge(ToolContext& ctx, const std::string& url, const std::string& prefix) {
  if (ctx.proxies.empty()) {
    complain("purge goes through the running proxy, and its address is unknown: " +
             (ctx.config_path.empty() ? std::string("use -f CONFIG or --proxy ADDR:PORT")
                                      : "the http_port of " + ctx.config_path +
                                            " is 0 (kernel-chosen); use --proxy ADDR:PORT"));
    return 2;
  }
  std::vector<std::string> urls;
  if (!url.empty()) {
    auto uri = parseRequestTarget(url, false);
    if (!uri || uri->form != Uri::Form::kAbsolute) {
      complain("not an absolute URL (http://host/path): " + url);
      return 2;
    }
    urls.push_back(uri->absolute());  // the form the proxy keys its cache with
  } else {
    // The URLs come from the store: what the proxy has committed (a response stored a
    // moment ago may still be in its write queue and is not purged).
    cache::Store* store = ctx.store();
    if (store == nullptr) return 1;
    std::set<std::string> found;
    auto listed = cache::listStore(*store, prefix, [&](const cache::StoreEntry& entry) {
      found.insert(entry.object->url());
      return true;
    });
    if (!listed) {
      complain(listed.error().cause);
      return 1;
    }
    if (found.empty()) {
      print("nothing stored under " + prefix + "\n");
      return 0;
    }
    urls.assign(found.begin(), found.end());
  }
  size_t purged = 0;
  size_t failed = 0;
  for (const std::string& u : urls) {
    switch (purgeOne(ctx, u)) {
      case PurgeOutcome::kPurged:
        ++purged;
        break;
      case PurgeOutcome::kNotCached:
        break;
      case PurgeOutcome::kFailed:
        ++failed;
        break;
      case PurgeOutcome::kNotRunning:
        if (purged > 0) complain(std::to_string(purged) + " URL(s) were purged before that");
        return 1;
    }
  }
  if (!prefix.empty()) {
    print(std::to_string(purged) + " of " + std::to_string(urls.size()) + " URLs under " + prefix +
          " purged\n");
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace cuttle::tools
