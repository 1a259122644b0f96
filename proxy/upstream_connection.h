// UpstreamConnection: one TCP connection to an origin. Used by one exchange at a time
// (its Listener), idle in the UpstreamPool in between.
//
// Lifetime: created by an exchange; memory freed in the last close callback (STYLE rule 2).
// close() is idempotent and never calls the listener. release() hands the connection back
// to the pool when it is clean (complete response, whole request sent, persistent, nothing
// extra received), and closes it otherwise.
//
// Errors arrive through Listener::onUpstreamError, after which the connection has closed
// itself and the listener must not use it again.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "common/error.h"
#include "common/message_reader.h"
#include "common/socket_address.h"
#include "common/stream_writer.h"

namespace cuttle::proxy {

class Worker;

class UpstreamConnection final : private BodyListener, private StreamWriter::Listener {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onUpstreamConnected() = 0;
    // A response head: interim (1xx), final, or 101. The head may be moved from.
    virtual void onUpstreamHead(ResponseHead& head, const BodyFraming& framing) = 0;
    virtual void onUpstreamBody(std::string_view data) = 0;
    // The end of one read's worth of response: a good moment to flush towards the client.
    virtual void onUpstreamReadDone() = 0;
    virtual void onUpstreamComplete(HeaderList&& trailers) = 0;
    // `retryable`: a reused connection failed before any byte of a response arrived.
    virtual void onUpstreamError(const Error& error, bool retryable) = 0;
    // The request bytes queued towards the origin fell below the low watermark.
    virtual void onUpstreamDrained() = 0;
    // Tunnel mode only: the origin closed its sending side.
    virtual void onUpstreamTunnelEof() {}
  };

  UpstreamConnection(Worker& worker, std::string key, const SocketAddress& peer);
  ~UpstreamConnection() override;
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Starts connecting (connect_timeout applies). Result through the listener.
  void connect(Listener* listener);
  // Takes over a connection from the pool.
  void attach(Listener* listener);

  // Request bytes towards the origin.
  void send(std::string&& bytes);
  void send(std::string_view bytes);
  void flush();
  // Sends relayed bytes now, copying only what the socket does not take (a tunnel).
  void sendThrough(std::string_view bytes);
  size_t sendPending() const { return writer_.pending(); }
  bool sendAboveHighWatermark() const { return writer_.aboveHighWatermark(); }
  // The request head is written and a response to `method` is expected from now on.
  void expectResponse(Method method);
  // The whole request (head and body) has been queued.
  void requestSent();

  // Backpressure from the client side.
  void pauseReading();
  void resumeReading();

  void release();
  void close();

  const SocketAddress& peer() const { return peer_; }
  const std::string& key() const { return key_; }
  bool reused() const { return requests_ > 0; }
  // Tunnel mode (after CONNECT, or a 101 response): bytes are relayed, not parsed. Reads
  // arrive through onUpstreamBody, the origin's EOF through onUpstreamTunnelEof;
  // read_timeout becomes an idle timeout over both directions. Bytes that followed a 101
  // response in the same read are returned.
  std::string startTunnel(Listener* listener);
  // Half-closes towards the origin once everything queued is written.
  void shutdownWrite();

 private:
  enum class Phase : uint8_t { kConnecting, kActive, kIdle, kClosing };
  friend class UpstreamPool;

  static void onConnect(uv_connect_t* req, int status);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  void onTimeout();
  static void onClose(uv_handle_t* h);
  static void onTimerClose(uv_handle_t* h);
  static void onShutdown(uv_shutdown_t* req, int status);

  void process(const char* p, size_t n);
  void handleEof();
  void fail(Error error, bool retryable);
  void armTimer();
  void startReading();
  // BodyListener
  void onBodyData(std::string_view data) override;
  void onTrailers(HeaderList&& trailers) override;
  // StreamWriter::Listener
  void onWriteDrained() override;
  void onWriteIdle() override;
  void onWriteError(int status) override;

  Worker& worker_;
  std::string key_;
  SocketAddress peer_;
  Listener* listener_ = nullptr;
  Phase phase_ = Phase::kConnecting;
  uv_tcp_t socket_;
  Deadline timer_;
  uv_connect_t connect_req_;
  uv_shutdown_t shutdown_req_;
  MessageReader reader_;
  StreamWriter writer_;
  HeaderList trailers_;
  Method method_ = Method::kGet;
  uint32_t requests_ = 0;
  int open_handles_ = 0;
  int pending_connect_error_ = 0;
  std::string tunnel_leftover_;  // bytes after a 101 or CONNECT response
  bool expecting_ = false;       // a response is expected (request head sent)
  bool request_sent_ = false;
  bool response_done_ = false;
  bool response_started_ = false;  // any byte of a response arrived
  bool keep_alive_ = false;
  bool extra_bytes_ = false;
  bool paused_ = false;
  bool reading_ = false;
  bool tunnel_ = false;
  bool shutdown_pending_ = false;  // shutdownWrite() waits for the writer to drain
  bool write_shut_ = false;
};

}  // namespace cuttle::proxy
