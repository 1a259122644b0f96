// Minimal HTTP/1.1 message reading for the test harness: deliberately simple and separate
// from cuttle's own parser (common/message_reader.h), so that the tests do not share the
// bugs of the code they check.
//
// Both readers take bytes from a SocketStream and keep the exact raw bytes of what they
// consumed, so tests can assert on the wire. They are tolerant: they split lines on CRLF,
// keep header names and values as sent (value trimmed of surrounding spaces and tabs), and
// report what they could not parse through `ok`/`error` instead of failing the test
// themselves (except for the stream's safety timeout, see socket_stream.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/socket_stream.h"

namespace cuttle::test {

// Header fields in received order, duplicates kept, names as spelled.
struct Fields {
  std::vector<std::pair<std::string, std::string>> list;

  // The first value of `name` (case-insensitive), or "" when absent.
  std::string get(std::string_view name) const;
  bool has(std::string_view name) const;
  size_t count(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> all(std::string_view name) const;
  // Names in order, as spelled (for order assertions).
  std::vector<std::string> names() const;
};

// True if a comma-separated field value (e.g. Connection) lists token (case-insensitive).
bool listHasToken(std::string_view value, std::string_view token);

enum class BodyKind { kNone, kLength, kChunked, kUntilClose };

struct HttpRequest {
  bool ok = false;    // a whole request was read and parsed
  std::string error;  // why not, when !ok
  std::string raw;    // every byte of the request as received
  std::string head;   // request line and fields, with the final CRLFCRLF
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.1"
  Fields headers;
  BodyKind body_kind = BodyKind::kNone;
  std::string body;      // decoded
  std::string raw_body;  // as on the wire (chunk framing included)
  Fields trailers;
};

struct HttpResponse {
  bool ok = false;        // a status line and fields were read and parsed
  bool complete = false;  // the body ended as its framing says (for kUntilClose: EOF)
  std::string error;
  std::string raw;                   // every byte of this response, interim responses included
  std::vector<std::string> interim;  // raw bytes of each 1xx response before the final one
  std::vector<int> interim_status;
  std::string head;     // the final response's status line and fields, with CRLFCRLF
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  Fields headers;
  BodyKind body_kind = BodyKind::kNone;
  std::string body;      // decoded (what arrived, also when incomplete)
  std::string raw_body;  // as on the wire
  Fields trailers;
  bool saw_last_chunk = false;  // chunked: the terminating 0-size chunk arrived
};

// Splits a head (without the CRLFCRLF, or with it) into its first line and fields.
// False with *error set when a line is not "name: value" or a CRLF is missing.
bool parseHead(std::string_view head, std::string* first_line, Fields* fields, std::string* error);

// Reads one request: head, then the body by Content-Length or chunked (with trailers).
// A request with neither has no body. Returns ok=false (with what was read in raw) when the
// stream ends first or a line does not parse.
HttpRequest readHttpRequest(SocketStream& s);

// Reads one response to a request with method `request_method` ("HEAD" gets no body):
// any 1xx interim responses first (kept in interim), then the final response and its
// body by the RFC 9112 6.3 rules (1xx/204/304/HEAD: none; chunked; Content-Length;
// otherwise until close).
HttpResponse readHttpResponse(SocketStream& s, std::string_view request_method = "GET");

// Reads a chunked body; appends raw bytes to *raw and decoded ones to *body. True when
// the last chunk and the trailer section arrived.
bool readChunkedBody(SocketStream& s, std::string* raw, std::string* body, Fields* trailers,
                     bool* saw_last_chunk, std::string* error);

// Encodes `body` as one chunk plus the last chunk (no trailers).
std::string chunked(std::string_view body);

}  // namespace cuttle::test
