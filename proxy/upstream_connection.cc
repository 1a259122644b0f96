#include "proxy/upstream_connection.h"

#include "common/read_buffer.h"
#include "proxy/worker.h"

namespace cuttle::proxy {
namespace {
constexpr size_t kHighWatermark = 256 * 1024;
constexpr size_t kLowWatermark = 64 * 1024;

MessageReader::Limits responseLimits(const conf::Config& c) {
  MessageReader::Limits l;
  l.max_head = c.reply_header_max_size;
  l.max_first_line = c.reply_header_max_size;
  return l;
}
}  // namespace

UpstreamConnection::UpstreamConnection(Worker& worker, std::string key, const SocketAddress& peer)
    : worker_(worker),
      key_(std::move(key)),
      peer_(peer),
      reader_(MessageReader::Kind::kResponse, responseLimits(worker.config())),
      writer_(reinterpret_cast<uv_stream_t*>(&socket_), this, kHighWatermark, kLowWatermark) {
  uv_tcp_init(worker_.loop(), &socket_);
  timer_.init(worker_.loop(), this, [](void* self) { static_cast<UpstreamConnection*>(self)->onTimeout(); });
  socket_.data = this;
  connect_req_.data = this;
  open_handles_ = 2;
  worker_.metrics().upstream_open.add();
}

UpstreamConnection::~UpstreamConnection() { worker_.metrics().upstream_open.sub(); }

void UpstreamConnection::connect(Listener* listener) {
  listener_ = listener;
  phase_ = Phase::kConnecting;
  uv_tcp_nodelay(&socket_, 1);
  int r = uv_tcp_connect(&connect_req_, &socket_, peer_.sockaddr_ptr(), &UpstreamConnection::onConnect);
  if (r != 0) {
    // Immediate failures (no route, no address) still arrive on a later turn.
    connect_req_.data = nullptr;
    pending_connect_error_ = r;
    timer_.arm(0);
    return;
  }
  timer_.arm(static_cast<uint64_t>(worker_.config().connect_timeout.count()));
}

void UpstreamConnection::onConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<UpstreamConnection*>(req->handle->data);
  if (self->phase_ != Phase::kConnecting) return;  // closing: UV_ECANCELED
  if (status < 0) {
    self->fail(uvError(status, "cannot connect to " + self->peer_.toString(), Side::kUpstream), false);
    return;
  }
  self->phase_ = Phase::kActive;
  self->timer_.stop();
  self->startReading();
  self->listener_->onUpstreamConnected();
}

void UpstreamConnection::attach(Listener* listener) {
  listener_ = listener;
  phase_ = Phase::kActive;
  timer_.stop();
  expecting_ = false;
  request_sent_ = false;
  response_done_ = false;
  response_started_ = false;
  keep_alive_ = false;
}

void UpstreamConnection::send(std::string&& bytes) { writer_.append(std::move(bytes)); }
void UpstreamConnection::send(std::string_view bytes) { writer_.append(bytes); }

void UpstreamConnection::sendThrough(std::string_view bytes) {
  writer_.writeThrough(bytes);
  armTimer();
}

void UpstreamConnection::flush() {
  writer_.flush();
  armTimer();
}

void UpstreamConnection::expectResponse(Method method) {
  method_ = method;
  reader_.reset(method);
  trailers_ = HeaderList();
  expecting_ = true;
  armTimer();
}

void UpstreamConnection::requestSent() {
  request_sent_ = true;
  armTimer();
}

void UpstreamConnection::startReading() {
  if (reading_ || paused_ || phase_ == Phase::kClosing) return;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&socket_),
                tunnel_ ? &allocTunnelReadBuffer : &allocSharedReadBuffer, &UpstreamConnection::onRead);
  reading_ = true;
}

void UpstreamConnection::pauseReading() {
  if (phase_ != Phase::kActive) return;
  paused_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&socket_));
    reading_ = false;
  }
  armTimer();
}

void UpstreamConnection::resumeReading() {
  if (phase_ != Phase::kActive) return;
  paused_ = false;
  startReading();
  armTimer();
}

void UpstreamConnection::armTimer() {
  if (phase_ != Phase::kActive) return;
  // read_timeout covers an origin that neither answers nor reads what we send; it does
  // not run while cuttle itself holds the origin back (client backpressure).
  const bool waiting_for_origin =
      tunnel_ || (expecting_ && !response_done_ && !paused_) || writer_.pending() > 0;
  if (waiting_for_origin) {
    timer_.arm(static_cast<uint64_t>(worker_.config().read_timeout.count()));
  } else {
    timer_.stop();
  }
}

void UpstreamConnection::onTimeout() {
  UpstreamConnection* self = this;
  switch (self->phase_) {
    case Phase::kConnecting:
      if (self->pending_connect_error_ != 0) {
        self->fail(uvError(self->pending_connect_error_, "cannot connect to " + self->peer_.toString(),
                           Side::kUpstream),
                   false);
      } else {
        self->fail(Error(ErrorCode::kConnectTimeout, Side::kUpstream,
                         "connect to " + self->peer_.toString() + " timed out"),
                   false);
      }
      break;
    case Phase::kIdle:
      self->close();
      break;
    case Phase::kActive:
      self->fail(Error(ErrorCode::kUpstreamTimeout, Side::kUpstream,
                       self->tunnel_ ? "tunnel idle for longer than read_timeout"
                                     : "origin " + self->peer_.toString() + " did not answer within read_timeout"),
                 false);
      break;
    case Phase::kClosing:
      break;
  }
}

void UpstreamConnection::onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<UpstreamConnection*>(s->data);
  if (self->phase_ == Phase::kClosing || nread == 0) return;
  if (nread < 0) {
    if (nread == UV_EOF) {
      self->handleEof();
    } else if (self->phase_ == Phase::kIdle) {
      self->close();
    } else {
      self->fail(uvError(static_cast<int>(nread), "read from " + self->peer_.toString(), Side::kUpstream),
                 self->reused() && !self->response_started_ && self->expecting_);
    }
    return;
  }
  self->process(buf->base, static_cast<size_t>(nread));
  if (self->phase_ == Phase::kActive && self->listener_ != nullptr) self->listener_->onUpstreamReadDone();
}

void UpstreamConnection::process(const char* p, size_t n) {
  if (tunnel_) {
    armTimer();
    if (listener_ != nullptr) listener_->onUpstreamBody(std::string_view(p, n));
    return;
  }
  if (phase_ == Phase::kIdle) {
    close();  // an idle origin must not speak: whatever it says belongs to no request
    return;
  }
  if (!expecting_ || response_done_ || listener_ == nullptr) {
    extra_bytes_ = true;  // never handed to the next request: release() will close
    return;
  }
  response_started_ = true;
  armTimer();
  while (n > 0) {
    if (reader_.state() == MessageReader::State::kHead) {
      size_t used = reader_.readHead(p, n);
      p += used;
      n -= used;
      if (reader_.state() == MessageReader::State::kError) {
        fail(reader_.error(), false);
        return;
      }
      if (reader_.state() == MessageReader::State::kHead) continue;
      ResponseHead& head = reader_.response();
      const BodyFraming framing = reader_.framing();
      const bool interim = head.status >= 100 && head.status < 200 && head.status != 101;
      if (!interim) keep_alive_ = responseAllowsKeepAlive(head, framing);
      // After a 101 the bytes that follow are the new protocol's: keep them for the tunnel,
      // which the listener may start right away.
      if (framing.kind == Framing::kTunnel) tunnel_leftover_.assign(p, n);
      listener_->onUpstreamHead(head, framing);
      if (framing.kind == Framing::kTunnel) return;
      if (phase_ != Phase::kActive || listener_ == nullptr) return;
      if (interim) {
        reader_.reset(method_);
        continue;
      }
    } else if (reader_.state() == MessageReader::State::kBody) {
      size_t used = reader_.readBody(p, n, *this);
      if (phase_ != Phase::kActive || listener_ == nullptr) return;
      if (reader_.state() == MessageReader::State::kError) {
        fail(reader_.error(), false);
        return;
      }
      p += used;
      n -= used;
    }
    if (reader_.state() == MessageReader::State::kComplete) {
      response_done_ = true;
      ++requests_;
      if (n > 0) extra_bytes_ = true;
      timer_.stop();
      listener_->onUpstreamComplete(std::move(trailers_));
      return;
    }
  }
}

void UpstreamConnection::handleEof() {
  if (tunnel_) {
    reading_ = false;
    if (listener_ != nullptr) listener_->onUpstreamTunnelEof();
    return;
  }
  if (phase_ == Phase::kIdle || listener_ == nullptr || response_done_) {
    keep_alive_ = false;
    if (phase_ == Phase::kIdle || listener_ == nullptr) close();
    return;
  }
  keep_alive_ = false;
  if (expecting_ && reader_.state() == MessageReader::State::kBody && reader_.finishAtEof(*this)) {
    response_done_ = true;
    ++requests_;
    timer_.stop();
    listener_->onUpstreamComplete(std::move(trailers_));
    return;
  }
  const bool retryable = reused() && !response_started_ && expecting_;
  fail(Error(ErrorCode::kUpstreamClosed, Side::kUpstream,
             response_started_ ? "origin closed the connection in the middle of the response"
                               : "origin closed the connection without answering"),
       retryable);
}

void UpstreamConnection::fail(Error error, bool retryable) {
  Listener* l = listener_;
  close();
  if (l != nullptr) l->onUpstreamError(error, retryable);
}

void UpstreamConnection::onBodyData(std::string_view data) {
  if (listener_ != nullptr) listener_->onUpstreamBody(data);
}

void UpstreamConnection::onTrailers(HeaderList&& trailers) { trailers_ = std::move(trailers); }

void UpstreamConnection::onWriteDrained() {
  if (listener_ != nullptr) listener_->onUpstreamDrained();
}

void UpstreamConnection::onWriteIdle() {
  armTimer();
  if (shutdown_pending_) shutdownWrite();
}

std::string UpstreamConnection::startTunnel(Listener* listener) {
  listener_ = listener;
  tunnel_ = true;
  paused_ = false;
  if (reading_) {  // reading again with the tunnel's larger reads
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&socket_));
    reading_ = false;
  }
  startReading();
  armTimer();
  return std::move(tunnel_leftover_);
}

void UpstreamConnection::shutdownWrite() {
  if (phase_ != Phase::kActive || write_shut_) return;
  if (writer_.pending() > 0 || writer_.writing()) {
    shutdown_pending_ = true;
    return;
  }
  shutdown_pending_ = false;
  write_shut_ = true;
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&socket_), &UpstreamConnection::onShutdown) != 0) {
    fail(Error(ErrorCode::kIo, Side::kUpstream, "cannot half-close the tunnel"), false);
  }
}

void UpstreamConnection::onShutdown(uv_shutdown_t*, int) {}

void UpstreamConnection::onWriteError(int status) {
  if (phase_ == Phase::kClosing) return;
  fail(uvError(status, "write to " + peer_.toString(), Side::kUpstream),
       reused() && !response_started_ && phase_ == Phase::kActive);
}

void UpstreamConnection::release() {
  listener_ = nullptr;
  if (phase_ != Phase::kActive) {
    close();
    return;
  }
  const bool clean = response_done_ && request_sent_ && keep_alive_ && !extra_bytes_ &&
                     writer_.pending() == 0 && !worker_.draining();
  if (!clean) {
    close();
    return;
  }
  expecting_ = false;
  phase_ = Phase::kIdle;
  if (!worker_.pool().put(this)) {
    phase_ = Phase::kActive;
    close();
    return;
  }
  paused_ = false;
  startReading();  // an idle connection keeps reading to notice a close
  writer_.shrink();
  timer_.arm(static_cast<uint64_t>(worker_.config().server_idle_pconn_timeout.count()));
}

void UpstreamConnection::close() {
  if (phase_ == Phase::kClosing) return;
  if (phase_ == Phase::kIdle) worker_.pool().remove(this);
  phase_ = Phase::kClosing;
  listener_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&socket_), &UpstreamConnection::onClose);
  uv_close(timer_.handle(), &UpstreamConnection::onTimerClose);
}

void UpstreamConnection::onTimerClose(uv_handle_t* h) {
  auto* self = static_cast<UpstreamConnection*>(Deadline::ownerOf(h));
  if (--self->open_handles_ == 0) delete self;
}

void UpstreamConnection::onClose(uv_handle_t* h) {
  auto* self = static_cast<UpstreamConnection*>(h->data);
  if (--self->open_handles_ == 0) delete self;
}

}  // namespace cuttle::proxy
