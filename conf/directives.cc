#include "conf/directives.h"

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <string>
#include <utility>

#include "common/socket_address.h"
#include "common/strings.h"
#include "conf/squid_directives.h"

namespace cuttle::conf {
namespace {

// Directives kept verbatim in Config::rules for the access-rule layer.
constexpr std::string_view kRuleDirectives[] = {
    "acl",          "http_access",   "http_reply_access", "auth_param",
    "never_direct", "always_direct", "cache_peer",        "http_upgrade_request_protocols",
    "cache",        "deny_info",     "icp_access",        "htcp_access",
    "snmp_access",
};

// "15", "1.5", ".5": what parseDuration / parseSize accept as a value.
bool isUnsignedNumber(std::string_view s) {
  bool digit = false;
  bool dot = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

bool isZero(std::string_view s) {
  for (char c : s) {
    if (c != '0' && c != '.') return false;
  }
  return true;
}

// Reports why `value` is not an acceptable non-negative number; false if it is not one.
bool checkNumber(ApplyContext& ctx, const Statement& st, const std::string& value) {
  if (isUnsignedNumber(value)) return true;
  if (!value.empty() && value.front() == '-') {
    ctx.sink.error(st, "negative value '" + value + "' is not allowed");
  } else {
    ctx.sink.error(st, "'" + value + "' is not a number");
  }
  return false;
}

std::optional<Duration> durationArgs(ApplyContext& ctx, const Statement& st,
                                     std::string_view default_unit) {
  if (!checkArgCount(ctx, st, 1, 2)) return std::nullopt;
  const std::string& value = st.arg(0);
  std::string unit = st.argCount() > 1 ? st.arg(1) : "";
  if (!checkNumber(ctx, st, value)) return std::nullopt;
  if (!unit.empty() && !parseDuration("0", unit, default_unit)) {
    ctx.sink.error(st, "unknown time unit '" + unit +
                           "' (expected milliseconds, seconds, minutes, hours, days, weeks, "
                           "fortnights, months, years or decades)");
    return std::nullopt;
  }
  auto d = parseDuration(value, unit, default_unit);
  if (!d) {
    ctx.sink.error(st, "value '" + value + " " + unit + "' is too large");
    return std::nullopt;
  }
  if (unit.empty() && !isZero(value)) {
    ctx.sink.warn(st, "no unit given, assuming " + value + " " + std::string(default_unit));
  }
  return d;
}

using DurationField = Duration Config::*;
Handler durationHandler(DurationField field) {
  return [field](ApplyContext& ctx, const Statement& st) {
    if (auto d = durationArgs(ctx, st, "seconds")) ctx.cfg.*field = *d;
  };
}

// on|off (squid also takes enable|disable).
std::optional<bool> onOff(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, 1)) return std::nullopt;
  const std::string& v = st.arg(0);
  if (iequals(v, "on") || iequals(v, "enable")) return true;
  if (iequals(v, "off") || iequals(v, "disable")) return false;
  ctx.sink.error(st, "expected 'on' or 'off', got '" + v + "'");
  return std::nullopt;
}

// Why "host:port" text was refused by SocketAddress::parseIpPort.
std::string badAddressMessage(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    auto port = parseDecimal(std::string_view(text).substr(colon + 1));
    if (port && *port > 65535) return "port out of range in '" + text + "'";
  }
  return "'" + text + "' is not PORT, IPv4:PORT or [IPv6]:PORT (host names are not supported)";
}

void httpPort(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  HttpPort port;
  port.text = st.arg(0);
  if (auto bare = parseDecimal(port.text)) {
    if (*bare > 65535) {
      ctx.sink.error(st, "port out of range in '" + port.text + "'");
      return;
    }
    port.address = *SocketAddress::parseIp("::", static_cast<uint16_t>(*bare));
    port.any_address = true;
  } else if (auto addr = SocketAddress::parseIpPort(port.text)) {
    port.address = *addr;
  } else {
    ctx.sink.error(st, badAddressMessage(port.text));
    return;
  }
  for (const HttpPort& other : ctx.cfg.http_ports) {
    if (other.address == port.address) {
      ctx.sink.error(st, "duplicate http_port " + port.address.toString() + " (already given as '" +
                             other.text + "')");
      return;
    }
  }
  for (size_t i = 1; i < st.argCount(); ++i) {
    ctx.sink.ignored(st, "option '" + st.arg(i) + "' is not supported by cuttle, ignored");
  }
  ctx.cfg.http_ports.push_back(std::move(port));
}

void workers(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, 1)) return;
  if (auto n = integerArg(ctx, st, 0, 0, 128)) ctx.cfg.workers = static_cast<int>(*n);
}

void maxConnections(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, 1)) return;
  if (auto n = integerArg(ctx, st, 0, 1, UINT32_MAX)) {
    ctx.cfg.max_connections = static_cast<uint32_t>(*n);
  }
}

void visibleHostname(ApplyContext& ctx, const Statement& st) {
  if (checkArgCount(ctx, st, 1, 1)) ctx.cfg.visible_hostname = st.arg(0);
}

void via(ApplyContext& ctx, const Statement& st) {
  if (auto v = onOff(ctx, st)) ctx.cfg.via = *v;
}

void cuttleStrict(ApplyContext& ctx, const Statement& st) {
  if (auto v = onOff(ctx, st)) ctx.strict = *v;
}

// squid's dns_nameservers take bare addresses; cuttle also takes a port.
void dnsNameservers(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  for (size_t i = 0; i < st.argCount(); ++i) {
    const std::string& text = st.arg(i);
    if (auto ip = SocketAddress::parseIp(text)) {
      ctx.cfg.dns_nameservers.push_back(ip->ipString());
    } else if (auto addr = SocketAddress::parseIpPort(text); addr && addr->port() != 0) {
      ctx.cfg.dns_nameservers.push_back(addr->toString());
    } else {
      ctx.sink.error(st, "'" + text + "' is not IP, IPv4:PORT or [IPv6]:PORT");
    }
  }
}

void hostsFile(ApplyContext& ctx, const Statement& st) {
  if (checkArgCount(ctx, st, 1, 1)) ctx.cfg.hosts_file = st.arg(0);
}

void rule(ApplyContext& ctx, const Statement& st) {
  if (!checkArgCount(ctx, st, 1, kAnyCount)) return;
  RawDirective raw;
  raw.name = st.name();
  for (size_t i = 1; i < st.tokens.size(); ++i) raw.args.push_back(st.tokens[i].raw);
  raw.file = st.file;
  raw.line = st.line;
  ctx.cfg.rules.push_back(std::move(raw));
}

HandlerTable buildHandlers() {
  HandlerTable t;
  t["http_port"] = httpPort;
  t["workers"] = workers;
  t["max_connections"] = maxConnections;
  t["visible_hostname"] = visibleHostname;
  t["via"] = via;
  t["cuttle_strict"] = cuttleStrict;
  t["connect_timeout"] = durationHandler(&Config::connect_timeout);
  t["read_timeout"] = durationHandler(&Config::read_timeout);
  t["request_timeout"] = durationHandler(&Config::request_timeout);
  t["client_idle_pconn_timeout"] = durationHandler(&Config::client_idle_pconn_timeout);
  t["server_idle_pconn_timeout"] = durationHandler(&Config::server_idle_pconn_timeout);
  t["shutdown_lifetime"] = durationHandler(&Config::shutdown_lifetime);
  t["request_header_max_size"] = sizeHandler(&Config::request_header_max_size, {});
  t["reply_header_max_size"] = sizeHandler(&Config::reply_header_max_size, {});
  // squid: 0 (or none) means no limit; so does cuttle's 0.
  t["request_body_max_size"] = sizeHandler(&Config::request_body_max_size, {.allow_none = true}, 0);
  t["max_uri_length"] =
      sizeHandler(&Config::max_uri_length, {.warn_missing_unit = false, .min = 1});
  t["dns_nameservers"] = dnsNameservers;
  t["hosts_file"] = hostsFile;
  t["positive_dns_ttl"] = durationHandler(&Config::positive_dns_ttl);
  t["negative_dns_ttl"] = durationHandler(&Config::negative_dns_ttl);
  t["dns_timeout"] = durationHandler(&Config::dns_timeout);
  for (std::string_view name : kRuleDirectives) t[name] = rule;
  addStoreHandlers(t);
  return t;
}

const HandlerTable& handlers() {
  static const HandlerTable table = buildHandlers();
  return table;
}

std::string hostName() {
  char buf[HOST_NAME_MAX + 1] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

Handler sizeHandler(SizeField field, SizeOptions options, uint64_t none_value) {
  return [field, options, none_value](ApplyContext& ctx, const Statement& st) {
    if (!checkArgCount(ctx, st, 1, 2)) return;
    size_t used = 0;
    auto v = sizeArgs(ctx, st, 0, options, &used);
    if (!v) return;
    if (used < st.argCount()) {
      ctx.sink.error(st, "unexpected argument '" + st.arg(used) + "'");
      return;
    }
    ctx.cfg.*field = (options.allow_none && *v == kUnlimited) ? none_value : *v;
  };
}

bool checkArgCount(ApplyContext& ctx, const Statement& st, size_t min, size_t max) {
  size_t n = st.argCount();
  if (n >= min && n <= max) return true;
  if (n < min && n == 0) {
    ctx.sink.error(st, "missing argument");
  } else if (n < min) {
    ctx.sink.error(
        st, "expects at least " + std::to_string(min) + " arguments, got " + std::to_string(n));
  } else {
    ctx.sink.error(st, "unexpected argument '" + st.arg(max) + "'");
  }
  return false;
}

std::optional<uint64_t> integerArg(ApplyContext& ctx, const Statement& st, size_t index,
                                   uint64_t min, uint64_t max) {
  const std::string& text = st.arg(index);
  auto v = parseDecimal(text);
  if (!v) {
    if (!text.empty() && text.front() == '-') {
      ctx.sink.error(st, "negative value '" + text + "' is not allowed");
    } else {
      ctx.sink.error(st, "'" + text + "' is not an integer");
    }
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    ctx.sink.error(st, "value " + text + " out of range (" + std::to_string(min) + " to " +
                           std::to_string(max) + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> sizeArgs(ApplyContext& ctx, const Statement& st, size_t first,
                                 const SizeOptions& options, size_t* used) {
  const std::string& value = st.arg(first);
  if (options.allow_none && (value == "none" || value == "-1")) {
    *used = first + 1;
    return kUnlimited;
  }
  if (!checkNumber(ctx, st, value)) return std::nullopt;
  std::string unit = st.argCount() > first + 1 ? st.arg(first + 1) : "";
  if (!unit.empty() && !parseSize("0", unit, options.default_unit)) {
    ctx.sink.error(st, "unknown size unit '" + unit + "' (expected bytes, KB, MB or GB)");
    return std::nullopt;
  }
  auto v = parseSize(value, unit, options.default_unit);
  if (!v) {
    ctx.sink.error(st, "value '" + value + " " + unit + "' is too large");
    return std::nullopt;
  }
  if (*v < options.min) {
    ctx.sink.error(st, "value must be at least " + std::to_string(options.min) + " bytes");
    return std::nullopt;
  }
  if (unit.empty() && options.warn_missing_unit && !isZero(value)) {
    ctx.sink.warn(st, "no unit given, assuming " + value + " " + std::string(options.default_unit));
  }
  *used = first + (unit.empty() ? 1 : 2);
  return v;
}

DirectiveApplier::DirectiveApplier(Config& cfg, DiagnosticSink& sink)
    : ctx_{cfg, sink}, handlers_(handlers()) {}

void DirectiveApplier::apply(const Statement& st) {
  auto it = handlers_.find(st.name());
  if (it != handlers_.end()) {
    it->second(ctx_, st);
    return;
  }
  switch (classifySquidDirective(st.name())) {
    case SquidDirectiveKind::kSquid:
      ctx_.sink.ignored(st, "directive not supported by cuttle, ignored");
      break;
    case SquidDirectiveKind::kObsolete:
      ctx_.sink.ignored(st, "obsolete squid directive, not supported by cuttle, ignored");
      break;
    case SquidDirectiveKind::kUnknown:
      ctx_.sink.ignored(st, "unknown directive, ignored");
      break;
  }
}

void DirectiveApplier::finish() {
  Config& cfg = ctx_.cfg;
  if (cfg.http_ports.empty()) {
    HttpPort port;
    port.address = *SocketAddress::parseIp("::", 3128);
    port.text = "3128";
    port.any_address = true;
    cfg.http_ports.push_back(std::move(port));
  }
  if (!ctx_.saw_access_log) cfg.access_logs.push_back(AccessLogSpec{"/dev/stdout", "squid"});
  if (cfg.visible_hostname.empty()) cfg.visible_hostname = hostName();
  if (ctx_.strict) ctx_.sink.applyStrict();
}

}  // namespace cuttle::conf
