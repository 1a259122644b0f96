// cuttle's configuration: a subset of squid.conf with squid's directive names, syntax and
// units, so that administrators can carry their knowledge (and their files) over.
//
// Syntax (as squid): one directive per line, `#` starts a comment (whole line, or after
// whitespace), directives and arguments separated by whitespace, a trailing backslash
// continues a line. Units follow squid: times as "15 seconds", "2 minutes", "1 hour",
// "500 milliseconds" ("msec", "second", "minute", "hour", "day", "week" and plurals);
// sizes as "64 KB", "1 MB", "2 GB", "100 bytes". A number without a unit takes the
// directive's default unit (seconds for timeouts, KB for header sizes, MB for cache sizes)
// and produces a warning, as squid does.
//
// Errors and warnings name the file, the line and the directive.
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
  int line = 0;             // 1-based; 0 when not about a line
  std::string directive;    // empty when not about a directive
  std::string message;
  // "file:line: directive: message"
  std::string toString() const;
};

struct HttpPort {
  SocketAddress address;  // for "3128" alone: the IPv6 wildcard [::]:3128 (dual-stack)
  std::string text;       // as written, for messages
  bool any_address = false;  // written as a bare port
};

struct CacheDir {
  std::string type;  // the squid word as written: lmdb, ufs, aufs, rock, ...
  std::string path;
  uint64_t size_mb = 0;
};

struct AccessLogSpec {
  // "none" disables logging; "stdio:/path" (also "/path" alone) writes to that file,
  // including /dev/stdout and /dev/stderr; "daemon:/path" is accepted as stdio.
  std::string path;
  std::string format = "squid";  // squid, common, combined, or a logformat name
};

struct RefreshPattern {
  bool case_insensitive = false;  // "-i"
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
  std::vector<std::string> args;
  std::string file;
  int line = 0;
};

struct Config {
  std::string file;  // the top-level file read

  // Network.
  std::vector<HttpPort> http_ports;  // default: one, 3128 on all addresses
  int workers = 0;                   // 0: one per CPU core
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
  uint64_t max_uri_length = 8192;      // cuttle extension: 414 above this

  // DNS.
  std::vector<std::string> dns_nameservers;  // "ip" or "ip:port" / "[ipv6]:port"; empty: resolv.conf
  std::string hosts_file = "/etc/hosts";     // "none" disables
  Duration positive_dns_ttl = std::chrono::hours(6);
  Duration negative_dns_ttl = std::chrono::minutes(1);
  Duration dns_timeout = std::chrono::seconds(30);

  // Logs.
  std::vector<AccessLogSpec> access_logs;  // default: stdio:/dev/stdout; empty after "none"
  std::string cache_log = "stderr";        // cuttle's own messages; "stderr" or a path
  std::vector<RawDirective> logformats;    // logformat NAME FORMAT...

  // Cache.
  std::optional<CacheDir> cache_dir;  // none: memory only
  uint64_t cache_mem = 256ull * 1024 * 1024;
  uint64_t maximum_object_size = 4ull * 1024 * 1024;
  uint64_t minimum_object_size = 0;
  uint64_t maximum_object_size_in_memory = 512 * 1024;
  uint64_t range_offset_limit = 0;  // squid: fetch whole objects for ranges up to this size
  uint64_t quick_abort_max = 16 * 1024;  // squid quick_abort_* semantics
  std::vector<RefreshPattern> refresh_patterns;

  // Kept for the access-rule layer: acl, http_access, and the like, in order.
  std::vector<RawDirective> rules;

  std::vector<Diagnostic> warnings;
};

struct ParseOutcome {
  std::shared_ptr<Config> config;  // null when there are errors
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
};

// Reads and validates a configuration file (and the files it includes).
ParseOutcome parseConfigFile(const std::string& path);
// Same, from text; `name` stands for the file in diagnostics. Includes are relative to the
// current directory.
ParseOutcome parseConfigText(std::string_view text, const std::string& name);

// Parsers for squid's units, shared with other layers. `default_unit` applies when the
// text has no unit.
std::optional<Duration> parseDuration(std::string_view value, std::string_view unit,
                                      std::string_view default_unit);
std::optional<uint64_t> parseSize(std::string_view value, std::string_view unit,
                                  std::string_view default_unit);

}  // namespace cuttle::conf
