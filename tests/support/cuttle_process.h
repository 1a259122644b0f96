// CuttleProcess: runs the built cuttle binary (CUTTLE_BINARY, or the path in the environment
// variable CUTTLE_E2E_BINARY when set) for end-to-end tests.
//
// Contract:
//   - The constructor creates a fresh temporary directory, writes the configuration there
//     (cuttle.conf) and starts `cuttle -f <dir>/cuttle.conf` with posix_spawn (safe in a
//     multi-threaded test process). The configuration is the test's text with these lines
//     put in front, each only when the text has no directive of that name:
//         http_port 127.0.0.1:0           (the kernel picks the port)
//         access_log stdio:<dir>/access.log
//         workers 1                       (deterministic: one loop, one upstream pool)
//         visible_hostname cuttle-test    (kVisibleHostname; appears in Via)
//     cache_log stays stderr: the test must not redirect it (the harness reads it).
//   - cuttle's stderr goes through a pipe read by a harness thread, kept in memory and
//     copied to <dir>/stderr.log; stdout goes to <dir>/stdout.log.
//   - The constructor waits (bounded by kStartTimeout) for "listening on ADDRESS:PORT" on
//     stderr. If cuttle exits or the time runs out, it reports a gtest failure carrying
//     stderr, and started() is false (tests should ASSERT_TRUE(proxy.started())).
//   - stop() sends SIGTERM and waits (bounded) for the exit; it returns the exit code, or
//     128+signal when cuttle died of a signal, or -1 when it had to be killed (a failure
//     is reported). kill() sends SIGKILL and reaps. The destructor kills if still running,
//     prints stderr and the access log when the test has failed, and removes the directory
//     (kept when CUTTLE_E2E_KEEP is set in the environment).
//   - Not thread-safe, except that the accessors for stderr may be called at any time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cuttle::test {

inline constexpr std::string_view kVisibleHostname = "cuttle-test";
inline constexpr std::chrono::milliseconds kStartTimeout{10000};
// Bound for stop(): generous, since draining waits for in-flight responses.
inline constexpr std::chrono::milliseconds kStopTimeout{20000};

// A fresh temporary directory, removed on destruction (unless CUTTLE_E2E_KEEP is set).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes a file under the directory; returns its path.
  std::string write(std::string_view name, std::string_view contents) const;

 private:
  std::string path_;
};

// Reads a whole file ("" when it cannot be read).
std::string readFile(const std::string& path);
// Waits (bounded by kSafetyTimeout, event-driven via inotify on the file's directory) until
// the file has at least n non-empty lines. False, with a gtest failure, on timeout.
bool waitForFileLines(const std::string& path, size_t n);

class CuttleProcess {
 public:
  explicit CuttleProcess(std::string_view config);
  ~CuttleProcess();
  CuttleProcess(const CuttleProcess&) = delete;
  CuttleProcess& operator=(const CuttleProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& configPath() const { return config_path_; }
  const std::string& configText() const { return config_text_; }

  // The harness-chosen access log (empty path when the test configured its own).
  const std::string& accessLogPath() const { return access_log_path_; }
  std::string accessLog() const;
  std::vector<std::string> accessLogLines() const;
  // Waits (bounded, event-driven via inotify) until the access log has at least n lines.
  // The log is written by a background thread in cuttle, so a line may appear after the
  // response. False (with a gtest failure) on timeout.
  bool waitForAccessLogLines(size_t n);

  std::string stderrText() const;
  // Waits (bounded) until stderr contains needle. False (with a failure) on timeout/exit.
  bool waitForStderr(std::string_view needle);

  // Sends a signal without waiting.
  void signal(int sig);
  // SIGTERM, then waits for the exit (bounded); see the contract above for the result.
  int stop();
  // Waits for the exit (bounded) without signalling.
  int wait(std::chrono::milliseconds timeout = kStopTimeout);
  void kill();

 private:
  void start();
  void readStderr(int fd);

  TempDir dir_;
  std::string config_text_;
  std::string config_path_;
  std::string access_log_path_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  uint16_t port_ = 0;
  std::thread stderr_thread_;
  mutable std::mutex mu_;
  std::condition_variable stderr_changed_;
  std::string stderr_;       // guarded by mu_
  bool stderr_eof_ = false;  // guarded by mu_
};

// The full configuration text the harness writes for `config` (see the contract above).
std::string harnessConfig(std::string_view config, const std::string& access_log_path);

// Runs cuttle with args to completion (bounded by kStopTimeout; killed after that, with a
// failure). stdout and stderr are captured separately.
struct CommandResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;
  std::string err;
};
CommandResult runCuttle(const std::vector<std::string>& args);
// `cuttle -k parse -f FILE` for a config given as text (written as is, nothing added).
CommandResult parseConfig(std::string_view config_text);

}  // namespace cuttle::test
