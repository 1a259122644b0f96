// Message framing and persistence decisions (RFC 9112 6 and 9.3), as pure functions of a
// parsed head. The message reader enforces them; the proxy uses them to pick the framing of
// what it sends.
#pragma once

#include <cstdint>

#include "common/error.h"
#include "common/message.h"

namespace cuttle {

enum class Framing : uint8_t {
  kNone,        // no body
  kLength,      // Content-Length bytes
  kChunked,     // chunked transfer coding, then trailers
  kUntilClose,  // responses only: the body ends when the connection closes
  kTunnel,      // CONNECT or 101: the bytes that follow are not HTTP
};

struct BodyFraming {
  Framing kind = Framing::kNone;
  uint64_t length = 0;  // for kLength
};

// The framing of a request body, or why the request is unacceptable: both Content-Length
// and Transfer-Encoding, an invalid Content-Length, Transfer-Encoding in HTTP/1.0, or one
// that is not exactly "chunked" (400; 501 for a coding cuttle does not implement).
Result<BodyFraming> requestFraming(const RequestHead& head);

// The framing of a response to a request with `request_method` (RFC 9112 6.3). Errors are
// upstream errors (502).
Result<BodyFraming> responseFraming(const ResponseHead& head, Method request_method);

// Checks of a request head that are not about framing: supported version, exactly one
// Host for HTTP/1.1 (RFC 9112 3.2), at most one Host otherwise.
Status validateRequestHead(const RequestHead& head);

// Whether the connection may carry another message after this one (RFC 9112 9.3):
// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive" (or
// "Proxy-Connection: keep-alive", which old clients send to proxies).
bool requestWantsKeepAlive(const RequestHead& head);
bool responseAllowsKeepAlive(const ResponseHead& head, const BodyFraming& framing);

}  // namespace cuttle
