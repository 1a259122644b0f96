// RawClient: a blocking TCP client to the proxy that sends exact bytes and reads responses
// exactly as they arrive, for wire-level assertions.
//
// Contract:
//   - Connects to 127.0.0.1:port in the constructor (a failure is reported to gtest and
//     connected() is false).
//   - readResponse() parses exactly one HTTP/1.1 response (1xx interim responses are
//     collected in HttpResponse::interim, see http_wire.h) and leaves any following bytes
//     buffered for the next call. Pass the request method so that a response to HEAD is
//     read without a body.
//   - Every wait is bounded by the safety timeout (kSafetyTimeout): a timeout reports a gtest
//     failure and returns what arrived. It never asserts speed.
//   - raw() is every byte received on the connection so far.
//   - Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/support/http_wire.h"
#include "tests/support/socket_stream.h"

namespace cuttle::test {

class RawClient {
 public:
  explicit RawClient(uint16_t port);

  bool connected() const { return stream_.valid(); }
  // Sends bytes as they are (one write call loop; the kernel may still coalesce or split).
  bool send(std::string_view bytes);
  // Half-close: FIN towards the proxy.
  void closeWrite() { stream_.closeWrite(); }
  void close() { stream_.close(); }

  HttpResponse readResponse(std::string_view request_method = "GET");
  // Everything until the proxy closes (bounded). Includes bytes already buffered.
  std::string readAll();
  // Waits (bounded) until the proxy closes the connection. True when it did without sending
  // anything more; any bytes that arrived instead go to *extra (when given) and make the
  // result false.
  bool isClosedByPeer(std::string* extra = nullptr);
  // EOF (or reset) already seen, without waiting.
  bool eofSeen() const { return stream_.eof(); }

  const std::string& raw() const { return stream_.received(); }
  SocketStream& stream() { return stream_; }

 private:
  SocketStream stream_;
};

// Sends one request on a fresh connection and reads one response (for simple cases).
HttpResponse fetch(uint16_t proxy_port, std::string_view request,
                   std::string_view request_method = "GET");

// "GET <url> HTTP/1.1\r\nHost: <authority of url>\r\n<extra>\r\n": a well-formed
// absolute-form request. extra: further field lines, each ending in CRLF.
std::string getRequest(std::string_view url, std::string_view extra = "",
                       std::string_view method = "GET", std::string_view version = "HTTP/1.1");

}  // namespace cuttle::test
