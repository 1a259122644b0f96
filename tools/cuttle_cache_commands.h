// The commands of cuttle-cache (see tools/cuttle_cache.cc for the command line).
//
// ls, show and stats read the store through a read-only Store (StoreOptions::read_only:
// no writer thread, MDB_RDONLY), safe while the proxy runs: LMDB readers never block the
// proxy's writer, and the listing reads in short transactions (cache/store_list.h). They
// see what the proxy has committed, which is at most a few milliseconds behind what it
// serves. purge goes through the proxy (tools/cuttle_cache_purge.h).
//
// Each command writes its report to stdout and problems to stderr ("cuttle-cache: ..."),
// and returns the process exit status: 0 done, 1 failed or nothing found, 2 usage.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/policy.h"
#include "cache/store.h"
#include "common/socket_address.h"
#include "tools/cuttle_cache_explain.h"

namespace cuttle::tools {

struct ToolContext {
  std::string cache_dir;    // empty: the configuration has none
  std::string config_path;  // empty with -d
  NamedRefreshRules rules;  // from the configuration's refresh_pattern lines, or none
  cache::StoreLimits limits;
  std::optional<uint64_t> capacity;    // cache_dir size (bytes), known from a configuration
  std::vector<SocketAddress> proxies;  // where purge sends PURGE, in order
  std::string proxies_source;          // for messages: "http_port of CONFIG", "--proxy"
  int64_t now = 0;                     // unix seconds
  bool json = false;

  // Opens the store read-only on first use; null (after reporting why) when it cannot.
  cache::Store* store();

 private:
  std::unique_ptr<cache::Store> store_;
  bool store_failed_ = false;
};

int commandLs(ToolContext& ctx, const std::string& prefix);
int commandShow(ToolContext& ctx, const std::string& url);
int commandStats(ToolContext& ctx, bool verify);
// Exactly one of url and prefix is non-empty.
int commandPurge(ToolContext& ctx, const std::string& url, const std::string& prefix);

// The JSON members ls and show share: age, lifetime, lifetime_source, heuristic, fresh and
// ttl; etag and last_modified (null when absent).
class JsonWriter;
void writeFreshnessJson(JsonWriter& j, const FreshnessReport& f);
void writeValidatorsJson(JsonWriter& j, const Validators& v);

// Reports a problem on stderr: "cuttle-cache: <message>".
void complain(const std::string& message);

}  // namespace cuttle::tools
