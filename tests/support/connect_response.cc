#include "tests/support/connect_response.h"

#include <cstdlib>

namespace cuttle::test {

HttpResponse readConnectResponse(SocketStream& s) {
  HttpResponse r;
  std::string head;
  if (!s.readUntil("\r\n\r\n", &head, "the response to CONNECT")) {
    r.raw = s.takeBuffered();
    r.error = r.raw.empty() ? "connection closed before a response" : "incomplete response head";
    return r;
  }
  r.raw = head;
  r.head = head;
  std::string line;
  if (!parseHead(head, &line, &r.headers, &r.error)) return r;
  const size_t sp = line.find(' ');
  if (sp == std::string::npos || line.size() < sp + 4) {
    r.error = "bad status line: " + line;
    return r;
  }
  r.version = line.substr(0, sp);
  r.status = std::atoi(line.substr(sp + 1, 3).c_str());
  r.reason = line.size() > sp + 5 ? line.substr(sp + 5) : std::string();
  r.ok = true;
  if (r.status >= 200 && r.status < 300) {
    r.complete = true;  // the tunnel starts here
    return r;
  }
  if (listHasToken(r.headers.get("Transfer-Encoding"), "chunked")) {
    r.body_kind = BodyKind::kChunked;
    r.complete = readChunkedBody(s, &r.raw_body, &r.body, &r.trailers, &r.saw_last_chunk, &r.error);
  } else if (r.headers.has("Content-Length")) {
    r.body_kind = BodyKind::kLength;
    const size_t length = std::strtoull(r.headers.get("Content-Length").c_str(), nullptr, 10);
    r.complete = s.readExactly(length, &r.raw_body, "the body of the response to CONNECT");
    r.body = r.raw_body;
  } else {
    r.body_kind = BodyKind::kUntilClose;
    r.complete = s.readToEof(&r.raw_body, "the body of the response to CONNECT");
    r.body = r.raw_body;
  }
  r.raw += r.raw_body;
  return r;
}

}  // namespace cuttle::test
