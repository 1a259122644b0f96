// Tunnel: relays bytes both ways between a client and an origin after CONNECT (and, later,
// after a 101 Switching Protocols), with backpressure each way, half-close (each side's EOF
// becomes a FIN on the other), and an idle timeout (read_timeout, over both directions).
// Logged once at the end with the bytes each way and the duration.
//
// Owned by its ClientConnection like an Exchange; destroyed through the deferred queue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/deferred.h"
#include "proxy/access_log.h"
#include "proxy/upstream_connection.h"

namespace cuttle::proxy {

class ClientConnection;
class Worker;

class Tunnel final : public Deferrable, private UpstreamConnection::Listener {
 public:
  struct LogInfo {
    int64_t start_wall_ms = 0;
    uint64_t start_tick_ms = 0;
    std::string method;
    std::string url;
    std::string peer;
    std::string host;
    uint64_t bytes_to_client = 0;  // the 200 or 101 response already sent
    uint64_t bytes_from_client = 0;
    std::string_view result = "TCP_TUNNEL";  // TCP_MISS for an Upgrade
    std::string_view hierarchy = "HIER_DIRECT";  // static strings only
    int status = 200;
  };

  Tunnel(ClientConnection& client, UpstreamConnection* upstream, LogInfo info);
  ~Tunnel() override;

  // Starts relaying: `from_client` are bytes the client sent after its request,
  // `from_origin` bytes the origin sent after its response.
  void start(std::string from_client, std::string from_origin);
  void onClientData(std::string_view data);
  void onClientEof();
  void onClientDrained();
  // The client connection is closing.
  void abort();

 private:
  void maybeDone();
  void log();
  void onUpstreamConnected() override {}
  void onUpstreamHead(ResponseHead&, const BodyFraming&) override {}
  void onUpstreamBody(std::string_view data) override;
  void onUpstreamReadDone() override;
  void onUpstreamComplete(HeaderList&&) override {}
  void onUpstreamError(const Error& error, bool retryable) override;
  void onUpstreamDrained() override;
  void onUpstreamTunnelEof() override;

  ClientConnection* client_;
  Worker& worker_;
  UpstreamConnection* upstream_;
  LogInfo info_;
  bool client_eof_ = false;
  bool origin_eof_ = false;
  bool logged_ = false;
};

}  // namespace cuttle::proxy
