// AccessLog: one line per request, in squid's native format by default (also "common" and
// "combined"), so that existing log tools read it.
//
// Workers format lines and append them to a shared buffer under a short lock; a writer
// thread writes the buffer to the files. The event loops never wait for the disk: when the
// disk falls behind by more than kMaxBuffered bytes, lines are dropped and counted.
// reopen() (log rotation) is safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/socket_address.h"
#include "conf/config.h"

namespace cuttle::proxy {

struct AccessRecord {
  int64_t start_ms = 0;       // wall clock, ms since the epoch
  uint64_t elapsed_ms = 0;
  SocketAddress client;
  std::string_view result = "TCP_MISS";  // squid result code
  int status = 0;
  uint64_t bytes_sent = 0;    // to the client, head and body
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
};

class AccessLog {
 public:
  static constexpr size_t kMaxBuffered = 8 * 1024 * 1024;

  // Opens every configured log; an empty list (access_log none) gives a log that drops
  // everything cheaply. Errors name the file.
  static Result<std::unique_ptr<AccessLog>> open(const std::vector<conf::AccessLogSpec>& specs);
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
    std::string path;
    std::string format;
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
  uint64_t generation_ = 0;     // lines appended
  uint64_t written_generation_ = 0;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace cuttle::proxy
