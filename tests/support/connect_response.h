// Reading the answer to a CONNECT request. RFC 9112 6.3 (2): a 2xx response to CONNECT has
// no content; the connection becomes a tunnel right after the head, so the bytes after it
// are tunnel data. readHttpResponse() (http_wire.h) knows nothing of the request's method
// beyond HEAD and would read a 200 to CONNECT "until close", swallowing tunnel bytes.
//
// readConnectResponse() reads one response head (1xx interim responses are not expected
// and are returned as the response); a 2xx ends with its head (complete=true, body empty,
// following bytes left buffered in the stream); any other status has its body read by
// Content-Length, chunked coding or until close. Waits are bounded as in SocketStream.
#pragma once

#include "tests/support/http_wire.h"
#include "tests/support/socket_stream.h"

namespace cuttle::test {

HttpResponse readConnectResponse(SocketStream& s);

}  // namespace cuttle::test
