// UpstreamPool: idle persistent connections to origins, per worker, keyed by "host:port".
// The most recently used connection is reused first. An idle connection stays in the pool
// until server_idle_pconn_timeout, until the origin closes it or sends anything, or until
// the pool is closed. Thread: the worker's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/metrics.h"

namespace cuttle::proxy {

class UpstreamConnection;

class UpstreamPool {
 public:
  // Enough for every client connection of a busy worker to find its origin connection again
  // (with 64, 500 clients of one origin closed and reopened most connections on every burst:
  // a third of the throughput and ten times the p99). Squid and Traffic Server keep an
  // unbounded number; an idle connection costs about 2 KiB here, and the idle timeout and
  // the origin's own limits still close them.
  static constexpr size_t kMaxIdlePerOrigin = 1024;

  // An idle connection to key, now owned by the caller, or nullptr.
  UpstreamConnection* take(std::string_view key);
  // Called by a connection that becomes idle. Returns false if the pool is full or closed
  // (the connection then closes itself).
  bool put(UpstreamConnection* c);
  // Called by an idle connection that closes itself.
  void remove(UpstreamConnection* c);
  // Closes every idle connection; later put()s are refused.
  void closeAll();
  size_t idleCount() const { return idle_count_; }
  // A gauge kept equal to idleCount(), for the metrics.
  void setIdleGauge(Counter* gauge) { gauge_ = gauge; }

 private:
  std::unordered_map<std::string, std::vector<UpstreamConnection*>> idle_;
  size_t idle_count_ = 0;
  bool closed_ = false;
  Counter* gauge_ = nullptr;
};

}  // namespace cuttle::proxy
