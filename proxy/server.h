// Server: the process. Binds the listening sockets (one per worker and port, SO_REUSEPORT),
// starts the workers, and turns signals into actions on the main thread's loop:
// SIGTERM/SIGINT drain and exit 0.
#pragma once

#include <memory>
#include <vector>

#include "common/error.h"
#include "conf/config.h"
#include "proxy/worker.h"

namespace cuttle::proxy {

class Server {
 public:
  explicit Server(std::shared_ptr<conf::Config> config);
  ~Server();
  // Runs until a termination signal; returns the process exit code.
  int run();

 private:
  Status openListeners();
  Status startWorkers();
  static void onSignal(uv_signal_t* handle, int signum);
  void shutdown();

  SharedState shared_;
  int worker_count_ = 1;
  std::vector<std::vector<int>> fds_;  // [worker][port]
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  bool stopping_ = false;
};

// Creates a listening TCP socket bound to `address` with SO_REUSEPORT (so that each worker
// can have its own), dual-stack when `any_address` is an IPv6 wildcard.
Result<int> openListeningSocket(const SocketAddress& address, bool any_address);

}  // namespace cuttle::proxy
