// Where a request goes: straight to the origin or through parent proxies (cache_peer), in
// the order to try (squid's peer selection, pure).
//
//   always_direct matches      -> direct only
//   hierarchical (GET, HEAD)   -> carp parents (consistent hashing of the URL: weighted
//                                 rendezvous), then the other parents in config order,
//                                 then the default parents, then direct
//   other methods              -> direct first (squid's nonhierarchical_direct), then the
//                                 parents
//   never_direct matches       -> parents only
// Parents currently out of rotation (too many failed connects) go after the healthy ones.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "common/message.h"
#include "conf/peers.h"

namespace cuttle::proxy {

struct Route {
  const conf::CachePeer* peer = nullptr;  // null: the origin itself
  std::string_view hierarchy = "HIER_DIRECT";  // squid's code for the access log
};

struct PeerSelection {
  const std::vector<conf::CachePeer>* peers = nullptr;
  std::string_view url;
  Method method = Method::kGet;
  bool never_direct = false;
  bool always_direct = false;
  std::function<bool(const conf::CachePeer&)> healthy;  // null: all healthy
};

std::vector<Route> selectRoutes(const PeerSelection& in);

// The CARP score of a peer for a URL (higher wins); stable across processes and hosts, so
// that every cuttle in a hierarchy picks the same parent for a URL.
double carpScore(std::string_view url, const conf::CachePeer& peer);

// Failed connects per peer, to take a failing parent out of rotation for a while. One per
// worker; thread: the worker's.
class PeerHealth {
 public:
  static constexpr uint64_t kDownMs = 30000;
  bool healthy(const conf::CachePeer& peer, uint64_t now_ms) const;
  void failed(const conf::CachePeer& peer, uint64_t now_ms);
  void succeeded(const conf::CachePeer& peer);

 private:
  struct State {
    int failures = 0;
    uint64_t down_until = 0;
  };
  std::vector<std::pair<std::string, State>> states_;
  State* find(const std::string& name);
  const State* find(const std::string& name) const;
};

}  // namespace cuttle::proxy
