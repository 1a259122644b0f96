// Request-target parsing (RFC 9112 3.2) for a forward proxy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace cuttle {

struct Uri {
  enum class Form : uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };
  Form form = Form::kOrigin;
  std::string scheme;         // lower case: "http"; empty unless absolute-form
  std::string host;           // lower case; IPv6 literal without brackets
  uint16_t port = 0;          // explicit or the scheme's default
  bool ipv6_literal = false;
  // Views into the parsed target (valid while it is): path plus query without the fragment
  // ("/" when the absolute URI has an empty path), and the path alone.
  std::string_view path_and_query;

  // host[:port] as it belongs in a Host header: port omitted when it is the default, IPv6
  // literal in brackets.
  std::string authority() const;
  // scheme://authority/path?query: the canonical absolute URI, used for logs and cache keys.
  std::string absolute() const;
  // Appends the origin-form request-target: path_and_query, with "/" in front of a bare query.
  void appendOriginForm(std::string& out) const;
};

// Parses a request-target. Absolute-form ("http://host[:port]/path"), authority-form
// ("host:port", for CONNECT only), asterisk-form ("*", OPTIONS only) and origin-form
// ("/path"). Errors are client errors: 400 for syntax, 501 for a scheme cuttle does not
// fetch itself, 414 is checked by the caller.
Result<Uri> parseRequestTarget(std::string_view target, bool is_connect);

// Default port of a scheme (80 for http, 443 for https), 0 if unknown.
uint16_t defaultPort(std::string_view scheme);

// Validates a host (reg-name, IPv4 or bracketed IPv6 literal without brackets when
// ipv6 is true) and lower-cases it into out.
bool parseHost(std::string_view host, std::string* out, bool* ipv6);

}  // namespace cuttle
