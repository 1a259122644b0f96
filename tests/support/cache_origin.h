// Helpers for the cache end-to-end tests (tests/e2e/cache_*_test.cc): scripted origins that
// answer per request, counting what reached the origin per target, HTTP dates, deterministic
// bodies, multipart/byteranges parsing and squid access-log result codes.
//
// Contract:
//   - Everything here is independent of cuttle's own code (dates, multipart and log parsing
//     are written again), so that the tests do not share the bugs of what they check.
//   - Handlers run on the origin's connection threads (see origin_server.h); the functions
//     given to them must be thread-safe.
//   - Every wait is bounded by kSafetyTimeout; a timeout reports a gtest failure and returns
//     false. No wait is an assertion about speed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/cuttle_process.h"
#include "tests/support/http_wire.h"
#include "tests/support/origin_server.h"
#include "tests/support/raw_client.h"

namespace cuttle::test {

// ---- origins ---------------------------------------------------------------------------------

// A handler that answers every request of a connection with respond(request), in a loop,
// until the peer closes. The response is written as returned (raw bytes); an empty string
// closes the connection without an answer. The connection also closes after a response
// when the request or the response says "Connection: close".
using Responder = std::function<std::string(const HttpRequest&)>;
OriginServer::Handler scripted(Responder respond);

// A complete response with Content-Length: "HTTP/1.1 <status> <reason>", the extra field
// lines (each ending in CRLF), then the body.
std::string response(int status, std::string_view reason, std::string_view fields,
                     std::string_view body);

// Requests the origin read (through OriginConnection::readRequest) whose target is exactly
// `target` ("/a"), in the order they were read.
std::vector<HttpRequest> requestsFor(const OriginServer& origin, std::string_view target);
size_t countRequests(const OriginServer& origin, std::string_view target);

// ---- time ------------------------------------------------------------------------------------

int64_t unixNow();
// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string httpDate(int64_t unix_seconds);

// ---- messages --------------------------------------------------------------------------------

// True when v is 1*DIGIT (a delta-seconds value such as Age, RFC 9111 1.2.2).
bool isDeltaSeconds(std::string_view v);

// Deterministic bytes of the given size for a seed (all byte values occur, so that a body
// mixed up with another one or shifted is detected).
std::string patternBody(uint64_t seed, size_t size);

// One part of a multipart/byteranges body (RFC 9110 14.6).
struct BytePart {
  Fields fields;
  std::string data;
};
// The boundary parameter of a Content-Type ("" when absent); quotes removed.
std::string boundaryOf(std::string_view content_type);
// Splits a multipart/byteranges body into its parts. False with *error when the body does
// not follow RFC 2046 5.1.1 framing (delimiters, CRLFs, close delimiter).
bool parseByteranges(std::string_view body, std::string_view boundary, std::vector<BytePart>* parts,
                     std::string* error);

// ---- proxy -----------------------------------------------------------------------------------

// "code/status" of each line of a squid native access log ("TCP_MISS/200"), in order.
std::vector<std::string> accessResults(const CuttleProcess& proxy);
// Waits (bounded) for n access log lines, then returns accessResults().
std::vector<std::string> waitForAccessResults(CuttleProcess& proxy, size_t n);

// GET url through the proxy on a fresh connection, with extra field lines.
HttpResponse get(const CuttleProcess& proxy, std::string_view url, std::string_view extra = "");

// Polls pred() until it holds, with short pauses, bounded by `bound` (default
// kSafetyTimeout). For conditions nothing signals (a file's contents); false on timeout,
// without a gtest failure (the caller decides).
bool pollUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound = kSafetyTimeout);

// True when the file at path contains needle.
bool fileContains(const std::string& path, std::string_view needle);

// "cache_dir lmdb <dir>/cache 64\n": a persistent cache under dir.
std::string cacheDirLine(const std::string& dir);

}  // namespace cuttle::test
