#include "proxy/tunnel.h"

#include "proxy/client_connection.h"
#include "proxy/worker.h"

namespace cuttle::proxy {

Tunnel::Tunnel(ClientConnection& client, UpstreamConnection* upstream, LogInfo info)
    : client_(&client), worker_(client.worker()), upstream_(upstream), info_(std::move(info)) {
  worker_.metrics().tunnels_open.add();
}

Tunnel::~Tunnel() {
  worker_.metrics().tunnels_open.sub();
  if (upstream_ != nullptr) upstream_->close();
}

void Tunnel::start(std::string from_client, std::string from_origin) {
  std::string leftover = upstream_->startTunnel(this);
  from_origin += leftover;
  if (!from_origin.empty()) onUpstreamBody(from_origin);
  if (!from_client.empty() && client_ != nullptr) onClientData(from_client);
  if (client_ != nullptr) client_->flush();
}

void Tunnel::onClientData(std::string_view data) {
  if (upstream_ == nullptr) return;
  info_.bytes_from_client += data.size();
  upstream_->sendThrough(data);
  if (upstream_ != nullptr && upstream_->sendAboveHighWatermark() && client_ != nullptr) {
    client_->pauseReading();
  }
}

void Tunnel::onClientEof() {
  client_eof_ = true;
  if (upstream_ != nullptr) upstream_->shutdownWrite();
  maybeDone();
}

void Tunnel::onClientDrained() {
  if (upstream_ != nullptr) upstream_->resumeReading();
}

void Tunnel::onUpstreamBody(std::string_view data) {
  if (client_ == nullptr) return;
  info_.bytes_to_client += data.size();
  client_->writeThrough(data);
  if (client_ != nullptr && client_->writeAboveHighWatermark() && upstream_ != nullptr) {
    upstream_->pauseReading();
  }
}

void Tunnel::onUpstreamReadDone() {
  if (client_ != nullptr) client_->flush();
}

void Tunnel::onUpstreamDrained() {
  if (client_ != nullptr) client_->resumeReading();
}

void Tunnel::onUpstreamTunnelEof() {
  origin_eof_ = true;
  if (client_ != nullptr) client_->shutdownWrite();
  maybeDone();
}

void Tunnel::onUpstreamError(const Error&, bool) {
  upstream_ = nullptr;  // closed itself
  log();
  if (client_ != nullptr) {
    ClientConnection* c = client_;
    client_ = nullptr;
    c->abortConnection();
  }
}

void Tunnel::maybeDone() {
  if (!client_eof_ || !origin_eof_ || client_ == nullptr) return;
  log();
  if (upstream_ != nullptr) {
    upstream_->close();
    upstream_ = nullptr;
  }
  ClientConnection* c = client_;
  client_ = nullptr;
  c->exchangeDone(false);
}

void Tunnel::abort() {
  log();
  client_ = nullptr;
  if (upstream_ != nullptr) {
    upstream_->close();
    upstream_ = nullptr;
  }
}

void Tunnel::log() {
  if (logged_) return;
  logged_ = true;
  const uint64_t elapsed_ms = uv_now(worker_.loop()) - info_.start_tick_ms;
  worker_.metrics().request(info_.method == "CONNECT" ? Method::kConnect : Method::kGet,
                            resultCodeOf(info_.result), info_.status, info_.bytes_from_client,
                            info_.bytes_to_client, static_cast<double>(elapsed_ms) / 1000.0, info_.host);
  AccessLog& log = worker_.accessLog();
  if (!log.enabled()) return;
  AccessRecord r;
  r.start_ms = info_.start_wall_ms;
  r.elapsed_ms = uv_now(worker_.loop()) - info_.start_tick_ms;
  if (client_ != nullptr) r.client = client_->peer();
  r.result = info_.result;
  r.status = info_.status;
  r.bytes_sent = info_.bytes_to_client;
  r.bytes_received = info_.bytes_from_client;
  r.method = info_.method;
  r.url = info_.url;
  r.hierarchy = info_.hierarchy;
  r.peer = info_.peer;
  if (client_ != nullptr) r.local_port = client_->localPort();
  if (info_.status == 101) r.upstream_status = 101;  // an Upgrade: the origin's answer
  log.write(r);
}

}  // namespace cuttle::proxy
