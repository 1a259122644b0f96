// Proxy authentication: squid's `auth_param basic ...` (RFC 7617 Basic credentials in
// Proxy-Authorization), checked against an htpasswd file or by squid-style helper
// programs, without blocking the worker's loop. A self-contained module: the exchange
// asks an Authenticator, and answers 407 with challenge() when the answer is no.
//
// Pieces:
//   - BasicAuthConfig / parseAuthConfig(): the auth_param lines of a configuration.
//   - PasswordFile (proxy/htpasswd.h): the password file, loaded once per configuration
//     (a reload loads it again), immutable, shared by every worker. Hash formats: bcrypt,
//     SHA-crypt, MD5-crypt, yescrypt, DES through libxcrypt; APR1-MD5 by proxy/md5.h.
//     Plain-text passwords are NOT accepted.
//   - AuthHelperPool (proxy/auth_helper_pool.h): squid's helper protocol for any other
//     `auth_param basic program`.
//   - Authenticator: one per worker loop; decodes the field, caches verdicts, runs the
//     slow part off the loop (libuv's thread pool for the file, child processes for
//     helpers).
//
// A reload makes a new BasicAuthConfig, PasswordFile and, in each worker, a new
// Authenticator (close the old one): cached verdicts go with the old one, so a user removed
// from the file is refused from the reload on.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "conf/config.h"
#include "proxy/htpasswd.h"

namespace cuttle::proxy {

// squid's `auth_param basic ...` (RFC 7617 Basic).
struct BasicAuthConfig {
  // At least one `auth_param basic` line (with a program or file).
  bool enabled = false;
  // auth_param basic realm TEXT...: the rest of the line, words joined by one space; one
  // quoted argument ("...") loses its quotes (squid's parse_eol).
  std::string realm = "cuttle";
  // auth_param basic credentialsttl N [unit] (squid's default unit: seconds; default 2 h):
  // how long a verified user/password pair is believed without asking again.
  std::chrono::seconds credentials_ttl{std::chrono::hours(2)};
  // Not in squid.conf: how long a rejected pair is remembered (capped by credentials_ttl),
  // so that a client repeating a wrong password does not cost a bcrypt run each time.
  std::chrono::seconds failure_ttl{5};
  // auth_param basic casesensitive on|off (squid's default: off). Off: user names are
  // folded to lower case before anything else (squid does so), for the helper, the
  // cache, the access log and proxy_auth ACLs; the password file is then searched
  // case-insensitively.
  bool case_sensitive = false;
  // auth_param basic children N [startup=N] [idle=N] [concurrency=N] [queue-size=N]:
  // helpers run at most N processes, started on demand (startup= and idle= are accepted
  // and not used); concurrency= > 0 uses squid's channel-id protocol; queue-size= bounds
  // the lookups waiting for a helper (default 1024).
  int children = 5;
  int concurrency = 0;
  size_t queue_size = 1024;
  // `auth_param basic program /any/path/basic_ncsa_auth FILE` (any program whose name is
  // basic_ncsa_auth, or ncsa_auth as squid 3.1 called it) and the cuttle extension
  // `auth_param basic file FILE`: cuttle reads the htpasswd file itself, no child process.
  // A relative FILE is relative to the directory of the configuration file naming it.
  std::string password_file;
  // Any other `auth_param basic program PATH [ARGS...]`: argv, run as squid's helper
  // protocol (PATH without '/' is looked up in PATH). Quotes around an argument are removed.
  std::vector<std::string> program;
  // The auth_param line that named the program or file, for messages.
  std::string source_file;
  int source_line = 0;
};

// From Config::rules (RawDirective "auth_param", args as written). Errors name file:line
// and the directive: a basic line with no program (or file) anywhere, a bad number or
// time, an empty realm, a password file that cannot be opened for reading, a program path
// that is not executable. Warnings: other schemes (digest, ntlm, negotiate: only basic is
// supported; those lines are ignored), parameters cuttle ignores (utf8, key_extras,
// keep_alive, unknown children= options, unknown parameters), a time without unit, a
// parameter given twice (the last wins). Returns null when there was an error; without any
// auth_param basic line, a config with enabled == false. Blocking (checks files): call it
// where the configuration is read. errors and warnings may be null.
std::shared_ptr<const BasicAuthConfig> parseAuthConfig(const conf::Config& config,
                                                       std::vector<conf::Diagnostic>* errors,
                                                       std::vector<conf::Diagnostic>* warnings);

// parseAuthConfig() and, when the config names a password file, PasswordFile::load():
// what a configuration load (or reload) needs. A file that cannot be read is an error
// naming the auth_param line; skipped lines of the file are one warning (with the first
// problems), a file without any usable entry another. On error both are null.
struct AuthSetup {
  std::shared_ptr<const BasicAuthConfig> config;
  std::shared_ptr<const PasswordFile> file;  // null unless config->password_file is set
};
AuthSetup loadAuthSetup(const conf::Config& config, std::vector<conf::Diagnostic>* errors,
                        std::vector<conf::Diagnostic>* warnings);

// RFC 7617 2: the credentials of a Proxy-Authorization field value.
struct BasicCredentials {
  std::string user;
  std::string password;
};
// Accepts "Basic" in any case, one or more blanks, then base64 (RFC 4648 alphabet,
// padding optional) of "user:password" (split at the first ':'). Errors (kBadRequest,
// Side::kClient) say why: another scheme, missing or bad base64, no ':', an empty user,
// control characters, more than 8 KB.
Result<BasicCredentials> parseBasicCredentials(std::string_view field_value);
// The Proxy-Authenticate field value: `Basic realm="REALM"` (quotes and backslashes of the
// realm escaped, control characters dropped).
std::string basicChallenge(std::string_view realm);

// One per worker loop.
//
// Contract:
//   - Thread: every method on the loop's thread. Password verification runs on libuv's
//     thread pool (uv_queue_work), helpers in child processes: the loop never waits.
//   - check() never calls its callback before it returns, even for a malformed field or a
//     cached answer (those arrive on the next loop turn). The returned Check cancels the
//     callback when destroyed; a callback never runs after its Check is gone. A
//     verification already running goes on (its verdict is still cached).
//   - Verdicts are cached per (user, password) for credentials_ttl (success) or
//     min(failure_ttl, credentials_ttl) (rejection), at most kMaxCacheEntries (least
//     recently used first out); concurrent checks of one pair share one verification.
//     Malformed fields and helper failures (BH, crash, overload) are not cached.
//   - The callback may call check(), destroy any Check, and close(), not destroy the
//     Authenticator.
//   - close() is idempotent: helpers are told to exit, work not yet started on the thread
//     pool is cancelled, pending checks are dropped WITHOUT callbacks, Checks are detached.
//     After close(), check() returns a Check that never calls back. The Authenticator may
//     be destroyed once the loop has run what close() started (uv_run until the loop has
//     nothing left of it: the idle handle, thread-pool work, helper processes); destroying
//     it earlier is a bug (asserted).
//   - A Check may outlive its Authenticator: delivery and close() detach it.
class Authenticator {
 public:
  struct Outcome {
    bool ok = false;
    // The user name as decoded (lower case unless case_sensitive) whenever the field could
    // be decoded, also when ok is false: for the access log.
    std::string user;
    // Why not, when ok is false: "malformed credentials: ...", "wrong user name or
    // password", "authentication helper: ...". Empty when ok.
    std::string reason;
  };
  using Callback = std::function<void(Outcome)>;

  // Cancels a pending check when destroyed (or when cancel() is called). Movable.
  class Check {
   public:
    Check() = default;
    Check(Check&& other) noexcept;
    Check& operator=(Check&& other) noexcept;
    Check(const Check&) = delete;
    Check& operator=(const Check&) = delete;
    ~Check();
    void cancel();
    bool pending() const;

   private:
    friend class Authenticator;
    Check(Authenticator* authenticator, uint64_t id);
    Authenticator* authenticator_ = nullptr;  // null once delivered, cancelled or closed
    uint64_t id_ = 0;
  };

  struct Stats {
    uint64_t checks = 0;         // check() calls
    uint64_t cache_hits = 0;     // answered from the verdict cache
    uint64_t verifications = 0;  // password-file verifications or helper lookups started
    uint64_t shared = 0;         // checks that joined a verification already running
    uint64_t malformed = 0;      // fields that could not be decoded
  };

  static constexpr size_t kMaxCacheEntries = 65536;
  // Password-file verifications queued or running on the thread pool, per Authenticator.
  // Beyond, a check that needs one fails at once ("too many password verifications in
  // progress", not cached). libuv's pool is process-wide (UV_THREADPOOL_SIZE threads,
  // 4 by default): that is how many bcrypt runs proceed at once.
  static constexpr size_t kMaxVerifications = 256;

  // file: the loaded password file when config->password_file is set (checks fail with
  // "no password file" when it is null), ignored otherwise. A config that is not enabled
  // makes every check fail ("proxy authentication is not configured"). now_ms: the clock
  // for cache expiry in milliseconds; default uv_now(loop). Tests inject one.
  static std::unique_ptr<Authenticator> create(uv_loop_t* loop,
                                               std::shared_ptr<const BasicAuthConfig> config,
                                               std::shared_ptr<const PasswordFile> file,
                                               std::function<uint64_t()> now_ms = {});
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  ~Authenticator();

  // Verifies a Proxy-Authorization field value ("Basic base64(user:password)").
  [[nodiscard]] Check check(std::string_view proxy_authorization, Callback callback);

  std::string_view realm() const;
  // basicChallenge(realm()), computed once.
  std::string_view challenge() const;
  const Stats& stats() const;
  // Helper processes not yet gone (0 in file mode).
  size_t helperProcesses() const;

  void close();
  // close() was called and the loop has run everything it started: safe to destroy.
  bool finishedClosing() const;

 private:
  struct Impl;
  Authenticator() = default;
  void cancel(uint64_t id);
  bool isPending(uint64_t id) const;
  void rebind(uint64_t id, Check* owner);
  static void detach(Check* check) { check->authenticator_ = nullptr; }
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::proxy
