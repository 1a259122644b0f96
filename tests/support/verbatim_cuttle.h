// VerbatimCuttle: runs the built cuttle binary on a configuration written exactly as the
// test gives it, for the few end-to-end tests that must control every line (CuttleProcess
// adds defaults, among them "http_access allow all" when the text has no http_access line,
// which makes squid's "no http_access line at all" case impossible to test through it).
//
// Contract:
//   - The constructor writes `config` unchanged to <dir>/cuttle.conf (dir: a fresh
//     TempDir) and starts `cuttle -f` on it with posix_spawn. The text must make cuttle
//     listen on 127.0.0.1:0 (http_port) and say where the access log goes; nothing is added.
//   - cuttle's stderr is read by a harness thread and kept in memory; the constructor waits
//     (bounded by kStartTimeout) for "listening on ADDRESS:PORT". On failure a gtest failure
//     carrying stderr is reported and started() is false.
//   - The destructor sends SIGKILL, reaps the process, joins the thread and prints stderr
//     when the test has failed. Not thread-safe, except stderrText().
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "tests/support/cuttle_process.h"

namespace cuttle::test {

class VerbatimCuttle {
 public:
  explicit VerbatimCuttle(std::string_view config);
  ~VerbatimCuttle();
  VerbatimCuttle(const VerbatimCuttle&) = delete;
  VerbatimCuttle& operator=(const VerbatimCuttle&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& configPath() const { return config_path_; }
  std::string stderrText() const;

 private:
  void readStderr(int fd);

  TempDir dir_;
  std::string config_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::thread stderr_thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string stderr_;  // guarded by mu_
  bool eof_ = false;    // guarded by mu_
};

}  // namespace cuttle::test
