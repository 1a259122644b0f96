// LogFormat: one access-log line from an AccessRecord, in squid's native format, the other
// built-in formats (common, combined, referrer, useragent) or a format of squid's
// `logformat` directive, compiled once (compile()) so that a request only walks the
// compiled tokens. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/header_list.h"
#include "common/socket_address.h"

namespace cuttle::proxy {

struct AccessRecord {
  int64_t start_ms = 0;  // wall clock, ms since the epoch
  uint64_t elapsed_ms = 0;
  SocketAddress client;
  std::string_view result = "TCP_MISS";  // squid result code
  int status = 0;
  uint64_t bytes_sent = 0;      // to the client, head and body
  uint64_t bytes_received = 0;  // from the client
  std::string_view method;
  std::string_view url;
  std::string_view user = "-";
  std::string_view hierarchy = "HIER_NONE";
  std::string peer = "-";
  std::string_view content_type;
  std::string_view referer;
  std::string_view user_agent;
  std::string_view trace;  // Cuttle-Trace requests only: appended to the line
  // For logformat codes (all optional; "-" is logged for what is unknown):
  SocketAddress local;        // %la: the address the client connected to; empty: unknown
  uint16_t local_port = 0;    // %lp: the port the client connected to; 0: unknown
  int upstream_status = 0;    // %<Hs: the status the origin sent; 0: no origin response
  uint8_t version_major = 0;  // %rv: the request's HTTP version; 0.0: unknown
  uint8_t version_minor = 0;
  // %{Name}>h and %{Name}<h. Borrowed: must stay valid during write(), which copies what
  // it needs. Without request headers, %{Referer}>h and %{User-Agent}>h use the fields above.
  const HeaderList* request_headers = nullptr;
  const HeaderList* response_headers = nullptr;
};

// A compiled log format: squid's built-in native line, common/combined, or a `logformat`
// specification cut into literal text and % codes. Immutable once built: format() may run
// on any number of threads at once.
//
// Codes (squid 5 names and meanings; times are the request's start, as in the native line):
//   %%  %>a %>A %>p %la %lp %>la %>lp %<a %<A  %ts %tu %tl %tg %tr %tS
//   %>Hs %Hs %<Hs %<st %>st %st %rm %>rm %ru %>ru %rp %>rp %rv %>rv %un %ul %Ss %Sh %mt
//   %>h %{Name}>h %{Name:[sep]element}>h %<h %{Name}<h  (also with an http:: prefix)
// Modifiers, squid's `% [encoding] [-] [[0]width] [.precision] [{arg}] code [{arg}]`:
//   encoding " (\-escapes " and \, CR LF TAB as \r \n \t), [ (squid's %-encoding), #
//   (URL encoding), / (shell-like quoting), ' (as is); without one, header values and user
//   names get squid's pass-through URL encoding and the rest is written as is.
//   - left aligns, a width pads (with zeros for numbers when it starts with 0), .precision
//   truncates strings and gives %tr and %tS that many decimals.
// An empty value is logged as "-". Codes squid knows but cuttle does not record (%<p, %sn,
// %err_code, ssl::..., and the like) are logged as "-" with a warning; anything else is an
// error.
class LogFormat {
 public:
  // Whether a %{Name}<h code reads the response's header fields.
  bool usesResponseHeaders() const;
  // The built-in formats by name: squid, common, combined, referrer, useragent (and
  // icap_squid, written as squid). nullopt for other names.
  static std::optional<LogFormat> builtin(std::string_view name);
  // Compiles a logformat specification. The error names the first bad code; `warnings`
  // (may be null) receives one message per code logged as "-".
  static Result<LogFormat> compile(std::string_view spec, std::vector<std::string>* warnings);

  // Appends one line, with its newline.
  void format(const AccessRecord& r, std::string& out) const;

  // One piece of a compiled specification (public for access_log.cc's helpers only).
  struct Token {
    uint8_t code = 0;   // an entry of access_log.cc's code table; 0: literal text
    char encoding = 0;  // one of " [ # / ' ; 0: the code's default
    bool left = false;
    bool zero = false;
    int width = -1;        // -1: none
    int precision = -1;    // -1: none
    std::string text;      // the literal text, or the {arg}: header name, strftime format
    std::string element;   // %{Name:element}>h: the list member to log; empty: the value
    char separator = ',';  // between list members
  };

 private:
  enum class Kind : uint8_t { kSquid, kCommon, kCombined, kTokens };
  LogFormat() = default;
  void formatTokens(const AccessRecord& r, std::string& out) const;

  Kind kind_ = Kind::kTokens;
  std::vector<Token> tokens_;
};

// The built-in formatters (also used by LogFormat).
void formatSquid(const AccessRecord& r, std::string& out);
void formatCommon(const AccessRecord& r, bool combined, std::string& out);

}  // namespace cuttle::proxy
