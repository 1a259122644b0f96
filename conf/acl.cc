// The ACL factory, the per-check context, and the small ACL types: port, localport,
// method, proto, time, proxy_auth, myportname, manager, and the squid types cuttle does not
// implement.
#include "conf/acl.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <unordered_set>

#include "common/strings.h"

namespace cuttle::conf::acl {

// ---- helpers -------------------------------------------------------------------------

size_t CaseInsensitiveHash::operator()(std::string_view s) const {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(asciiLower(c));
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

bool CaseInsensitiveEqual::operator()(std::string_view a, std::string_view b) const {
  return iequals(a, b);
}

bool toIp128(const SocketAddress& address, Ip128* out) {
  const sockaddr* sa = address.sockaddr_ptr();
  if (address.isV4()) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(sa);
    *out = (Ip128{0xffff} << 32) | ntohl(in4->sin_addr.s_addr);
    return true;
  }
  if (address.isV6()) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    Ip128 v = 0;
    for (uint8_t byte : in6->sin6_addr.s6_addr) v = (v << 8) | byte;
    *out = v;
    return true;
  }
  return false;
}

bool parseIp128(std::string_view text, Ip128* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1) {
    *out = (Ip128{0xffff} << 32) | ntohl(a4.s_addr);
    return true;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) == 1) {
    Ip128 v = 0;
    for (uint8_t byte : a6.s6_addr) v = (v << 8) | byte;
    *out = v;
    return true;
  }
  return false;
}

std::string_view Context::host() {
  if (!host_done_) {
    host_done_ = true;
    std::string_view h = request_.host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    // "example.com." names the same host as "example.com" (squid matches both).
    if (h.size() > 1 && h.back() == '.') h.remove_suffix(1);
    host_ = h;
    // Names are far more common than addresses: only text that could be one is parsed.
    bool maybe_ip = !h.empty();
    for (char c : h) {
      if (!((c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f') ||
            (c >= 'A' && c <= 'F'))) {
        maybe_ip = false;
        break;
      }
    }
    host_is_ip_ = maybe_ip && parseIp128(host_, &host_ip_);
  }
  return host_;
}

bool Context::domainKeys(const DomainKey** keys, size_t* count) {
  if (keys_state_ == 0) {
    std::string_view name = host();
    keys_state_ = 1;
    uint64_t h = kDomainHashSeed;
    for (size_t i = name.size(); i-- > 0;) {
      h = domainHashStep(h, name[i]);
      if (i != 0 && (host_is_ip_ || name[i - 1] != '.')) continue;
      if (key_count_ == kMaxDomainKeys) {
        keys_state_ = 2;
        break;
      }
      keys_[key_count_++] = DomainKey{static_cast<uint32_t>(i), h};
    }
  }
  *keys = keys_;
  *count = key_count_;
  return keys_state_ == 1;
}

bool Context::hostIp(Ip128* out) {
  host();
  if (host_is_ip_) *out = host_ip_;
  return host_is_ip_;
}

void Context::localTime(int* weekday, int* minute) {
  if (!time_done_) {
    time_done_ = true;
    time_t now = static_cast<time_t>(request_.now);
    struct tm tm;
    if (localtime_r(&now, &tm) != nullptr) {
      weekday_ = tm.tm_wday;
      minute_ = tm.tm_hour * 60 + tm.tm_min;
    }
  }
  *weekday = weekday_;
  *minute = minute_;
}

namespace {

bool parsePortNumber(std::string_view s, uint16_t* out) {
  std::optional<uint64_t> v = parseDecimal(s);
  if (!v || *v > 65535) return false;
  *out = static_cast<uint16_t>(*v);
  return true;
}

// ---- port, localport -----------------------------------------------------------------

class PortAcl final : public Acl {
 public:
  PortAcl(const std::string& name, const std::string& type, bool local)
      : Acl(name, type), local_(local) {}
  Match match(Context& context) const override {
    uint16_t port = local_ ? context.request().local_port : context.request().port;
    for (const auto& [lo, hi] : ranges_) {
      if (port >= lo && port <= hi) return Match::kYes;
    }
    return Match::kNo;
  }
  bool empty() const override { return ranges_.empty(); }

 protected:
  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    std::string_view v = token.text;
    size_t dash = v.find('-');
    uint16_t lo = 0;
    uint16_t hi = 0;
    bool ok = dash == std::string_view::npos ? parsePortNumber(v, &lo) && parsePortNumber(v, &hi)
                                             : parsePortNumber(v.substr(0, dash), &lo) &&
                                                   parsePortNumber(v.substr(dash + 1), &hi);
    if (!ok) {
      diag.error(token, "'" + token.text + "' is not a port (0-65535) or a range of ports");
    } else if (lo > hi) {
      diag.error(token, "'" + token.text + "' is a reversed range of ports");
    } else {
      ranges_.emplace_back(lo, hi);
    }
  }

 private:
  bool local_;
  std::vector<std::pair<uint16_t, uint16_t>> ranges_;
};

// ---- method --------------------------------------------------------------------------

class MethodAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context& context) const override {
    // Methods are case-sensitive (RFC 9110 9.1), as in squid.
    for (const std::string& m : methods_) {
      if (m == context.request().method) return Match::kYes;
    }
    return Match::kNo;
  }
  bool empty() const override { return methods_.empty(); }

 protected:
  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    if (!isToken(token.text)) {
      diag.error(token, "'" + token.text + "' is not a method name");
      return;
    }
    if (std::find(methods_.begin(), methods_.end(), token.text) == methods_.end()) {
      methods_.push_back(token.text);
    }
  }

 private:
  std::vector<std::string> methods_;
};

// ---- proto ---------------------------------------------------------------------------

// squid 5's protocol names. A CONNECT request has the protocol NONE in squid 5 whatever its
// port (checked against squid 5.7), so `proto HTTPS` never matches a CONNECT.
constexpr const char* kProtocols[] = {"NONE",   "HTTP", "FTP",          "HTTPS", "COAP", "COAPS",
                                      "GOPHER", "WAIS", "CACHE_OBJECT", "ICP",   "HTCP", "URN",
                                      "WHOIS",  "ICY",  "TLS",          "SSL"};

class ProtoAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context& context) const override {
    const AccessRequest& r = context.request();
    std::string_view scheme = r.scheme;
    if (scheme.empty() || r.method == "CONNECT") scheme = "NONE";
    for (const std::string& p : protocols_) {
      if (iequals(p, scheme)) return Match::kYes;
    }
    return Match::kNo;
  }
  bool empty() const override { return protocols_.empty(); }

 protected:
  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    for (const char* known : kProtocols) {
      if (iequals(known, token.text)) {
        protocols_.emplace_back(known);
        return;
      }
    }
    diag.warning(token, "unknown protocol '" + token.text + "' ignored (as squid does)");
  }

 private:
  std::vector<std::string> protocols_;
};

// ---- time ----------------------------------------------------------------------------

class TimeAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context& context) const override {
    int weekday = 0;
    int minute = 0;
    context.localTime(&weekday, &minute);
    for (const Span& s : spans_) {
      // Both ends inclusive, to the minute ("09:00-17:00" includes 17:00:59), as squid.
      if ((s.days & (1u << weekday)) != 0 && minute >= s.start && minute <= s.stop) {
        return Match::kYes;
      }
    }
    return Match::kNo;
  }
  bool empty() const override { return spans_.empty(); }

 protected:
  // squid: day letters apply to the next time range; day letters with no range after them
  // mean the whole day. Each acl line is parsed on its own.
  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    const std::string& t = token.text;
    if (t.empty()) return;
    if (t[0] >= '0' && t[0] <= '9') {
      int h1, m1, h2, m2;
      char extra;
      if (std::sscanf(t.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &extra) != 4 || h1 < 0 ||
          h1 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
          !(h2 >= 0 && (h2 < 24 || (h2 == 24 && m2 == 0)))) {
        diag.error(token, "bad time range '" + t + "' (expected hh:mm-hh:mm)");
        pending_days_ = 0;
        return;
      }
      Span s{pending_days_ != 0 ? pending_days_ : kAllWeek, h1 * 60 + m1, h2 * 60 + m2};
      pending_days_ = 0;
      if (s.start > s.stop) {
        diag.error(token, "reversed time range '" + t + "'");
        return;
      }
      spans_.push_back(s);
      return;
    }
    for (char c : t) {
      switch (c) {
        case 'S':
          pending_days_ |= 1u << 0;
          break;
        case 'M':
          pending_days_ |= 1u << 1;
          break;
        case 'T':
          pending_days_ |= 1u << 2;
          break;
        case 'W':
          pending_days_ |= 1u << 3;
          break;
        case 'H':
          pending_days_ |= 1u << 4;
          break;
        case 'F':
          pending_days_ |= 1u << 5;
          break;
        case 'A':
          pending_days_ |= 1u << 6;
          break;
        case 'D':
          pending_days_ |= 0x3eu;
          break;  // weekdays, M-F
        case '-':
          break;  // placeholder
        default:
          diag.warning(token, std::string("bad day '") + c + "' in '" + t + "' ignored (as squid)");
      }
    }
  }

 private:
  static constexpr unsigned kAllWeek = 0x7f;
  struct Span {
    unsigned days;
    int start;  // minutes since midnight
    int stop;
  };
  void lineDone() override {
    if (pending_days_ != 0) spans_.push_back(Span{pending_days_, 0, 24 * 60});
    pending_days_ = 0;
  }
  unsigned pending_days_ = 0;
  std::vector<Span> spans_;
};

// ---- proxy_auth ----------------------------------------------------------------------

class ProxyAuthAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context& context) const override {
    const AccessRequest& r = context.request();
    if (!r.credentials_verified) return Match::kNeedAuth;
    if (required_) return Match::kYes;
    if (exact_.find(r.user) != exact_.end()) return Match::kYes;
    if (icase_.find(r.user) != icase_.end()) return Match::kYes;
    return Match::kNo;
  }
  bool empty() const override { return !required_ && exact_.empty() && icase_.empty(); }
  bool isProxyAuth() const override { return true; }
  void finish(ValueDiagnostics& diag) override {
    if (required_ && !(exact_.empty() && icase_.empty())) {
      Token where{"", &file, line};
      diag.warning(where,
                   "user names added to a REQUIRED proxy_auth ACL are ignored "
                   "(any verified user matches)");
    }
  }

 protected:
  unsigned options() const override { return kOptCase; }
  void addValue(const Token& token, bool icase, ValueDiagnostics&) override {
    if (token.text == "REQUIRED") {
      required_ = true;
    } else if (icase) {
      icase_.insert(token.text);
    } else {
      exact_.insert(token.text);
    }
  }

 private:
  bool required_ = false;
  std::unordered_set<std::string, StringHash, std::equal_to<>> exact_;
  std::unordered_set<std::string, CaseInsensitiveHash, CaseInsensitiveEqual> icase_;
};

// ---- manager, myportname, unsupported types ------------------------------------------

class ManagerAcl final : public Acl {
 public:
  ManagerAcl() : Acl("manager", "manager") {}
  Match match(Context& context) const override {
    return context.request().is_manager ? Match::kYes : Match::kNo;
  }
  bool empty() const override { return false; }

 protected:
  void addValue(const Token&, bool, ValueDiagnostics&) override {}
};

// Values are kept for nothing: cuttle's ports have no names, so this never matches.
class NeverAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context&) const override { return Match::kNo; }
  bool empty() const override { return empty_; }
  std::string note() const override {
    return "type " + type() + " never matches in cuttle (its ports have no names)";
  }

 protected:
  void addValue(const Token&, bool, ValueDiagnostics&) override { empty_ = false; }

 private:
  bool empty_ = true;
};

class UnsupportedAcl final : public Acl {
 public:
  using Acl::Acl;
  Match match(Context&) const override { return Match::kNo; }
  bool empty() const override { return false; }
  bool supported() const override { return false; }
  std::string note() const override {
    return "squid's ACL type " + type() + " is not supported by cuttle; rules using '" + name() +
           "' are rejected";
  }

 protected:
  unsigned options() const override { return kOptAny; }
  void addValue(const Token&, bool, ValueDiagnostics&) override {}
};

// squid 5 ACL types cuttle does not implement (its request model has no such data).
// clang-format off
constexpr const char* kUnsupportedTypes[] = {
    "localip", "arp", "eui64", "clientside_mark", "client_connection_mark", "srcdomain",
    "srcdom_regex", "src_as", "dst_as", "peername", "peername_regex", "urllogin", "http_status",
    "referer_regex", "ident", "ident_regex", "snmp_community", "maxconn", "max_user_ip", "random",
    "req_mime_type", "req_header", "rep_mime_type", "rep_header", "external", "user_cert",
    "ca_cert", "ext_user", "ext_user_regex", "tag", "hier_code", "note", "annotate_transaction",
    "annotate_client", "adaptation_service", "transaction_initiator", "has", "at_step", "any-of",
    "all-of", "ssl_error", "server_cert_fingerprint", "ssl::server_name", "ssl::server_name_regex",
    "connections_encrypted"};
// clang-format on

}  // namespace

std::unique_ptr<Acl> makeAcl(const std::string& name, const std::string& type) {
  if (type == "src" || type == "dst") return makeAddressAcl(name, type);
  if (type == "dstdomain") return makeDomainAcl(name, type);
  if (type == "dstdom_regex" || type == "url_regex" || type == "urlpath_regex" ||
      type == "browser" || type == "proxy_auth_regex") {
    return makeRegexAcl(name, type);
  }
  if (type == "port") return std::make_unique<PortAcl>(name, type, false);
  if (type == "localport") return std::make_unique<PortAcl>(name, type, true);
  if (type == "method") return std::make_unique<MethodAcl>(name, type);
  if (type == "proto") return std::make_unique<ProtoAcl>(name, type);
  if (type == "time") return std::make_unique<TimeAcl>(name, type);
  if (type == "proxy_auth") return std::make_unique<ProxyAuthAcl>(name, type);
  if (type == "myportname") return std::make_unique<NeverAcl>(name, type);
  for (const char* t : kUnsupportedTypes) {
    if (type == t) return std::make_unique<UnsupportedAcl>(name, type);
  }
  return nullptr;
}

std::unique_ptr<Acl> makeManagerAcl() { return std::make_unique<ManagerAcl>(); }

}  // namespace cuttle::conf::acl
