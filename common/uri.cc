#include "common/uri.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "common/strings.h"

namespace cuttle {
namespace {

Error badTarget(std::string why) { return Error(ErrorCode::kBadRequest, Side::kClient, std::move(why)); }

bool isRegNameChar(char c) {
  // unreserved / sub-delims / pct-encoded ('%' checked loosely) of RFC 3986 3.2.2.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("-._~!$&'()*+,;=%", c) != nullptr;
}

bool parsePort(std::string_view s, uint16_t* port) {
  auto v = parseDecimal(s);
  if (!v || *v == 0 || *v > 65535) return false;
  *port = static_cast<uint16_t>(*v);
  return true;
}

// Splits "host[:port]" (host may be "[v6]"). Port text is empty when absent.
bool splitHostPort(std::string_view authority, std::string_view* host, std::string_view* port,
                   bool* bracketed) {
  *bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    *host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      *port = rest.substr(1);  // may be empty: the default port, as below
    } else {
      *port = {};
    }
    *bracketed = true;
    return true;
  }
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    *host = authority;
    *port = {};
  } else {
    *host = authority.substr(0, colon);
    *port = authority.substr(colon + 1);
    if (port->empty()) return true;  // "host:" means the default port (RFC 3986 3.2.3)
  }
  return true;
}

}  // namespace

uint16_t defaultPort(std::string_view scheme) {
  if (iequals(scheme, "http")) return 80;
  if (iequals(scheme, "https")) return 443;
  if (iequals(scheme, "ftp")) return 21;
  return 0;
}

bool parseHost(std::string_view host, std::string* out, bool* ipv6) {
  if (*ipv6) {
    char buf[sizeof(struct in6_addr)];
    std::string tmp(host);
    // Zone ids ("%25eth0") are not routable through a proxy.
    if (inet_pton(AF_INET6, tmp.c_str(), buf) != 1) return false;
    *out = toLower(host);
    return true;
  }
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!isRegNameChar(c)) return false;
  }
  *out = toLower(host);
  return true;
}

std::string Uri::authority() const {
  std::string out;
  out.reserve(host.size() + 8);
  if (ipv6_literal) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  if (port != defaultPort(scheme)) {
    out += ':';
    appendDecimal(out, port);
  }
  return out;
}

std::string Uri::absolute() const {
  std::string out;
  out.reserve(scheme.size() + host.size() + path_and_query.size() + 10);
  out += scheme;
  out += "://";
  out += authority();
  appendOriginForm(out);
  return out;
}

void Uri::appendOriginForm(std::string& out) const {
  if (!path_and_query.empty() && path_and_query.front() == '?') out += '/';
  out += path_and_query;
}

Result<Uri> parseRequestTarget(std::string_view target, bool is_connect) {
  Uri uri;
  if (target.empty()) return badTarget("empty request-target");
  if (is_connect) {
    // authority-form: host:port, port required (RFC 9110 9.3.6).
    std::string_view host, port;
    bool bracketed;
    if (!splitHostPort(target, &host, &port, &bracketed) || port.empty()) {
      return badTarget("CONNECT target must be host:port");
    }
    uri.form = Uri::Form::kAuthority;
    uri.ipv6_literal = bracketed;
    if (!parseHost(host, &uri.host, &uri.ipv6_literal)) return badTarget("invalid host in CONNECT target");
    if (!parsePort(port, &uri.port)) return badTarget("invalid port in CONNECT target");
    return uri;
  }
  if (target == "*") {
    uri.form = Uri::Form::kAsterisk;
    uri.path_and_query = target;
    return uri;
  }
  if (target.front() == '/') {
    uri.form = Uri::Form::kOrigin;
    size_t hash = target.find('#');
    uri.path_and_query = target.substr(0, hash);
    return uri;
  }
  // absolute-form: scheme "://" authority path-abempty [ "?" query ] [ "#" fragment ]
  size_t colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0) return badTarget("request-target is not a URI");
  std::string_view scheme = target.substr(0, colon);
  // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!std::isalpha(static_cast<unsigned char>(scheme.front()))) {
    return badTarget("invalid URI scheme");
  }
  for (char c : scheme) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
      return badTarget("invalid URI scheme");
    }
  }
  std::string_view rest = target.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return badTarget("URI without an authority");
  rest.remove_prefix(2);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    // RFC 9110 4.2.4: userinfo in an http(s) URI is to be treated as an error.
    return badTarget("userinfo in URI");
  }
  uri.form = Uri::Form::kAbsolute;
  uri.scheme = toLower(scheme);
  std::string_view host, port;
  bool bracketed;
  if (!splitHostPort(authority, &host, &port, &bracketed)) return badTarget("invalid URI authority");
  uri.ipv6_literal = bracketed;
  if (!parseHost(host, &uri.host, &uri.ipv6_literal)) return badTarget("invalid host in URI");
  if (port.empty()) {
    uri.port = defaultPort(uri.scheme);
  } else if (!parsePort(port, &uri.port)) {
    return badTarget("invalid port in URI");
  }
  size_t hash = path.find('#');
  path = path.substr(0, hash);
  if (path.empty() || path.front() == '?') {
    // An empty path is sent as "/" (RFC 9112 3.2.1); appendOriginForm() adds it in front
    // of a bare query.
    uri.path_and_query = path.empty() ? std::string_view("/") : path;
  } else {
    uri.path_and_query = path;
  }
  return uri;
}

}  // namespace cuttle
