// OriginServer: a scripted HTTP origin on 127.0.0.1 (kernel-chosen port) for end-to-end
// tests.
//
// Contract:
//   - The constructor binds and starts an accept thread; each accepted connection runs the
//     test-supplied Handler on its own thread, with a blocking OriginConnection. When the
//     handler returns, the connection is closed (unless the handler kept it open with
//     waitForPeerClose() or similar, it is simply closed).
//   - Every byte read from each connection is recorded (received(i), in accept order), and
//     accepted connections are counted, so that tests can assert "nothing reached the
//     origin" or "both requests went over one upstream connection".
//   - stop() (and the destructor) stops accepting, shuts down every open connection so that
//     blocked handlers see EOF, and joins all threads. Handlers must return once their reads
//     fail. stop() is idempotent.
//   - Accessors are thread-safe. Handlers run on their own threads: they may use gtest
//     EXPECT_* (gtest is thread-safe on Linux) but ASSERT_* only returns from the handler.
//   - All waits are bounded by kSafetyTimeout (see socket_stream.h); a timeout fails the test.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/http_wire.h"
#include "tests/support/socket_stream.h"

namespace cuttle::test {

class OriginServer;

// One accepted connection, as seen by a handler (on the handler's thread).
class OriginConnection {
 public:
  // Index of this connection in accept order, from 0.
  int index() const { return index_; }

  // Reads one request (head, then body by Content-Length or chunked). ok=false when the
  // peer closed first (raw then holds what arrived).
  HttpRequest readRequest();
  // Raw reads; see SocketStream. False on EOF or timeout.
  bool readUntil(std::string_view delim, std::string* out);
  bool readRaw(size_t n, std::string* out);
  bool write(std::string_view bytes);
  void closeWrite();
  void close();
  // Blocks until the proxy closes its side (bounded); discards what arrives (still
  // recorded). True if EOF was seen.
  bool waitForPeerClose();
  SocketStream& stream() { return stream_; }

 private:
  friend class OriginServer;
  OriginConnection(OriginServer& server, int index, int fd);
  void record();

  OriginServer& server_;
  int index_;
  SocketStream stream_;
  size_t recorded_ = 0;
};

class OriginServer {
 public:
  using Handler = std::function<void(OriginConnection&)>;

  explicit OriginServer(Handler handler);
  ~OriginServer();
  OriginServer(const OriginServer&) = delete;
  OriginServer& operator=(const OriginServer&) = delete;

  // Canned responses by request target path ("/a" or "/a?q"): each must be a complete raw
  // response. Requests are served in a loop until the peer closes; an unknown path gets a
  // 404 with a short body. The connection closes after a response when the request said
  // "Connection: close" or the response contains "Connection: close".
  static Handler canned(std::map<std::string, std::string> by_path);
  // A handler that answers every request with `response`, in a loop.
  static Handler always(std::string response);

  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT"
  std::string authority() const;
  // "http://127.0.0.1:PORT" + path
  std::string url(std::string_view path) const;

  int connectionCount() const;
  // Raw bytes received on connection i (accept order); "" if there is no such connection.
  std::string received(int i) const;
  // All bytes received on all connections, concatenated in accept order.
  std::string receivedAll() const;
  // Every request read by handlers through OriginConnection::readRequest() (complete or
  // not), in the order they were read, over all connections; and the connection of each.
  std::vector<HttpRequest> requests() const;
  std::vector<int> requestConnections() const;
  // Waits (bounded) until handlers have read at least n requests. False on timeout.
  bool waitForRequests(size_t n);
  // Waits (bounded) until at least n connections were accepted. False on timeout (a test
  // failure is reported).
  bool waitForConnections(int n);
  // Waits (bounded) until the handler of connection i returned. False on timeout.
  bool waitForHandlerDone(int i);

  void stop();

 private:
  friend class OriginConnection;
  struct Conn {
    std::string received;
    bool done = false;
    SocketStream* stream = nullptr;  // while the handler runs; guarded by mu_
    std::thread thread;
  };
  void acceptLoop();
  void runHandler(int index, int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Conn>> conns_;  // guarded by mu_
  std::vector<HttpRequest> requests_;         // guarded by mu_
  std::vector<int> request_conns_;            // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
};

// Canned origin responses.
// A 200 with Content-Length and the given body (and extra header lines, each "Name: v\r\n").
std::string okResponse(std::string_view body, std::string_view extra_headers = "");
// A 200 with Transfer-Encoding: chunked, body sent as the given chunks, then the last chunk.
std::string chunkedResponse(const std::vector<std::string>& chunks,
                            std::string_view extra_headers = "");

}  // namespace cuttle::test
