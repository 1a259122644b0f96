// Handlers for logs, the cache and refresh_pattern.
#include <cstdint>
#include <regex>
#include <string>
#include <utility>

#include "common/strings.h"
#include "conf/directives.h"

namespace cuttle::conf {
namespace {

// squid's built-in log formats.
constexpr std::string_view kBuiltinLogFormats[] = {"squid",    "common",    "combined",
                                                   "referrer", "useragent", "icap_squid"};

// squid's refresh_pattern options (cuttle keeps them as written).
constexpr std::string_view kRefreshOptions[] = {
    "override-expire",
    "override-lastmod",
    "reload-into-ims",
    "ignore-reload",
    "ignore-no-store",
    "ignore-private",
    "ignore-must-revalidate",
    "ignore-no-cache",
    "ignore-auth",
    "refresh-ims",
    "store-stale",
};

bool knownLogFormat(const Config& cfg, std::string_view name) {
  for (std::string_view b : kBuiltinLogFormats) {
    if (b == name) return true;
  }
  for (const RawDirective& f : cfg.logformats) {
    if (!f.args.empty() && f.args[0] == name) return true;
  }
  return false;
}

// "stdio:/path", "daemon:/path" or "/path" -> the path; other modules -> nullopt.
std::optional<std::string> logPath(std::string_view place) {
  if (!place.empty() && place.front() == '/') return std::string(place);
  for (std::string_view module : {"stdio:", "daemon:"}) {
    if (place.substr(0, module.size()) == module && place.size() > module.size()) {
      return std::string(place.substr(module.size()));
    }
  }
  return std::nullopt;
}

// The arguments after the place: [FORMAT | logformat=NAME] [key=value options] [acl...].
// Returns false on error.
bool accessLogOptions(ApplyContext& ctx, const Statement& st, AccessLogSpec* spec) {
  bool have_format = false;
  for (size_t i = 1; i < st.argCount(); ++i) {
    const std::string& arg = st.arg(i);
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      if (arg.substr(0, eq) == "logformat") {
        spec->format = arg.substr(eq + 1);
        have_format = true;
      } else {
        ctx.sink.ignored(st, "option '" + arg + "' is not supported by cuttle, ignored");
      }
    } else if (!have_format && i == 1) {
      spec->format = arg;
      have_format = true;
    } else {
      ctx.sink.ignored(st, "ACL condition '" + arg + "' on access_log is not supported, ignored");
    }
  }
  if (!knownLogFormat(ctx.cfg, spec->format)) {
    ctx.sink.error(
        st, "unknown log format '" + spec->format + "' (define it with logformat before use)");
    return false;
  }
  return true;
}

// access_log none | stdio:/path | daemon:/path | /path  [format] [options] [acl...]
void accessLog(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  if (!ctx.saw_access_log) ctx.cfg.access_logs.clear();  // the first one replaces the default
  ctx.saw_access_log = true;
  const std::string& place = st.arg(0);
  if (place == "none") {
    ctx.cfg.access_logs.clear();
    for (size_t i = 1; i < st.argCount(); ++i) {
      ctx.sink.ignored(st,
                       "ACL condition '" + st.arg(i) + "' on access_log is not supported, ignored");
    }
    return;
  }
  auto path = logPath(place);
  if (!path && (place == "stdio:" || place == "daemon:")) {
    ctx.sink.error(st, "missing path after '" + place + "'");
    return;
  }
  if (!path) {
    if (place.find(':') != std::string::npos) {
      ctx.sink.ignored(st, "log module of '" + place + "' is not supported by cuttle, ignored");
    } else {
      ctx.sink.error(st, "expected none, /path, stdio:/path or daemon:/path, got '" + place + "'");
    }
    return;
  }
  AccessLogSpec spec;
  spec.path = *path;
  if (accessLogOptions(ctx, st, &spec)) ctx.cfg.access_logs.push_back(std::move(spec));
}

// logformat NAME FORMAT: squid takes the format as the rest of the line, spaces included.
void logFormat(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 2, kAnyCount)) return;
  const std::string& name = st.arg(0);
  for (const RawDirective& f : ctx.cfg.logformats) {
    if (f.args[0] == name) {
      ctx.sink.error(st, "logformat '" + name + "' already defined at " + f.file + ":" +
                             std::to_string(f.line));
      return;
    }
  }
  RawDirective raw;
  raw.name = st.name();
  raw.args = {name, std::string(st.restFrom(1))};
  raw.file = st.file;
  raw.line = st.line;
  ctx.cfg.logformats.push_back(std::move(raw));
}

void cacheLog(ApplyContext& ctx, const Statement& st) {
  if (checkArgCount(ctx, st, 1, 1)) ctx.cfg.cache_log = st.arg(0);
}

// pid_filename PATH | none
void pidFilename(ApplyContext& ctx, const Statement& st) {
  if (checkArgCount(ctx, st, 1, 1)) ctx.cfg.pid_filename = st.arg(0) == "none" ? "" : st.arg(0);
}

// cache_dir TYPE PATH MB [L1 L2] [options]; squid's "cache_dir null" means no disk cache.
void cacheDir(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  if (st.arg(0) == "null") return;
  if (!checkArgCount(ctx, st, 3, kAnyCount)) return;
  auto mb = integerArg(ctx, st, 2, 1, UINT64_MAX / (1024 * 1024));
  if (!mb) return;
  if (ctx.saw_cache_dir) {
    ctx.sink.ignored(st, "cuttle supports a single cache_dir; this one is ignored");
    return;
  }
  ctx.saw_cache_dir = true;
  ctx.cfg.cache_dir = CacheDir{st.arg(0), st.arg(1), *mb};
}

// range_offset_limit SIZE|none|-1 [acl...]
void rangeOffsetLimit(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  size_t used = 0;
  auto v = sizeArgs(ctx, st, 0, {.allow_none = true}, &used);
  if (!v) return;
  for (size_t i = used; i < st.argCount(); ++i) {
    ctx.sink.ignored(
        st, "ACL condition '" + st.arg(i) + "' on range_offset_limit is not supported, ignored");
  }
  ctx.cfg.range_offset_limit = *v;
}

bool knownRefreshOption(std::string_view option) {
  if (option.substr(0, 10) == "max-stale=") return parseDecimal(option.substr(10)).has_value();
  for (std::string_view o : kRefreshOptions) {
    if (o == option) return true;
  }
  return false;
}

bool compiles(ApplyContext& ctx, const Statement& st, const RefreshPattern& p) {
  auto flags = std::regex::ECMAScript;
  if (p.case_insensitive) flags |= std::regex::icase;
  try {
    std::regex re(p.regex, flags);
  } catch (const std::regex_error& e) {
    ctx.sink.error(st, "invalid regular expression '" + p.regex + "': " + e.what());
    return false;
  }
  return true;
}

// refresh_pattern [-i] REGEX MIN PERCENT% MAX [options...]
void refreshPattern(ApplyContext& ctx, const Statement& st) {
  RefreshPattern p;
  size_t i = 0;
  if (st.argCount() > 0 && st.arg(0) == "-i") {
    p.case_insensitive = true;
    i = 1;
  }
  if (st.argCount() < i + 4) {
    ctx.sink.error(st, "expected [-i] REGEX MIN PERCENT% MAX [options]");
    return;
  }
  p.regex = st.arg(i);
  p.line = st.line;
  auto min = integerArg(ctx, st, i + 1, 0, UINT32_MAX);
  if (!min) return;
  std::string percent = st.arg(i + 2);
  if (!percent.empty() && percent.back() == '%') percent.pop_back();
  auto pct = parseDecimal(percent);
  if (!pct || *pct > INT32_MAX) {
    ctx.sink.error(st, "'" + st.arg(i + 2) + "' is not a percentage");
    return;
  }
  auto max = integerArg(ctx, st, i + 3, 0, UINT32_MAX);
  if (!max || !compiles(ctx, st, p)) return;
  p.min_minutes = *min;
  p.percent = static_cast<int>(*pct);
  p.max_minutes = *max;
  for (size_t k = i + 4; k < st.argCount(); ++k) {
    if (!knownRefreshOption(st.arg(k))) {
      ctx.sink.ignored(st, "unknown refresh_pattern option '" + st.arg(k) + "'");
    }
    p.options.push_back(st.arg(k));
  }
  ctx.cfg.refresh_patterns.push_back(std::move(p));
}

}  // namespace

void addStoreHandlers(HandlerTable& t) {
  t["access_log"] = accessLog;
  t["logformat"] = logFormat;
  t["cache_log"] = cacheLog;
  t["pid_filename"] = pidFilename;
  t["cache_dir"] = cacheDir;
  t["cache_mem"] = sizeHandler(&Config::cache_mem, {});
  t["maximum_object_size"] = sizeHandler(&Config::maximum_object_size, {.allow_none = true});
  t["minimum_object_size"] = sizeHandler(&Config::minimum_object_size, {});
  t["maximum_object_size_in_memory"] = sizeHandler(&Config::maximum_object_size_in_memory, {});
  t["quick_abort_max"] = sizeHandler(&Config::quick_abort_max, {.default_unit = "KB"});
  t["range_offset_limit"] = rangeOffsetLimit;
  t["refresh_pattern"] = refreshPattern;
}

}  // namespace cuttle::conf
