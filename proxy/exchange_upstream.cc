// The upstream half of Exchange: where the request goes (routes through parents or to the
// origin), DNS, connecting to each address in turn, and sending the request head and body.
#include "common/strings.h"
#include "proxy/client_connection.h"
#include "proxy/exchange.h"
#include "proxy/worker.h"

namespace cuttle::proxy {
namespace {
constexpr size_t kHeldBodyLimit = 256 * 1024;
}  // namespace

const conf::CachePeer* Exchange::currentPeer() const {
  return route_ < routes_.size() ? routes_[route_].peer : nullptr;
}

void Exchange::acquireUpstream() {
  if (!routes_chosen_) {
    routes_chosen_ = true;
    const auto& peers = worker_.settings().peers;
    if (!peers->empty()) {
      peers_ = peers;  // the routes point into it: kept alive across a reload
      const conf::AccessRules& rules = *worker_.settings().access_rules;
      const conf::AccessRequest ar = accessRequest();
      PeerSelection sel;
      sel.peers = peers_.get();
      sel.url = url_;
      sel.method = request_.method;
      sel.never_direct = rules.listAllows("never_direct", ar);
      sel.always_direct = rules.listAllows("always_direct", ar);
      const uint64_t now = uv_now(worker_.loop());
      sel.healthy = [this, now](const conf::CachePeer& p) { return worker_.peerHealth().healthy(p, now); };
      routes_ = selectRoutes(sel);
    }
  }
  const conf::CachePeer* peer = currentPeer();
  hierarchy_ = route_ < routes_.size() ? routes_[route_].hierarchy : std::string_view("HIER_DIRECT");
  key_ = peer ? "peer:" + peer->name : uri_.host + ':' + std::to_string(uri_.port);
  if (!retried_ && (request_.method != Method::kConnect || peer != nullptr)) {
    if (UpstreamConnection* c = worker_.pool().take(key_)) {
      worker_.metrics().upstream_reuses.add();
      upstream_ = c;
      peer_ = c->peer().ipString();
      c->attach(this);
      onUpstreamConnected();
      return;
    }
  }
  if (peer == nullptr && destinations_known_ && !origin_addresses_.empty()) {
    addresses_ = origin_addresses_;  // resolved already, for a dst ACL
    next_address_ = 0;
    connectNext();
    return;
  }
  const std::string& host = peer ? peer->host : uri_.host;
  if (const dns::AddressList* cached = worker_.resolver().cached(host)) {
    worker_.metrics().dns_cache_hits.add();
    addresses_ = *cached;
    next_address_ = 0;
    connectNext();
    return;
  }
  phase_ = Phase::kResolving;
  worker_.metrics().dns_lookups.add();
  const uint64_t asked = uv_now(worker_.loop());
  lookup_ = worker_.resolver().resolve(host, [this, asked](Result<dns::AddressList> r) {
    worker_.metrics().dns_latency.observe(static_cast<double>(uv_now(worker_.loop()) - asked) / 1000.0);
    if (!r) worker_.metrics().dns_failures.add();
    onResolved(std::move(r));
  });
}

bool Exchange::nextRoute() {
  // The route failed before anything was sent: try the next parent, or the origin.
  if (route_ + 1 >= routes_.size()) return false;
  if (const conf::CachePeer* p = currentPeer()) worker_.peerHealth().failed(*p, uv_now(worker_.loop()));
  ++route_;
  addresses_.clear();
  next_address_ = 0;
  acquireUpstream();
  return true;
}

void Exchange::onResolved(Result<dns::AddressList> result) {
  if (!result) {
    last_connect_error_ = result.error();
    if (nextRoute()) return;
    fail(result.error());
    return;
  }
  addresses_ = std::move(result.value());
  next_address_ = 0;
  connectNext();
}

void Exchange::connectNext() {
  if (next_address_ >= addresses_.size()) {
    if (nextRoute()) return;
    const conf::CachePeer* p = currentPeer();
    if (addresses_.empty()) {
      fail(Error(ErrorCode::kDnsFailed, Side::kDns, "no address for " + (p ? p->host : uri_.host)));
    } else {
      fail(last_connect_error_);
    }
    return;
  }
  const conf::CachePeer* peer = currentPeer();
  SocketAddress address = addresses_[next_address_++];
  address.setPort(peer ? peer->http_port : uri_.port);
  peer_ = address.ipString();
  phase_ = Phase::kConnecting;
  worker_.metrics().upstream_connects.add();
  upstream_ = new UpstreamConnection(worker_, key_, address);
  upstream_->connect(this);
}

std::string Exchange::peerCredentials(const conf::CachePeer& peer) const {
  if (peer.login.empty()) return {};
  if (peer.login == "PASS") return std::string(request_.headers.get(HeaderId::kProxyAuthorization));
  return "Basic " + base64Encode(peer.login);
}

void Exchange::sendConnectToPeer(const conf::CachePeer& peer) {
  phase_ = Phase::kForwarding;
  std::string head = "CONNECT ";
  head += url_;
  head += " HTTP/1.1\r\nHost: ";
  head += url_;
  head += "\r\n";
  const std::string credentials = peerCredentials(peer);
  if (!credentials.empty()) head += "Proxy-Authorization: " + credentials + "\r\n";
  if (worker_.config().via) {
    head += "Via: 1.1 ";
    head += worker_.visibleHostname();
    head += "\r\n";
  }
  head += "\r\n";
  upstream_->send(std::move(head));
  upstream_->expectResponse(Method::kConnect);
  upstream_->requestSent();
  upstream_->flush();
}

void Exchange::onUpstreamConnected() {
  const conf::CachePeer* peer = currentPeer();
  if (request_.method == Method::kConnect) {
    if (peer != nullptr) {
      sendConnectToPeer(*peer);  // the parent's 2xx opens the tunnel
    } else {
      establishTunnel();
    }
  } else {
    sendRequestHead();
  }
}

// ---- request towards the origin -----------------------------------------------------------

void Exchange::sendRequestHead() {
  phase_ = Phase::kForwarding;
  request_sent_time_ = nowSeconds();
  std::string head;
  UpstreamRequestOptions options;
  std::string validators;
  options.strip_range = whole_for_range_;
  options.upgrade = upgrade_;
  std::string credentials;
  if (const conf::CachePeer* peer = currentPeer()) {
    options.absolute_target = url_;
    credentials = peerCredentials(*peer);
    options.proxy_authorization = credentials;
  }
  if (stale_) {
    // RFC 9111 4.3.1: validate the stored response with its own validators.
    cache::appendValidators(*stale_, validators);
    options.strip_conditionals = true;
    options.extra_fields = validators;
  }
  buildUpstreamRequest(request_, uri_, request_framing_, via(), head, options);
  upstream_->send(std::move(head));
  if (!held_body_.empty()) {
    upstream_->send(std::move(held_body_));
    held_body_ = std::string();
  }
  upstream_->expectResponse(request_.method);
  if (request_complete_) upstream_->requestSent();
  upstream_->flush();
  if (client_ != nullptr && !request_complete_ && !upstream_->sendAboveHighWatermark()) {
    client_->resumeReading();
  }
}

// ---- request body -------------------------------------------------------------------------

void Exchange::sendBodyPiece(std::string_view data) {
  std::string piece;
  if (request_framing_.kind == Framing::kChunked) {
    appendChunk(piece, data);
  } else {
    piece.assign(data);
  }
  if (phase_ >= Phase::kForwarding && upstream_ != nullptr) {
    upstream_->send(std::move(piece));
    upstream_->flush();
    if (upstream_ != nullptr && upstream_->sendAboveHighWatermark() && client_ != nullptr) {
      client_->pauseReading();
    }
  } else {
    held_body_ += piece;
    if (held_body_.size() > kHeldBodyLimit && client_ != nullptr) client_->pauseReading();
  }
}

void Exchange::onBodyData(std::string_view data) {
  if (phase_ == Phase::kDone) return;
  body_received_ += data.size();
  const uint64_t max_body = worker_.config().request_body_max_size;
  if (max_body != 0 && body_received_ > max_body) {
    fail(Error(ErrorCode::kBodyTooLarge, Side::kClient, "request body larger than request_body_max_size"));
    return;
  }
  sendBodyPiece(data);
}

void Exchange::onTrailers(HeaderList&& trailers) { request_trailers_ = std::move(trailers); }

void Exchange::finishRequestBody() {
  if (request_framing_.kind == Framing::kChunked) {
    std::string last;
    appendLastChunk(last, request_trailers_);
    if (phase_ >= Phase::kForwarding && upstream_ != nullptr) {
      upstream_->send(std::move(last));
    } else {
      held_body_ += last;
    }
  }
  if (phase_ >= Phase::kForwarding && upstream_ != nullptr) {
    upstream_->requestSent();
    upstream_->flush();
  }
}

void Exchange::onRequestComplete() {
  if (phase_ == Phase::kDone) return;
  request_complete_ = true;
  finishRequestBody();
}

}  // namespace cuttle::proxy
