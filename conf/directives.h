// Internal to conf/: applies Statements to a Config, one directive at a time, and fills the
// defaults at the end. Handlers live in directives.cc (network, identity, timeouts, limits,
// DNS, rules) and directives_store.cc (logs, cache, refresh_pattern).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "conf/config.h"
#include "conf/statement.h"

namespace cuttle::conf {

struct ApplyContext {
  Config& cfg;
  DiagnosticSink& sink;
  bool strict = false;          // cuttle_strict on (last one wins)
  bool saw_access_log = false;  // the first access_log replaces the default
  bool saw_cache_dir = false;
};

using Handler = std::function<void(ApplyContext&, const Statement&)>;
using HandlerTable = std::unordered_map<std::string_view, Handler>;

class DirectiveApplier {
 public:
  DirectiveApplier(Config& cfg, DiagnosticSink& sink);
  void apply(const Statement& st);
  // Fills what was not configured (http_port, access_log, visible_hostname) and, under
  // cuttle_strict, turns the "ignored" warnings into errors.
  void finish();

 private:
  ApplyContext ctx_;
  const HandlerTable& handlers_;
};

// Handlers of directives_store.cc.
void addStoreHandlers(HandlerTable& table);

// Helpers shared by the handler files. Each reports its own error and returns false /
// nullopt on failure.
constexpr size_t kAnyCount = std::numeric_limits<size_t>::max();
bool checkArgCount(ApplyContext& ctx, const Statement& st, size_t min, size_t max);
// A non-negative integer within [min, max], argument `index`.
std::optional<uint64_t> integerArg(ApplyContext& ctx, const Statement& st, size_t index,
                                   uint64_t min, uint64_t max);

struct SizeOptions {
  std::string_view default_unit = "bytes";
  bool allow_none = false;        // "none" and "-1" mean unlimited (squid's b_int64_t)
  bool warn_missing_unit = true;  // squid warns; cuttle's own directives need not
  uint64_t min = 0;               // smallest value accepted, in bytes
};
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();
// "VALUE [UNIT]" starting at argument `first`; *used receives how many arguments were
// taken. Returns kUnlimited for "none" / "-1" when allowed.
std::optional<uint64_t> sizeArgs(ApplyContext& ctx, const Statement& st, size_t first,
                                 const SizeOptions& options, size_t* used);

// A handler for "DIRECTIVE VALUE [UNIT]" storing bytes into `field`; with allow_none,
// "none" / "-1" store `none_value`.
using SizeField = uint64_t Config::*;
Handler sizeHandler(SizeField field, SizeOptions options, uint64_t none_value = kUnlimited);

}  // namespace cuttle::conf
