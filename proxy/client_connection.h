// ClientConnection: one accepted client socket. Reads and parses requests one at a time
// and hands each to an Exchange; responses therefore leave strictly in request order.
// Bytes of pipelined requests that arrive while an exchange runs are kept (bounded) and
// parsed when it ends.
//
// Lifetime: created on accept, freed in the last close callback. close() is idempotent;
// it aborts the current exchange, whose memory goes to the worker's deferred queue.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "common/error.h"
#include "common/message_reader.h"
#include "common/socket_address.h"
#include "common/stream_writer.h"

namespace cuttle::proxy {

class Exchange;
class Tunnel;
class Worker;

class ClientConnection final : private StreamWriter::Listener {
 public:
  // Accepts a pending connection on `server` (or refuses it when over max_connections).
  static void accept(Worker& worker, uv_stream_t* server);

  Worker& worker() { return worker_; }
  const SocketAddress& peer() const { return peer_; }
  uint16_t localPort() const { return local_port_; }

  // For the current exchange.
  void write(std::string&& bytes) { writer_.append(std::move(bytes)); }
  void write(std::string_view bytes) { writer_.append(bytes); }
  void write(std::shared_ptr<const std::string> shared, size_t offset, size_t length) {
    writer_.append(std::move(shared), offset, length);
  }
  void flush();
  // Writes relayed bytes now, copying only what the socket does not take (a tunnel).
  void writeThrough(std::string_view bytes) {
    writer_.writeThrough(bytes);
    armTimer();
  }
  bool writeAboveHighWatermark() const { return writer_.aboveHighWatermark(); }
  void pauseReading();
  void resumeReading();
  // The exchange has queued its whole response. With keep_alive the next request is read;
  // otherwise the connection closes once the response is written.
  void exchangeDone(bool keep_alive);
  // Closes at once (a response cut short must show as a truncation).
  void abortConnection() { close(); }
  // CONNECT succeeded: from now on the bytes are relayed by `tunnel`, never parsed.
  void becomeTunnel(std::unique_ptr<Tunnel> tunnel);
  // Tunnel half-close: FIN to the client once everything queued is written.
  void shutdownWrite();

  // For the worker.
  void drain();
  void close();
  ClientConnection* next = nullptr;
  ClientConnection* prev = nullptr;

 private:
  enum class Phase : uint8_t {
    kReadingHead,      // between requests, or inside a request head
    kReadingBody,      // the exchange runs and the request body is arriving
    kWaitingResponse,  // the request is complete; the exchange runs
    kFinishing,        // the last response is being written; then close
    kLingering,        // FIN sent; discarding input until the client closes too
    kTunnel,           // relaying bytes for a CONNECT tunnel
    kClosing,
  };
  ClientConnection(Worker& worker);
  ~ClientConnection() override;

  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onClose(uv_handle_t* h);
  static void onTimerClose(uv_handle_t* h);
  static void onShutdown(uv_shutdown_t* req, int status);

  void start();
  void consume(const char* p, size_t n);
  // Goes on with the pipelined requests held in pending_ (after an exchange, or once the
  // responses queued before them have drained).
  void consumePending();
  // True when the responses written so far stay above the high watermark after a flush
  // (a write is then in flight, and onWriteDrained() will come).
  bool responsesBacklogged();
  // Keeps bytes of pipelined requests for later, and stops reading past the header limit.
  void holdPending(const char* p, size_t n);
  void startExchange();
  void startPendingExchange();
  void handleEof();
  void respondAndClose(const Error& error);
  void finishAndClose();
  void startReading();
  void stopReading();
  void armTimer();
  void onTimeout();
  // StreamWriter::Listener
  void onWriteDrained() override;
  void onWriteIdle() override;
  void onWriteError(int status) override;

  Worker& worker_;
  uv_tcp_t socket_;
  Deadline timer_;
  uv_shutdown_t shutdown_req_;
  SocketAddress peer_;
  uint16_t local_port_ = 0;
  MessageReader reader_;
  StreamWriter writer_;
  std::unique_ptr<Exchange> exchange_;
  std::unique_ptr<Tunnel> tunnel_;
  std::string pending_;  // pipelined bytes not yet parsed
  uint32_t served_ = 0;
  int open_handles_ = 0;
  Phase phase_ = Phase::kReadingHead;
  bool reading_ = false;
  bool paused_ = false;      // the exchange holds the request body back
  bool consuming_ = false;   // consume() is on the stack
  bool exchange_unstarted_ = false;  // created by consume(), started when it has read on
  bool eof_ = false;         // the client shut down its sending side
  bool draining_ = false;
  bool shutdown_after_write_ = false;
  bool write_shut_ = false;
  bool upgrade_requested_ = false;  // the current request carries Upgrade
};

}  // namespace cuttle::proxy
