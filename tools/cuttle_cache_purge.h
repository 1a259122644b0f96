// Purging through the running proxy: cuttle-cache never writes the LMDB store itself (only
// the proxy's writer thread does, see cache/store.h). It sends
//   PURGE <url> HTTP/1.1
// to the proxy's http_port, which cuttle answers from localhost only: 200 when something
// was stored for the URL, 404 when nothing was.
//
// Blocking sockets with timeouts: this is a command-line tool, not the proxy's loop.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/socket_address.h"
#include "conf/config.h"

namespace cuttle::tools {

inline constexpr std::chrono::seconds kPurgeTimeout{10};

// Where to reach the proxy from this host, in the order to try: for each http_port of
// the configuration, its address, or the loopback address when it listens on a wildcard
// address (IPv6 wildcard: ::1, then 127.0.0.1 for a dual-stack socket). Ports configured
// as 0 (kernel-chosen) cannot be reached and are left out.
std::vector<SocketAddress> proxyAddresses(const conf::Config& config);

struct PurgeReply {
  int status = 0;  // 200 purged, 404 not in the cache, 403 refused (not from localhost), ...
  std::string body;
  SocketAddress proxy;  // the address that answered
};

// Sends one PURGE for `url` (an absolute http URL) to the first address in `proxies` that
// accepts a connection. Errors: kConnectFailed when none accepts (the proxy is not
// running there), kInvalidArgument for a URL that is not absolute, kIo / kUpstreamTimeout
// for a connection that fails or stays silent past kPurgeTimeout, kBadResponse for an
// answer that is not HTTP.
Result<PurgeReply> sendPurge(const std::vector<SocketAddress>& proxies, const std::string& url);

}  // namespace cuttle::tools
