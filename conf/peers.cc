#include "conf/peers.h"

#include "common/strings.h"

namespace cuttle::conf {
namespace {

Diagnostic diag(const RawDirective& d, std::string message) {
  return Diagnostic{d.file, d.line, d.name, std::move(message)};
}

bool parseOption(const RawDirective& d, const std::string& option, CachePeer* p,
                 std::vector<Diagnostic>* errors, std::vector<Diagnostic>* warnings) {
  const size_t eq = option.find('=');
  const std::string key = option.substr(0, eq);
  const std::string value = eq == std::string::npos ? std::string() : option.substr(eq + 1);
  auto number = [&](int lo, int hi, int* out) {
    auto v = parseDecimal(value);
    if (!v || *v < static_cast<uint64_t>(lo) || *v > static_cast<uint64_t>(hi)) {
      errors->push_back(diag(d, "invalid value in " + option));
      return false;
    }
    *out = static_cast<int>(*v);
    return true;
  };
  if (key == "default") {
    p->default_parent = true;
  } else if (key == "carp") {
    p->carp = true;
  } else if (key == "proxy-only") {
    p->proxy_only = true;
  } else if (key == "weight") {
    return number(1, 1000, &p->weight);
  } else if (key == "name") {
    if (value.empty()) errors->push_back(diag(d, "empty name="));
    p->name = value;
  } else if (key == "login") {
    if (value != "PASS" && value.find(':') == std::string::npos) {
      errors->push_back(diag(d, "login= must be USER:PASSWORD or PASS"));
      return false;
    }
    p->login = value;
  } else if (key == "connect-timeout") {
    int seconds = 0;
    if (!number(1, 3600, &seconds)) return false;
    p->connect_timeout = std::chrono::seconds(seconds);
  } else if (key == "connect-fail-limit") {
    return number(1, 1000, &p->connect_fail_limit);
  } else if (key == "no-query" || key == "no-digest" || key == "no-netdb-exchange" ||
             key == "no-delay" || key == "max-conn" || key == "standby") {
    // Nothing to do: cuttle never queries peers; connection limits are its own.
  } else {
    warnings->push_back(diag(d, "cache_peer option " + option + " is not supported by cuttle, ignored"));
  }
  return true;
}

}  // namespace

std::shared_ptr<const std::vector<CachePeer>> parseCachePeers(const Config& config,
                                                              std::vector<Diagnostic>* errors,
                                                              std::vector<Diagnostic>* warnings) {
  auto peers = std::make_shared<std::vector<CachePeer>>();
  const size_t errors_before = errors->size();
  for (const RawDirective& d : config.rules) {
    if (d.name != "cache_peer") continue;
    if (d.args.size() < 4) {
      errors->push_back(diag(d, "expected: cache_peer HOST TYPE HTTP_PORT ICP_PORT [options]"));
      continue;
    }
    const std::string& type = d.args[1];
    if (type == "sibling" || type == "multicast") {
      warnings->push_back(diag(d, type + " peers need ICP/HTCP, which cuttle does not speak: ignored"));
      continue;
    }
    if (type != "parent") {
      errors->push_back(diag(d, "unknown peer type " + type + " (parent, sibling, multicast)"));
      continue;
    }
    CachePeer p;
    p.file = d.file;
    p.line = d.line;
    p.host = toLower(d.args[0]);
    auto port = parseDecimal(d.args[2]);
    if (!port || *port == 0 || *port > 65535) {
      errors->push_back(diag(d, "invalid HTTP port " + d.args[2]));
      continue;
    }
    p.http_port = static_cast<uint16_t>(*port);
    p.name = p.host;
    bool ok = true;
    for (size_t i = 4; i < d.args.size(); ++i) ok &= parseOption(d, d.args[i], &p, errors, warnings);
    if (!ok) continue;
    for (const CachePeer& other : *peers) {
      if (iequals(other.name, p.name)) {
        errors->push_back(diag(d, "peer name " + p.name + " is already used (use name=)"));
        ok = false;
      }
    }
    if (ok) peers->push_back(std::move(p));
  }
  if (errors->size() != errors_before) return nullptr;
  return peers;
}

}  // namespace cuttle::conf
