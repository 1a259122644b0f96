#include "proxy/client_connection.h"

#include "common/log.h"
#include "common/read_buffer.h"
#include "proxy/error_page.h"
#include "proxy/exchange.h"
#include "proxy/tunnel.h"
#include "proxy/worker.h"

namespace cuttle::proxy {
namespace {
constexpr size_t kHighWatermark = 256 * 1024;
constexpr size_t kLowWatermark = 64 * 1024;
constexpr uint64_t kLingerMs = 2000;

MessageReader::Limits requestLimits(const conf::Config& c) {
  MessageReader::Limits l;
  l.max_head = c.request_header_max_size;
  l.max_first_line = c.max_uri_length + 32;  // method, spaces, version
  return l;
}
}  // namespace

ClientConnection::ClientConnection(Worker& worker)
    : worker_(worker),
      reader_(MessageReader::Kind::kRequest, requestLimits(worker.config())),
      writer_(reinterpret_cast<uv_stream_t*>(&socket_), this, kHighWatermark, kLowWatermark) {
  uv_tcp_init(worker_.loop(), &socket_);
  timer_.init(worker_.loop(), this, [](void* self) { static_cast<ClientConnection*>(self)->onTimeout(); });
  socket_.data = this;
  open_handles_ = 2;
  worker_.shared().client_connections.fetch_add(1, std::memory_order_relaxed);
  worker_.addConnection(this);
}

ClientConnection::~ClientConnection() {
  worker_.removeConnection(this);
  worker_.shared().client_connections.fetch_sub(1, std::memory_order_relaxed);
}

void ClientConnection::accept(Worker& worker, uv_stream_t* server) {
  auto* c = new ClientConnection(worker);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->socket_)) != 0) {
    c->close();
    return;
  }
  const uint32_t limit = worker.config().max_connections;
  if (worker.shared().client_connections.load(std::memory_order_relaxed) > limit ||
      worker.draining()) {
    // Refused cleanly: closed before any byte, never an unsolicited response.
    c->close();
    return;
  }
  c->start();
}

void ClientConnection::start() {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&socket_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    peer_ = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
  }
  len = sizeof(ss);
  if (uv_tcp_getsockname(&socket_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    local_port_ = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)).port();
  }
  uv_tcp_nodelay(&socket_, 1);
  reader_.reset();
  startReading();
  armTimer();
}

void ClientConnection::startReading() {
  if (reading_ || phase_ == Phase::kClosing || phase_ == Phase::kFinishing || eof_) return;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&socket_),
                tunnel_ ? &allocTunnelReadBuffer : &allocSharedReadBuffer, &ClientConnection::onRead);
  reading_ = true;
}

void ClientConnection::stopReading() {
  if (!reading_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&socket_));
  reading_ = false;
}

void ClientConnection::pauseReading() {
  paused_ = true;
  stopReading();
  armTimer();
}

void ClientConnection::resumeReading() {
  paused_ = false;
  if (phase_ == Phase::kReadingBody || phase_ == Phase::kTunnel) {
    startReading();
    armTimer();
  }
}

void ClientConnection::flush() {
  writer_.flush();
  armTimer();
}

void ClientConnection::armTimer() {
  if (phase_ == Phase::kClosing) return;
  const conf::Config& c = worker_.config();
  uint64_t ms = 0;
  switch (phase_) {
    case Phase::kReadingHead:
      if (!pending_.empty() && writer_.writing()) {
        // Requests wait for the client to read the responses before them (consume()).
        ms = static_cast<uint64_t>(c.read_timeout.count());
      } else if (reader_.headStarted() || served_ == 0) {
        ms = static_cast<uint64_t>(c.request_timeout.count());
      } else {
        ms = static_cast<uint64_t>(c.client_idle_pconn_timeout.count());
      }
      break;
    case Phase::kReadingBody:
      // The client must keep the body coming, unless cuttle holds it back.
      if (!paused_ || writer_.writing()) ms = static_cast<uint64_t>(c.read_timeout.count());
      break;
    case Phase::kWaitingResponse:
    case Phase::kFinishing:
      // Only a client that stops reading its response is at fault here.
      if (writer_.writing()) ms = static_cast<uint64_t>(c.read_timeout.count());
      break;
    case Phase::kTunnel:  // the upstream side times the tunnel out
      ms = 0;
      break;
    case Phase::kLingering:
    case Phase::kClosing:
      return;
  }
  if (ms == 0) {
    timer_.stop();
  } else {
    timer_.arm(ms);
  }
}

void ClientConnection::onTimeout() {
  switch (phase_) {
    case Phase::kReadingHead:
      if (reader_.headStarted()) {
        respondAndClose(Error(ErrorCode::kRequestTimeout, Side::kClient,
                              "request headers not received within request_timeout"));
      } else {
        close();  // idle: nothing was asked, nothing is answered
      }
      break;
    case Phase::kReadingBody:
      if (writer_.writing()) {
        close();
      } else if (exchange_) {
        exchange_->onRequestError(Error(ErrorCode::kRequestTimeout, Side::kClient,
                                        "request body not received within read_timeout"));
      }
      break;
    default:
      close();  // the client stopped reading
      break;
  }
}

void ClientConnection::onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<ClientConnection*>(s->data);
  if (nread == 0 || self->phase_ == Phase::kClosing) return;
  if (self->phase_ == Phase::kLingering) {
    if (nread < 0) self->close();  // discard everything, close at EOF
    return;
  }
  if (self->phase_ == Phase::kTunnel) {
    if (nread == UV_EOF) {
      self->eof_ = true;
      self->reading_ = false;
      self->tunnel_->onClientEof();
    } else if (nread < 0) {
      self->close();
    } else {
      self->tunnel_->onClientData(std::string_view(buf->base, static_cast<size_t>(nread)));
    }
    return;
  }
  if (nread < 0) {
    if (nread == UV_EOF) {
      self->handleEof();
    } else {
      self->close();  // reset by peer and the like: nobody to answer
    }
    return;
  }
  self->consume(buf->base, static_cast<size_t>(nread));
  if (self->phase_ != Phase::kClosing) self->flush();
}

void ClientConnection::consume(const char* p, size_t n) {
  consuming_ = true;
  while (n > 0) {
    if (phase_ == Phase::kReadingHead) {
      if (!reader_.headStarted() && responsesBacklogged()) {
        // The next pipelined request waits until the responses before it drain
        // (onWriteDrained), so that a client that sends requests and reads no response
        // cannot make cuttle queue one response after another without bound.
        holdPending(p, n);
        armTimer();
        break;
      }
      size_t used = reader_.readHead(p, n);
      p += used;
      n -= used;
      MessageReader::State st = reader_.state();
      if (st == MessageReader::State::kError) {
        respondAndClose(reader_.error());
        break;
      }
      if (st == MessageReader::State::kHead) {
        armTimer();  // the head has started: request_timeout now applies
        continue;
      }
      startExchange();
    } else if (phase_ == Phase::kReadingBody) {
      size_t used = reader_.readBody(p, n, *exchange_);
      p += used;
      n -= used;
      if (phase_ != Phase::kReadingBody) break;  // the exchange ended or aborted meanwhile
      MessageReader::State st = reader_.state();
      if (st == MessageReader::State::kError) {
        exchange_unstarted_ = false;  // refused before it ever went upstream
        exchange_->onRequestError(reader_.error());
        break;
      }
      if (st == MessageReader::State::kComplete) {
        phase_ = Phase::kWaitingResponse;
        armTimer();
        exchange_->onRequestComplete();
      }
    } else if (phase_ == Phase::kWaitingResponse) {
      // Pipelined requests wait their turn; bounded by the header limit.
      startPendingExchange();
      if (phase_ != Phase::kWaitingResponse) continue;  // it answered at once
      holdPending(p, n);
      break;
    } else {
      break;  // finishing or closing: the rest is not read
    }
  }
  startPendingExchange();
  consuming_ = false;
}

bool ClientConnection::responsesBacklogged() {
  if (!writer_.aboveHighWatermark()) return false;
  writer_.flush();
  return writer_.aboveHighWatermark();  // a write is in flight: onWriteDrained() will come
}

void ClientConnection::holdPending(const char* p, size_t n) {
  pending_.append(p, n);
  if (pending_.size() > worker_.config().request_header_max_size) stopReading();
}

void ClientConnection::startExchange() {
  const bool complete = reader_.state() == MessageReader::State::kComplete;
  phase_ = complete ? Phase::kWaitingResponse : Phase::kReadingBody;
  // Bytes after a request asking to upgrade belong to the new protocol if the origin
  // agrees: they are never parsed as HTTP, whatever the answer.
  upgrade_requested_ = reader_.request().headers.has(HeaderId::kUpgrade);
  armTimer();
  exchange_ = std::make_unique<Exchange>(*this, std::move(reader_.request()), reader_.framing(), complete);
  // Started once consume() has also checked the body bytes of this read: a request whose
  // body is malformed right away is refused before any upstream connection is opened.
  exchange_unstarted_ = true;
}

void ClientConnection::startPendingExchange() {
  if (!exchange_unstarted_) return;
  exchange_unstarted_ = false;
  if (exchange_ && phase_ != Phase::kClosing) exchange_->start();
}

void ClientConnection::exchangeDone(bool keep_alive) {
  ++served_;
  worker_.deferred().destroyLater(std::move(exchange_));
  worker_.deferred().destroyLater(std::move(tunnel_));
  const bool body_unread = phase_ == Phase::kReadingBody;
  const bool after_upgrade = upgrade_requested_ && !pending_.empty();
  if (!keep_alive || body_unread || after_upgrade || eof_ || draining_ || worker_.draining()) {
    finishAndClose();
    return;
  }
  phase_ = Phase::kReadingHead;
  reader_.reset();
  paused_ = false;
  if (pending_.empty()) {
    pending_.shrink_to_fit();
    startReading();
    armTimer();
    flush();
    return;
  }
  if (consuming_) return;  // the consume() loop on the stack goes on with the pending bytes
  consumePending();
}

void ClientConnection::consumePending() {
  std::string data = std::move(pending_);
  pending_.clear();
  consume(data.data(), data.size());
  if (phase_ == Phase::kReadingHead && pending_.size() <= worker_.config().request_header_max_size) {
    startReading();
  }
  if (phase_ != Phase::kClosing) flush();
}

void ClientConnection::handleEof() {
  eof_ = true;
  reading_ = false;
  switch (phase_) {
    case Phase::kReadingHead:
      // A request cut short or no request: there is nobody to answer.
      close();
      break;
    case Phase::kReadingBody:
      if (exchange_) {
        exchange_->onRequestError(Error(ErrorCode::kClientClosed, Side::kClient,
                                        "client closed the connection in the middle of the body"));
      }
      break;
    case Phase::kWaitingResponse:
      break;  // half-close: the response is still delivered, then the connection closes
    case Phase::kFinishing:
    case Phase::kLingering:
    case Phase::kTunnel:  // handled in onRead
    case Phase::kClosing:
      break;
  }
}

void ClientConnection::respondAndClose(const Error& error) {
  ErrorPageOptions opts;
  opts.date = worker_.httpDate();
  opts.via_host = worker_.config().via ? worker_.visibleHostname() : std::string_view();
  const int status = httpStatusFor(error);
  writer_.append(buildErrorResponse(status, error.cause, opts));
  AccessRecord r;
  r.start_ms = worker_.wallClockMs();
  r.client = peer_;
  r.result = "NONE";
  r.status = status;
  r.bytes_sent = writer_.pending();
  r.method = reader_.request().method_name;
  r.url = reader_.request().target;
  worker_.accessLog().write(r);
  finishAndClose();
}

void ClientConnection::finishAndClose() {
  if (phase_ == Phase::kClosing || phase_ == Phase::kLingering) return;
  phase_ = Phase::kFinishing;
  stopReading();
  flush();
  if (writer_.pending() == 0 && !writer_.writing()) onWriteIdle();
}

void ClientConnection::becomeTunnel(std::unique_ptr<Tunnel> tunnel) {
  worker_.deferred().destroyLater(std::move(exchange_));
  phase_ = Phase::kTunnel;
  tunnel_ = std::move(tunnel);
  paused_ = false;
  timer_.stop();
  std::string from_client = std::move(pending_);
  pending_ = std::string();
  stopReading();  // reading again with the tunnel's larger reads
  startReading();
  tunnel_->start(std::move(from_client), std::string());
  if (eof_ && tunnel_) tunnel_->onClientEof();
}

void ClientConnection::shutdownWrite() {
  if (write_shut_ || phase_ != Phase::kTunnel) return;
  if (writer_.pending() > 0 || writer_.writing()) {
    shutdown_after_write_ = true;
    return;
  }
  write_shut_ = true;
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&socket_), &ClientConnection::onShutdown) != 0) {
    close();
  }
}

void ClientConnection::onWriteIdle() {
  if (phase_ == Phase::kTunnel) {
    if (shutdown_after_write_) {
      shutdown_after_write_ = false;
      shutdownWrite();
    }
    return;
  }
  if (phase_ != Phase::kFinishing) {
    armTimer();
    return;
  }
  if (eof_) {
    close();
    return;
  }
  // Everything is written: send FIN and read until the client closes too, so that request
  // bytes it sent meanwhile do not turn into a reset that destroys the response in flight
  // (RFC 9112 9.6). Bounded by a short linger time.
  phase_ = Phase::kLingering;
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&socket_), &ClientConnection::onShutdown) != 0) {
    close();
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&socket_), &allocSharedReadBuffer, &ClientConnection::onRead);
  reading_ = true;
  timer_.arm(kLingerMs);
}

void ClientConnection::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<ClientConnection*>(req->data);
  if (status < 0 && self->phase_ != Phase::kClosing) self->close();
}

void ClientConnection::onWriteDrained() {
  if (exchange_) exchange_->onClientDrained();
  if (tunnel_) tunnel_->onClientDrained();
  // Pipelined requests held back behind responses that had not left (consume()).
  if (!exchange_ && !consuming_ && phase_ == Phase::kReadingHead && !pending_.empty()) {
    consumePending();
  }
}

void ClientConnection::onWriteError(int) { close(); }

void ClientConnection::drain() {
  draining_ = true;
  if (phase_ == Phase::kReadingHead && !reader_.headStarted()) close();
}

void ClientConnection::close() {
  if (phase_ == Phase::kClosing) return;
  phase_ = Phase::kClosing;
  if (exchange_) {
    if (exchange_->detachFromClient()) {
      worker_.adoptBackground(std::move(exchange_));
    } else {
      worker_.deferred().destroyLater(std::move(exchange_));
    }
  }
  if (tunnel_) {
    tunnel_->abort();
    worker_.deferred().destroyLater(std::move(tunnel_));
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&socket_), &ClientConnection::onClose);
  uv_close(timer_.handle(), &ClientConnection::onTimerClose);
}

void ClientConnection::onTimerClose(uv_handle_t* h) {
  auto* self = static_cast<ClientConnection*>(Deadline::ownerOf(h));
  if (--self->open_handles_ == 0) delete self;
}

void ClientConnection::onClose(uv_handle_t* h) {
  auto* self = static_cast<ClientConnection*>(h->data);
  if (--self->open_handles_ == 0) delete self;
}

}  // namespace cuttle::proxy
