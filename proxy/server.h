// Server: the process. Binds the listening sockets (one per worker and port, SO_REUSEPORT),
// starts the workers, writes the pid file, and turns signals into actions on the main
// thread's loop:
//   SIGTERM, SIGINT   stop accepting, finish in-flight requests (shutdown_lifetime), exit 0
//   SIGHUP            re-read the configuration: a valid one applies to new requests, an
//                     invalid one is refused (errors logged) and the old one kept
//   SIGUSR1           reopen the log files (log rotation)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "conf/config.h"
#include "proxy/settings.h"
#include "proxy/worker.h"

namespace cuttle::proxy {

class Server {
 public:
  // `path` is re-read on SIGHUP.
  Server(std::string path, std::shared_ptr<conf::Config> config);
  ~Server();
  // Runs until a termination signal; returns the process exit code.
  int run();

 private:
  Status openListeners();
  Status startWorkers();
  static void onSignal(uv_signal_t* handle, int signum);
  static void onSampleTimer(uv_timer_t* timer);
  void shutdown();
  void reload();
  void rotate();
  void writePidFile();
  void removePidFile();

  std::string path_;
  std::shared_ptr<const conf::Config> config_;
  std::shared_ptr<const Settings> settings_;
  SharedState shared_;
  int worker_count_ = 1;
  std::vector<std::vector<int>> fds_;  // [worker][port]
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_;
  uv_signal_t signals_[4];
  uv_timer_t sample_timer_;  // /status history
  bool stopping_ = false;
  std::string pid_file_written_;
};

// Creates a listening TCP socket bound to `address` with SO_REUSEPORT (so that each worker
// can have its own), dual-stack when `any_address` is an IPv6 wildcard.
Result<int> openListeningSocket(const SocketAddress& address, bool any_address);

}  // namespace cuttle::proxy
