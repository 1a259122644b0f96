// AccessLog: one line per request, in squid's native format by default, in the other
// built-in formats (common, combined, referrer, useragent), or in a format of squid's
// `logformat` directive, so that existing log tools read it.
//
// Workers format lines and append them to a shared buffer under a short lock; a writer
// thread writes the buffer to the files. The event loops never wait for the disk: when the
// disk falls behind by more than kMaxBuffered bytes, lines are dropped and counted.
// reopen() (log rotation) is safe from any thread.
//
// Formats are compiled once, when the log is opened (proxy/log_format.h).
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
#include "conf/config.h"
#include "proxy/log_format.h"

namespace cuttle::proxy {

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

  // Whether some format logs response header fields (%{Name}<h): only then do exchanges
  // keep a copy of them.
  bool wantsResponseHeaders() const { return wants_response_headers_; }
  // The formatters, for tests.
  static void formatSquid(const AccessRecord& r, std::string& out) { proxy::formatSquid(r, out); }
  static void formatCommon(const AccessRecord& r, bool combined, std::string& out) {
    proxy::formatCommon(r, combined, out);
  }

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
  bool wants_response_headers_ = false;
  std::thread thread_;
};

}  // namespace cuttle::proxy
