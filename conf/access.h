// Access rules with squid's semantics: `acl NAME TYPE [-i] VALUE...` definitions and
// `http_access allow|deny [!]ACL...` lines, from Config::rules.
//
//   - Several `acl` lines with one name add up (same type required). Values may come from a
//     file: `acl NAME TYPE "/path/file"` (one value per line, as squid: the whole line,
//     trimmed; blank lines and lines starting with # skipped; a relative path starts at the
//     directory of the config file). ACL names are
//     case-insensitive and must be defined before the first line that uses them (squid).
//   - A http_access line matches when all its ACLs match (AND), `!` negating one. The first
//     matching line decides. When no line matches, the decision is the opposite of the last
//     line's action; with no http_access line at all, everything is denied (squid). A line
//     with no ACL is skipped with a warning (squid).
//   - Types: src, dst, dstdomain (".example.com" also matches example.com and subdomains),
//     dstdom_regex, port (numbers and ranges "1025-65535"), method, proto, url_regex,
//     urlpath_regex, browser (User-Agent regex), time ([SMTWHFAD...] [hh:mm-hh:mm], local
//     time), proxy_auth (REQUIRED or user names), proxy_auth_regex, localport, myportname
//     (accepted, never matches: cuttle's ports have no names); predefined: all, localhost
//     (src 127.0.0.1/32 ::1), to_localhost (dst 127.0.0.0/8 0.0.0.0/32 ::1/128 ::/128),
//     manager (requests for cuttle's own endpoints), CONNECT (method CONNECT). The other
//     squid types are accepted with a warning, and a rule using one is an error.
//   - A predefined name redefined with another type is an error (as squid). With the same
//     type, a line identical to the predefined definition is redundant (warning); other
//     values are added to the predefined ACL with a warning (squid adds them silently).
//     `acl manager proto ...` and `acl manager url_regex ...` (older squid releases needed
//     them) are ignored with a warning.
//   - Regex types use POSIX extended regular expressions (as squid); -i ignores case for
//     the values after it, +i restores case sensitivity.
//   - IPv4 values also match IPv4-mapped IPv6 addresses (::ffff:10.1.2.3), as in squid.
//
// Evaluation never does I/O. A `dst` ACL needs the resolved addresses of the destination
// and a proxy_auth ACL needs a verified user: when the request does not carry them yet,
// check() says so (kNeedDestination, kNeedAuth) and the caller resolves or authenticates,
// then checks again.
//
// Thread-safe after build(): check() is const and shared by all workers. check() does not
// allocate, except inside glibc's regexec() when a regex ACL is evaluated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/socket_address.h"
#include "conf/config.h"

namespace cuttle::conf {

struct AccessRequest {
  SocketAddress client;     // src
  uint16_t local_port = 0;  // localport
  std::string_view method;  // "GET", "CONNECT", ...
  // proto: "http", "https", "ftp"... matched case-insensitively. A CONNECT request, or an
  // empty scheme, has the protocol NONE whatever this says (squid 5 does the same).
  std::string_view scheme;
  // dstdomain, dstdom_regex, dst: the host, IPv6 without brackets (brackets and one
  // trailing dot are ignored if present; dstdomain ignores case).
  std::string_view host;
  uint16_t port = 0;
  std::string_view url;         // absolute URL (url_regex); "host:port" for CONNECT
  std::string_view path;        // path and query (urlpath_regex); empty for CONNECT
  std::string_view user_agent;  // browser; empty: no User-Agent (browser never matches)
  bool is_manager = false;      // an origin-form request for cuttle's own endpoints (manager)
  // proxy_auth: the verified user, or empty when the request is not (yet) authenticated.
  std::string_view user;
  bool credentials_verified = false;
  // dst / to_localhost: the destination's addresses; null when not resolved yet. A host
  // that is an IP literal needs no resolution (check() parses it itself).
  const std::vector<SocketAddress>* destinations = nullptr;
  int64_t now = 0;  // unix seconds, for time ACLs (evaluated in local time)
};

enum class AccessResult : uint8_t {
  kAllow,
  kDeny,
  kNeedDestination,  // resolve the destination, set `destinations`, check again
  kNeedAuth,         // authenticate (or answer 407 when there are no credentials)
};

// file and rule point into the AccessRules that made the decision: valid while it lives
// (keep its shared_ptr for as long as the decision is used). Views, so that check() does
// not allocate.
struct AccessDecision {
  AccessResult result = AccessResult::kDeny;
  // The deciding http_access line (for kNeed*: the line being evaluated). When no line
  // matched, implicit is set and these name the last http_access line, whose action was
  // reversed; with no http_access line at all, file is empty and line 0.
  std::string_view file;
  int line = 0;
  bool implicit = false;
  // A deny to answer with 407, not 403 (squid): decided by a line whose last ACL is
  // proxy_auth (or proxy_auth_regex), or an implicit deny whose last evaluated ACL was one.
  bool challenge = false;
  // "http_access deny all" as written (single spaces), for the 403 page and the log.
  std::string_view rule;
};

class AccessRules {
 public:
  // Parses every acl, http_access and http_upgrade_request_protocols directive of
  // config.rules (other rule directives are left to their own layers). Errors (unknown
  // type, unknown ACL name, bad value, unreadable file) name file and line; they are
  // appended to *errors, warnings to *warnings (either may be null). Returns null when
  // there was an error. Blocking file I/O (value files): call it where parseConfigFile is.
  static std::shared_ptr<const AccessRules> build(const Config& config,
                                                  std::vector<Diagnostic>* errors,
                                                  std::vector<Diagnostic>* warnings);

  AccessDecision check(const AccessRequest& request) const;
  // Whether any rule uses proxy_auth (the proxy then reads Proxy-Authorization).
  bool usesAuth() const;
  // http_upgrade_request_protocols: may a request offering to upgrade to `protocol` (one
  // offer of its Upgrade header, "name" or "name/version") keep that offer? squid's rules:
  // the lines naming the protocol (case-sensitive; a line with a version applies only to
  // that version) or, when no line names it, the OTHER lines, are evaluated in order;
  // the first matching line decides; when none matches, the offer is dropped (no implicit
  // opposite here). An ACL that needs the destination or a verified user that the
  // request does not carry drops the offer (squid allows only fast ACLs here).
  // Without any http_upgrade_request_protocols line: websocket (any case, any version) is
  // allowed and everything else dropped (cuttle's default; squid drops everything).
  bool upgradeAllowed(std::string_view protocol, const AccessRequest& request) const;

  // never_direct / always_direct (squid), for peer selection: whether the named list
  // allows the request. First match wins; no match: the opposite of the last line; no
  // line at all: false. ACLs that would need I/O (dst before resolution, proxy_auth
  // without a verified user) count as not matching.
  bool listAllows(std::string_view directive, const AccessRequest& request) const;

  struct Impl;
  ~AccessRules();

 private:
  AccessRules();
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::conf
