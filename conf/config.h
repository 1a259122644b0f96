// cuttle's configuration: a subset of squid.conf with squid's directive names, syntax and
// units, so that administrators can carry their knowledge (and their files) over.
//
// Syntax (as squid): one directive per line, `#` starts a comment (whole line, or after
// whitespace), directives and arguments separated by whitespace, a trailing backslash
// continues a line. Units follow squid: times as "15 seconds", "2 minutes", "1 hour",
// "500 milliseconds" ("msec", "second", "minute", "hour", "day", "week" and plurals);
// sizes as "64 KB", "1 MB", "2 GB", "100 bytes". A number without a unit takes the
// directive's default unit and produces a warning, as squid does; the default units are
// squid's: seconds for times, bytes for sizes (squid's b_size_t / b_int64_t types:
// cache_mem, the *_object_size* and *_header_max_size directives...), KB for
// quick_abort_max. cache_dir's size is in MB, refresh_pattern's times in minutes (bare
// integers, as in squid).
//
// Also: `include PATTERN...` (glob(3), relative to the including file, nested at most 16
// deep), squid's `if true|false|N = M` / `else` / `endif`, quoted arguments ("a b").
//
// Squid directives cuttle does not implement, and unknown words, are warnings ("not
// supported by cuttle, ignored" / "unknown directive"), as are ignored options (http_port
// options, ACL conditions on access_log...). The cuttle extension `cuttle_strict on`,
// anywhere in the configuration, makes all of those errors.
//
// Errors and warnings name the file, the line (the first line of a continued directive)
// and the directive. All errors are collected; parsing does not stop at the first.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/socket_address.h"

namespace cuttle::conf {

using Duration = std::chrono::milliseconds;

struct Diagnostic {
  std::string file;
  int line = 0;           // 1-based; 0 when not about a line
  std::string directive;  // empty when not about a directive
  std::string message;
  // "file:line: directive: message"; ":line" is left out when line is 0, "directive: "
  // when directive is empty.
  std::string toString() const;
};

// http_port PORT | IPv4:PORT | [IPv6]:PORT [options, ignored with a warning]. Port 0 is
// accepted (the kernel picks one; meant for tests). No two may have the same address.
struct HttpPort {
  SocketAddress address;     // for "3128" alone: the IPv6 wildcard [::]:3128 (dual-stack)
  std::string text;          // as written, for messages
  bool any_address = false;  // written as a bare port
};

struct CacheDir {
  std::string type;  // the squid word as written: lmdb, ufs, aufs, rock, ...
  std::string path;
  uint64_t size_mb = 0;
};

struct AccessLogSpec {
  // The file to write, module prefix removed: "stdio:/path" (also "/path" alone) writes to
  // that file, including /dev/stdout and /dev/stderr; "daemon:/path" is accepted as stdio.
  // "access_log none" leaves Config::access_logs empty (no entry is made for it).
  std::string path;
  // squid, common, combined, referrer, useragent, icap_squid, or the name of a logformat
  // defined before the access_log line (checked). Also given as "logformat=NAME".
  std::string format = "squid";
};

struct RefreshPattern {
  bool case_insensitive = false;  // "-i"
  // Checked to compile as std::regex with std::regex::ECMAScript (plus icase for -i).
  std::string regex;
  uint64_t min_minutes = 0;
  int percent = 20;
  uint64_t max_minutes = 4320;
  std::vector<std::string> options;  // override-expire, ignore-reload, ... kept as written
  int line = 0;
};

// A directive kept verbatim for the layers that interpret it (acl, http_access, ...).
struct RawDirective {
  std::string name;
  // The arguments as written: a quoted argument keeps its quotes, since squid's acl reads
  // the values of `"/path"` from that file. For logformat: args[0] is the name and args[1]
  // the format, the rest of the line as written (squid keeps its spaces).
  std::vector<std::string> args;
  std::string file;
  int line = 0;
};

struct Config {
  std::string file;  // the top-level file read

  // Network.
  std::vector<HttpPort> http_ports;  // default: one, 3128 on all addresses
  int workers = 0;                   // 0: one per CPU core; at most 128
  // cuttle extension, "max_connections N" (N >= 1).
  uint32_t max_connections = 16384;  // client connections per process; excess are closed

  // Identity.
  std::string visible_hostname;  // default: gethostname()
  bool via = true;

  // Timeouts (squid defaults).
  Duration connect_timeout = std::chrono::minutes(1);
  Duration read_timeout = std::chrono::minutes(15);
  Duration request_timeout = std::chrono::minutes(5);
  Duration client_idle_pconn_timeout = std::chrono::minutes(2);
  Duration server_idle_pconn_timeout = std::chrono::minutes(1);
  Duration shutdown_lifetime = std::chrono::seconds(30);

  // Limits.
  uint64_t request_header_max_size = 64 * 1024;
  uint64_t reply_header_max_size = 64 * 1024;
  uint64_t request_body_max_size = 0;  // 0: unlimited
  uint64_t max_uri_length = 8192;      // cuttle extension: 414 above this (bytes, no warning)

  // DNS.
  // Accumulates over lines. Normalized: "ip" (v6 without brackets), or "ipv4:port" /
  // "[ipv6]:port" when a port was given. Empty: resolv.conf.
  std::vector<std::string> dns_nameservers;
  std::string hosts_file = "/etc/hosts";  // "none" disables
  Duration positive_dns_ttl = std::chrono::hours(6);
  Duration negative_dns_ttl = std::chrono::minutes(1);
  Duration dns_timeout = std::chrono::seconds(30);

  // Logs.
  std::vector<AccessLogSpec> access_logs;  // default: stdio:/dev/stdout; empty after "none"
  std::string cache_log = "stderr";        // cuttle's own messages; "stderr" or a path
  // Where the running process writes its pid, for `cuttle -k reconfigure|rotate|shutdown`.
  // "none" (empty): no pid file. Failing to write it is a warning, not an error.
  std::string pid_filename = "/run/cuttle.pid";
  std::vector<RawDirective> logformats;    // logformat NAME FORMAT...

  // Cache.
  // none: memory only ("cache_dir null ..." too). cuttle uses the first cache_dir; later
  // ones are ignored with a warning. Options after the size are ignored.
  std::optional<CacheDir> cache_dir;
  uint64_t cache_mem = 256ull * 1024 * 1024;
  uint64_t maximum_object_size = 4ull * 1024 * 1024;  // "none": UINT64_MAX
  uint64_t minimum_object_size = 0;
  uint64_t maximum_object_size_in_memory = 512 * 1024;
  // "none" / "-1": UINT64_MAX; ACL conditions after the size are ignored with a warning.
  // A range request whose first byte is below this fetches the whole object (when it fits
  // maximum_object_size), so that later range requests hit. squid semantics, but cuttle's
  // default is "none" (unlimited) where squid's is 0 (never): set 0 for squid's behaviour.
  uint64_t range_offset_limit = UINT64_MAX;
  uint64_t quick_abort_max = 16 * 1024;  // squid quick_abort_* semantics
  std::vector<RefreshPattern> refresh_patterns;

  // Kept for the access-rule layer, in order: acl, http_access, http_reply_access,
  // auth_param, never_direct, always_direct, cache_peer, http_upgrade_request_protocols,
  // cache, deny_info, icp_access, htcp_access, snmp_access.
  std::vector<RawDirective> rules;

  std::vector<Diagnostic> warnings;
};

struct ParseOutcome {
  std::shared_ptr<Config> config;  // null when there are errors
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
};

// Reads and validates a configuration file (and the files it includes). Blocking file I/O:
// call it before the loop starts (or off the loop). Thread-safe; no state is kept between
// calls.
ParseOutcome parseConfigFile(const std::string& path);
// Same, from text; `name` stands for the file in diagnostics. Includes are relative to the
// current directory.
ParseOutcome parseConfigText(std::string_view text, const std::string& name);

// Parsers for squid's units, shared with other layers. `default_unit` applies when `unit`
// is empty (warning about it is the caller's business). `value` is a non-negative decimal
// number, optionally with a fraction ("1.5"); the result is truncated. Units are
// case-insensitive: millisecond(s), msec, ms, second(s), minute(s), hour(s), day(s),
// week(s), fortnight(s), month(s) (30 days), year(s) (365.2522 days), decade(s); byte(s),
// KB, KByte(s), MB, MByte(s), GB, GByte(s) (powers of 1024). nullopt for a bad value, an
// unknown unit, or an overflow.
std::optional<Duration> parseDuration(std::string_view value, std::string_view unit,
                                      std::string_view default_unit);
std::optional<uint64_t> parseSize(std::string_view value, std::string_view unit,
                                  std::string_view default_unit);

}  // namespace cuttle::conf
