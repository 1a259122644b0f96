// cache_peer (squid): parent proxies cuttle may forward through.
//
//   cache_peer HOST parent HTTP_PORT ICP_PORT [options]
//
// Options: default (last-resort parent), carp (consistent hashing of URLs among the carp
// parents), weight=N, name=NAME, no-query and no-digest (cuttle never queries peers:
// accepted), proxy-only (objects fetched through the peer are not cached), login=USER:PASS
// (Basic credentials sent to the peer) or login=PASS (the client's own Proxy-Authorization
// passed on), connect-timeout=SECONDS, connect-fail-limit=N (failures before the peer is
// taken out of rotation for a while). Siblings and multicast peers need ICP/HTCP, which
// cuttle does not speak: they are reported and ignored. Other options: warning, ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"

namespace cuttle::conf {

struct CachePeer {
  std::string host;
  uint16_t http_port = 0;
  std::string name;  // name= or the host; unique
  bool default_parent = false;
  bool carp = false;
  bool proxy_only = false;
  int weight = 1;
  std::string login;  // "user:pass", "PASS", or empty
  std::chrono::milliseconds connect_timeout{0};  // 0: connect_timeout
  int connect_fail_limit = 10;
  std::string file;
  int line = 0;
};

// The parents of config.rules' cache_peer lines, in order. Errors name file and line.
std::shared_ptr<const std::vector<CachePeer>> parseCachePeers(const Config& config,
                                                              std::vector<Diagnostic>* errors,
                                                              std::vector<Diagnostic>* warnings);

}  // namespace cuttle::conf
