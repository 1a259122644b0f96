// AccessLog: one line per request, in squid's native format by default, in the other
// built-in formats (common, combined, referrer, useragent), or in a format of squid's
// `logformat` directive, so that existing log tools read it.
//
// Workers format lines and append them to a shared buffer under a short lock; a writer
// thread writes the buffer to the files. The event loops never wait for the disk: when the
// disk falls behind by more than kMaxBuffered bytes, lines are dropped and counted.
// reopen() (log rotation) is safe from any thread.
//
// Formats are compiled once, when the log is opened (LogFormat): a request only walks the
// compiled tokens.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/header_list.h"
#include "common/socket_address.h"
#include "conf/config.h"

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

class AccessLog {
 public:
  static constexpr size_t kMaxBuffered = 8 * 1024 * 1024;

  // Opens every configured log; an empty list (access_log none) gives a log that drops
  // everything cheaply. Each spec's format is a built-in name or the name of one of
  // `logformats` (conf's RawDirective: args[0] the name, args[1] the specification), which
  // win over built-ins of the same name. Every logformat is compiled, used or not. Errors
  // name the file that cannot be opened, or list each bad logformat as file:line (the
  // first line "invalid logformat"). Warnings (may be null) get the codes logged as "-".
  static Result<std::unique_ptr<AccessLog>> open(
      const std::vector<conf::AccessLogSpec>& specs,
      const std::vector<conf::RawDirective>& logformats = {},
      std::vector<conf::Diagnostic>* warnings = nullptr);
  // What open() checks of the formats, without opening anything (cuttle -k parse). Appends
  // a diagnostic per bad logformat (file, line, "logformat") to errors and per code logged
  // as "-" to warnings; false when there are errors.
  static bool checkFormats(const conf::Config& config, std::vector<conf::Diagnostic>* errors,
                           std::vector<conf::Diagnostic>* warnings);
  ~AccessLog();

  bool enabled() const { return !outputs_.empty(); }
  void write(const AccessRecord& record);
  void reopen();
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Waits until everything buffered so far is written (tests, shutdown).
  void flush();

  // The formatters, for tests.
  static void formatSquid(const AccessRecord& r, std::string& out);
  static void formatCommon(const AccessRecord& r, bool combined, std::string& out);

 private:
  struct Output {
    Output(std::string p, LogFormat f) : path(std::move(p)), format(std::move(f)) {}
    std::string path;
    LogFormat format;
    int fd = -1;
    std::string buffer;  // guarded by mutex_
  };
  AccessLog() = default;
  void run();

  std::vector<std::unique_ptr<Output>> outputs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  bool stop_ = false;
  bool reopen_ = false;
  uint64_t generation_ = 0;  // lines appended
  uint64_t written_generation_ = 0;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace cuttle::proxy
