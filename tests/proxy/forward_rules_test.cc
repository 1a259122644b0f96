#include "proxy/forward_rules.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cuttle::proxy {
namespace {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

constexpr HttpVersion k10{1, 0};
constexpr HttpVersion k11{1, 1};
constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

RequestHead makeRequest(std::string_view method, HttpVersion version, Fields fields) {
  RequestHead r;
  r.method_name = method;  // string literals: static storage
  r.method = parseMethod(method);
  r.version = version;
  for (const auto& [name, value] : fields) r.headers.addCopy(name, value);
  return r;
}

ResponseHead makeResponse(int status, std::string_view reason, HttpVersion version, Fields fields) {
  ResponseHead r;
  r.status = status;
  r.reason = reason;
  r.version = version;
  for (const auto& [name, value] : fields) r.headers.addCopy(name, value);
  return r;
}

Uri uriOf(std::string_view target) {
  Result<Uri> r = parseRequestTarget(target, false);
  EXPECT_TRUE(r.ok()) << target;
  return std::move(r).value();
}

const ViaOptions kVia{true, "proxy.test"};
const ViaOptions kNoVia{false, "proxy.test"};

std::string upstream(const RequestHead& req, std::string_view target,
                     BodyFraming body = {Framing::kNone, 0}, const ViaOptions& via = kVia,
                     const UpstreamRequestOptions& options = {}) {
  Uri uri = uriOf(target);
  std::string out;
  buildUpstreamRequest(req, uri, body, via, out, options);
  return out;
}

std::string clientResponse(const ResponseHead& resp, const ClientFraming& framing,
                           const RequestHead& req, const ViaOptions& via = kVia,
                           std::string_view extra = {}) {
  std::string out;
  buildClientResponse(resp, framing, req, via, kDate, out, extra);
  return out;
}

// ---- isHopByHopField ------------------------------------------------------------------------

TEST(ForwardRules, HopByHopFields) {
  HeaderList h;
  h.addCopy("Connection", "X-Secret, close");
  h.addCopy("x-secret", "1");
  h.addCopy("X-Public", "2");
  h.addCopy("Keep-Alive", "timeout=5");
  h.addCopy("Content-Length", "5");
  h.addCopy("Transfer-Encoding", "chunked");
  h.addCopy("Close", "not a field anyone should send");
  EXPECT_TRUE(isHopByHopField(h[0], h));  // Connection itself
  EXPECT_TRUE(isHopByHopField(h[1], h));  // named by Connection, case-insensitively
  EXPECT_FALSE(isHopByHopField(h[2], h));
  EXPECT_TRUE(isHopByHopField(h[3], h));
  EXPECT_TRUE(isHopByHopField(h[4], h));  // framing: regenerated
  EXPECT_TRUE(isHopByHopField(h[5], h));
  EXPECT_TRUE(isHopByHopField(h[6], h));  // "close" is a connection option, and names it
  HeaderList none;
  none.addCopy("X-Secret", "1");
  EXPECT_FALSE(isHopByHopField(none[0], none));
}

// ---- buildUpstreamRequest ---------------------------------------------------------------------

TEST(ForwardRules, UpstreamRequestLineAndHostFromTheUri) {
  RequestHead req = makeRequest("GET", k11, {{"Host", "wrong.example"}, {"Accept", "*/*"}});
  EXPECT_EQ(upstream(req, "http://Origin.Example:8080/p/q?x=1#frag"),
            "GET /p/q?x=1 HTTP/1.1\r\n"
            "Host: origin.example:8080\r\n"
            "Accept: */*\r\n"
            "Via: 1.1 proxy.test\r\n"
            "\r\n");
}

TEST(ForwardRules, UpstreamHostForDefaultPortIpv6AndBareQuery) {
  RequestHead req = makeRequest("GET", k11, {{"Host", "x"}});
  EXPECT_EQ(upstream(req, "http://a.example:80", {}, kNoVia),
            "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
  EXPECT_EQ(upstream(req, "http://[2001:db8::1]:8080?q", {}, kNoVia),
            "GET /?q HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n");
}

TEST(ForwardRules, UpstreamIsAlwaysHttp11AndHostIsAddedFor10Clients) {
  RequestHead req = makeRequest("GET", k10, {{"User-Agent", "old"}});
  EXPECT_EQ(upstream(req, "http://a/"),
            "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: old\r\nVia: 1.0 proxy.test\r\n\r\n");
}

TEST(ForwardRules, UpstreamKeepsMethodSpelling) {
  RequestHead req = makeRequest("PROPFIND", k11, {{"Host", "a"}});
  EXPECT_EQ(upstream(req, "http://a/dav/", {}, kNoVia),
            "PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(ForwardRules, UpstreamDropsHopByHopFields) {
  RequestHead req = makeRequest("GET", k11,
                                {{"Host", "a"},
                                 {"Connection", "keep-alive, X-Secret"},
                                 {"Keep-Alive", "timeout=5"},
                                 {"Proxy-Connection", "keep-alive"},
                                 {"TE", "trailers"},
                                 {"Trailer", "X-Sum"},
                                 {"Upgrade", "h2c"},
                                 {"Proxy-Authorization", "Basic Zm9vOmJhcg=="},
                                 {"Proxy-Authenticate", "Basic"},
                                 {"X-SECRET", "hidden"},
                                 {"X-Secret-Not", "visible"},
                                 {"Authorization", "Bearer t"}});
  EXPECT_EQ(upstream(req, "http://a/"),
            "GET / HTTP/1.1\r\nHost: a\r\nX-Secret-Not: visible\r\nAuthorization: Bearer t\r\n"
            "Via: 1.1 proxy.test\r\n\r\n");
}

TEST(ForwardRules, UpstreamFieldsNamedByAnyConnectionLineAreDropped) {
  RequestHead req = makeRequest(
      "GET", k11,
      {{"X-A", "1"}, {"Connection", "x-a"}, {"X-B", "2"}, {"connection", "X-B"}, {"X-C", "3"}});
  EXPECT_EQ(upstream(req, "http://a/", {}, kNoVia), "GET / HTTP/1.1\r\nHost: a\r\nX-C: 3\r\n\r\n");
}

TEST(ForwardRules, UpstreamKeepsOrderDuplicatesAndSpelling) {
  RequestHead req = makeRequest("GET", k11,
                                {{"x-b", "1"},
                                 {"Host", "a"},
                                 {"ACCEPT", "text/html"},
                                 {"x-b", "2"},
                                 {"Cookie", "a=1"},
                                 {"Cookie", "b=2"},
                                 {"Via", "1.1 first"},
                                 {"X-Empty", ""}});
  EXPECT_EQ(upstream(req, "http://a/"),
            "GET / HTTP/1.1\r\nHost: a\r\nx-b: 1\r\nACCEPT: text/html\r\nx-b: 2\r\n"
            "Cookie: a=1\r\nCookie: b=2\r\nVia: 1.1 first\r\nX-Empty: \r\n"
            "Via: 1.1 proxy.test\r\n\r\n");
}

TEST(ForwardRules, MaxForwardsIsDecrementedForOptionsAndTraceOnly) {
  // RFC 9110 7.6.2.
  for (std::string_view method : {"OPTIONS", "TRACE"}) {
    RequestHead req = makeRequest(method, k11, {{"Max-Forwards", "5"}, {"X", "y"}});
    EXPECT_EQ(upstream(req, "http://a/", {}, kNoVia),
              std::string(method) + " / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 4\r\nX: y\r\n\r\n");
    RequestHead one = makeRequest(method, k11, {{"max-forwards", "1"}});
    EXPECT_EQ(upstream(one, "http://a/", {}, kNoVia),
              std::string(method) + " / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\n\r\n");
  }
  RequestHead get = makeRequest("GET", k11, {{"Max-Forwards", "5"}});
  EXPECT_EQ(upstream(get, "http://a/", {}, kNoVia),
            "GET / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 5\r\n\r\n");
  RequestHead post = makeRequest("POST", k11, {{"Max-Forwards", "5"}});
  EXPECT_EQ(upstream(post, "http://a/", {}, kNoVia),
            "POST / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 5\r\n\r\n");
}

TEST(ForwardRules, ExpectIsDroppedFor10ClientsOnly) {
  // RFC 9110 10.1.1: a 100-continue expectation in an HTTP/1.0 request is to be ignored,
  // so it is not passed on.
  RequestHead old = makeRequest("POST", k10, {{"Expect", "100-continue"}, {"X", "1"}});
  EXPECT_EQ(upstream(old, "http://a/", {Framing::kLength, 2}, kNoVia),
            "POST / HTTP/1.1\r\nHost: a\r\nX: 1\r\nContent-Length: 2\r\n\r\n");
  RequestHead now = makeRequest("POST", k11, {{"Expect", "100-continue"}, {"X", "1"}});
  EXPECT_EQ(
      upstream(now, "http://a/", {Framing::kLength, 2}, kNoVia),
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nX: 1\r\nContent-Length: 2\r\n\r\n");
}

TEST(ForwardRules, UpstreamFramingIsRegenerated) {
  RequestHead cl = makeRequest("POST", k11, {{"content-length", "00010"}, {"X", "1"}});
  EXPECT_EQ(
      upstream(cl, "http://a/", {Framing::kLength, 10}),
      "POST / HTTP/1.1\r\nHost: a\r\nX: 1\r\nVia: 1.1 proxy.test\r\nContent-Length: 10\r\n\r\n");
  RequestHead te = makeRequest("PUT", k11, {{"Transfer-Encoding", "chunked"}, {"X", "1"}});
  EXPECT_EQ(upstream(te, "http://a/", {Framing::kChunked, 0}),
            "PUT / HTTP/1.1\r\nHost: a\r\nX: 1\r\nVia: 1.1 proxy.test\r\nTransfer-Encoding: "
            "chunked\r\n\r\n");
  RequestHead none = makeRequest("GET", k11, {});
  EXPECT_EQ(upstream(none, "http://a/", {Framing::kNone, 0}, kNoVia),
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(ForwardRules, ExplicitZeroContentLengthStaysExplicit) {
  RequestHead req = makeRequest("POST", k11, {{"Content-Length", "0"}});
  EXPECT_EQ(upstream(req, "http://a/", {Framing::kNone, 0}, kNoVia),
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  RequestHead two = makeRequest("POST", k11, {{"Content-Length", "0"}, {"Content-Length", "0"}});
  EXPECT_EQ(upstream(two, "http://a/", {Framing::kNone, 0}, kNoVia),
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
}

TEST(ForwardRules, UpstreamOptionsForTheCache) {
  RequestHead req = makeRequest("GET", k11,
                                {{"If-None-Match", "\"x\""},
                                 {"If-Modified-Since", kDate},
                                 {"If-Match", "*"},
                                 {"If-Unmodified-Since", kDate},
                                 {"If-Range", "\"x\""},
                                 {"Range", "bytes=0-1"},
                                 {"Accept", "*/*"}});
  UpstreamRequestOptions strip_all;
  strip_all.strip_conditionals = true;
  strip_all.strip_range = true;
  strip_all.extra_fields = "If-None-Match: \"stored\"\r\n";
  EXPECT_EQ(upstream(req, "http://a/", {}, kVia, strip_all),
            "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nIf-None-Match: \"stored\"\r\n"
            "Via: 1.1 proxy.test\r\n\r\n");
  UpstreamRequestOptions range_only;
  range_only.strip_range = true;
  EXPECT_EQ(
      upstream(req, "http://a/", {}, kNoVia, range_only),
      std::string("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: ") +
          std::string(kDate) + "\r\nIf-Match: *\r\nIf-Unmodified-Since: " + std::string(kDate) +
          "\r\nAccept: */*\r\n\r\n");
}

// ---- chooseClientFraming ----------------------------------------------------------------------

TEST(ForwardRules, ClientFramingForEveryUpstreamFramingAndVersion) {
  const ResponseHead resp = makeResponse(200, "OK", k11, {});
  struct Case {
    Framing upstream;
    HttpVersion client;
    bool client_keep_alive;
    Framing kind;
    bool keep_alive;
  };
  const Case cases[] = {
      {Framing::kNone, k11, true, Framing::kNone, true},
      {Framing::kNone, k11, false, Framing::kNone, false},
      {Framing::kNone, k10, true, Framing::kNone, true},
      {Framing::kNone, k10, false, Framing::kNone, false},
      {Framing::kLength, k11, true, Framing::kLength, true},
      {Framing::kLength, k11, false, Framing::kLength, false},
      {Framing::kLength, k10, true, Framing::kLength, true},
      {Framing::kLength, k10, false, Framing::kLength, false},
      // HTTP/1.1 clients get chunked; HTTP/1.0 clients never do: close-delimited instead.
      {Framing::kChunked, k11, true, Framing::kChunked, true},
      {Framing::kChunked, k11, false, Framing::kChunked, false},
      {Framing::kChunked, k10, true, Framing::kUntilClose, false},
      {Framing::kChunked, k10, false, Framing::kUntilClose, false},
      // A close-delimited upstream body can be re-framed as chunked, keeping the client.
      {Framing::kUntilClose, k11, true, Framing::kChunked, true},
      {Framing::kUntilClose, k11, false, Framing::kChunked, false},
      {Framing::kUntilClose, k10, true, Framing::kUntilClose, false},
      {Framing::kUntilClose, k10, false, Framing::kUntilClose, false},
      {Framing::kTunnel, k11, true, Framing::kTunnel, false},
      {Framing::kTunnel, k10, true, Framing::kTunnel, false},
  };
  for (const Case& c : cases) {
    RequestHead req = makeRequest("GET", c.client, {});
    ClientFraming f =
        chooseClientFraming(req, resp, BodyFraming{c.upstream, 1234}, c.client_keep_alive);
    SCOPED_TRACE(testing::Message() << "upstream " << int(c.upstream) << " client 1."
                                    << int(c.client.minor) << " keep " << c.client_keep_alive);
    EXPECT_EQ(f.kind, c.kind);
    EXPECT_EQ(f.keep_alive, c.keep_alive);
    EXPECT_EQ(f.length, c.kind == Framing::kLength ? 1234u : 0u);
  }
}

// ---- buildClientResponse ----------------------------------------------------------------------

TEST(ForwardRules, ClientResponseDropsHopByHopAndKeepsTheRest) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead resp = makeResponse(200, "Fine", k11,
                                   {{"Content-Type", "text/html"},
                                    {"Connection", "close, X-Hop"},
                                    {"X-Hop", "1"},
                                    {"Keep-Alive", "timeout=3"},
                                    {"Transfer-Encoding", "chunked"},
                                    {"Set-Cookie", "a=1"},
                                    {"Proxy-Authenticate", "Basic"},
                                    {"Trailer", "X-Sum"},
                                    {"Upgrade", "h2"},
                                    {"set-cookie", "b=2"},
                                    {"Date", "Mon, 07 Nov 1994 08:49:37 GMT"},
                                    {"Via", "1.1 origin-side"}});
  EXPECT_EQ(clientResponse(resp, {Framing::kChunked, 0, true}, req),
            "HTTP/1.1 200 Fine\r\n"
            "Content-Type: text/html\r\n"
            "Set-Cookie: a=1\r\n"
            "set-cookie: b=2\r\n"
            "Date: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
            "Via: 1.1 origin-side\r\n"
            "Via: 1.1 proxy.test\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n");
}

TEST(ForwardRules, ClientResponseAddsDateOnlyWhenMissing) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead without = makeResponse(200, "OK", k11, {{"X", "1"}});
  EXPECT_EQ(clientResponse(without, {Framing::kLength, 3, true}, req, kNoVia),
            "HTTP/1.1 200 OK\r\nX: 1\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: "
            "3\r\n\r\n");
  ResponseHead with = makeResponse(200, "OK", k11, {{"date", "Tue, 08 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(clientResponse(with, {Framing::kLength, 3, true}, req, kNoVia),
            "HTTP/1.1 200 OK\r\ndate: Tue, 08 Nov 1994 08:49:37 GMT\r\nContent-Length: 3\r\n\r\n");
}

TEST(ForwardRules, ClientResponseViaCarriesTheOriginsVersion) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead old = makeResponse(200, "OK", k10, {{"Date", "d"}});
  EXPECT_EQ(clientResponse(old, {Framing::kLength, 1, true}, req),
            "HTTP/1.1 200 OK\r\nDate: d\r\nVia: 1.0 proxy.test\r\nContent-Length: 1\r\n\r\n");
  ResponseHead now = makeResponse(200, "OK", k11, {{"Date", "d"}});
  EXPECT_EQ(clientResponse(now, {Framing::kLength, 1, true}, req),
            "HTTP/1.1 200 OK\r\nDate: d\r\nVia: 1.1 proxy.test\r\nContent-Length: 1\r\n\r\n");
}

TEST(ForwardRules, ClientResponseConnectionField) {
  ResponseHead resp = makeResponse(200, "OK", k11, {{"Date", "d"}, {"Connection", "keep-alive"}});
  RequestHead r11 = makeRequest("GET", k11, {});
  RequestHead r10 = makeRequest("GET", k10, {});
  EXPECT_EQ(clientResponse(resp, {Framing::kLength, 1, true}, r11, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 1\r\n\r\n");
  EXPECT_EQ(clientResponse(resp, {Framing::kLength, 1, false}, r11, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 1\r\nConnection: close\r\n\r\n");
  // HTTP/1.0 clients persist only when told so (RFC 9112 9.3).
  EXPECT_EQ(clientResponse(resp, {Framing::kLength, 1, true}, r10, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(clientResponse(resp, {Framing::kUntilClose, 0, false}, r10, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nConnection: close\r\n\r\n");
}

TEST(ForwardRules, ClientResponseReasonPhrase) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead empty = makeResponse(404, "", k11, {{"Date", "d"}});
  EXPECT_EQ(clientResponse(empty, {Framing::kNone, 0, true}, req, kNoVia),
            "HTTP/1.1 404 Not Found\r\nDate: d\r\n\r\n");
  ResponseHead custom = makeResponse(404, "Nope", k11, {{"Date", "d"}});
  EXPECT_EQ(clientResponse(custom, {Framing::kNone, 0, true}, req, kNoVia),
            "HTTP/1.1 404 Nope\r\nDate: d\r\n\r\n");
}

TEST(ForwardRules, HeadAnd304KeepContentLength204DoesNot) {
  // RFC 9110 8.6: HEAD and 304 may carry the Content-Length of the selected representation;
  // a 204 must not have one.
  RequestHead head = makeRequest("HEAD", k11, {});
  ResponseHead h200 = makeResponse(200, "OK", k11, {{"Content-Length", "1234"}, {"Date", "d"}});
  EXPECT_EQ(clientResponse(h200, {Framing::kNone, 0, true}, head, kNoVia),
            "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDate: d\r\n\r\n");
  RequestHead get = makeRequest("GET", k11, {});
  ResponseHead r304 = makeResponse(304, "Not Modified", k11,
                                   {{"ETag", "\"e\""}, {"Content-Length", "99"}, {"Date", "d"}});
  EXPECT_EQ(clientResponse(r304, {Framing::kNone, 0, true}, get, kNoVia),
            "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\nContent-Length: 99\r\nDate: d\r\n\r\n");
  ResponseHead r204 =
      makeResponse(204, "No Content", k11, {{"Content-Length", "0"}, {"Date", "d"}});
  EXPECT_EQ(clientResponse(r204, {Framing::kNone, 0, true}, get, kNoVia),
            "HTTP/1.1 204 No Content\r\nDate: d\r\n\r\n");
  // An empty 200 keeps its explicit zero length.
  ResponseHead empty = makeResponse(200, "OK", k11, {{"Content-Length", "0"}, {"Date", "d"}});
  EXPECT_EQ(clientResponse(empty, {Framing::kNone, 0, true}, get, kNoVia),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: d\r\n\r\n");
}

TEST(ForwardRules, ClientResponseRegeneratesContentLength) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead resp = makeResponse(200, "OK", k11, {{"Content-Length", "007"}, {"Date", "d"}});
  EXPECT_EQ(clientResponse(resp, {Framing::kLength, 7, true}, req, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 7\r\n\r\n");
  // Re-framed as chunked for a 1.1 client: no Content-Length at all.
  ResponseHead until_close = makeResponse(200, "OK", k10, {{"Date", "d"}});
  EXPECT_EQ(clientResponse(until_close, {Framing::kChunked, 0, true}, req, kNoVia),
            "HTTP/1.1 200 OK\r\nDate: d\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ForwardRules, ClientResponseExtraFieldsGoAfterVia) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead resp = makeResponse(200, "OK", k11, {{"Date", "d"}});
  EXPECT_EQ(
      clientResponse(resp, {Framing::kLength, 1, true}, req, kVia,
                     "Cache-Status: cuttle; fwd=miss\r\n"),
      "HTTP/1.1 200 OK\r\nDate: d\r\nVia: 1.1 proxy.test\r\nCache-Status: cuttle; fwd=miss\r\n"
      "Content-Length: 1\r\n\r\n");
}

TEST(ForwardRules, ClientResponseAppendsToOut) {
  RequestHead req = makeRequest("GET", k11, {});
  ResponseHead resp = makeResponse(200, "OK", k11, {{"Date", "d"}});
  std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
  buildClientResponse(resp, {Framing::kLength, 0, true}, req, kNoVia, kDate, out);
  EXPECT_EQ(out,
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 0\r\n\r\n");
}

// ---- interim responses ------------------------------------------------------------------------

TEST(ForwardRules, InterimResponse) {
  std::string out;
  buildInterimResponse(makeResponse(100, "", k11, {}), out);
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  out.clear();
  buildInterimResponse(makeResponse(103, "Early Hints", k11,
                                    {{"Link", "</a.css>; rel=preload"},
                                     {"Connection", "keep-alive"},
                                     {"Keep-Alive", "timeout=1"}}),
                       out);
  EXPECT_EQ(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
}

// ---- chunked coding ---------------------------------------------------------------------------

TEST(ForwardRules, AppendChunk) {
  std::string out;
  appendChunk(out, "hello");
  EXPECT_EQ(out, "5\r\nhello\r\n");
  appendChunk(out, "");  // nothing: a zero-size chunk would end the body
  EXPECT_EQ(out, "5\r\nhello\r\n");
  out.clear();
  appendChunk(out, std::string(300, 'x'));
  EXPECT_EQ(out, "12c\r\n" + std::string(300, 'x') + "\r\n");
  out.clear();
  appendChunk(out, std::string(16, 'y'));
  EXPECT_EQ(out, "10\r\n" + std::string(16, 'y') + "\r\n");
}

TEST(ForwardRules, AppendLastChunkFiltersTrailers) {
  std::string out;
  appendLastChunk(out, HeaderList());
  EXPECT_EQ(out, "0\r\n\r\n");
  HeaderList trailers;
  trailers.addCopy("X-Checksum", "abc");
  trailers.addCopy("Content-Length", "5");
  trailers.addCopy("Transfer-Encoding", "chunked");
  trailers.addCopy("Connection", "X-Private");
  trailers.addCopy("x-private", "1");
  trailers.addCopy("Host", "evil.example");
  trailers.addCopy("Trailer", "X-Checksum");
  trailers.addCopy("Keep-Alive", "timeout=1");
  trailers.addCopy("TE", "trailers");
  trailers.addCopy("Server-Timing", "db;dur=53");
  out.clear();
  appendLastChunk(out, trailers);
  EXPECT_EQ(out, "0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=53\r\n\r\n");
}

}  // namespace
}  // namespace cuttle::proxy
