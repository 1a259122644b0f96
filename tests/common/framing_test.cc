#include "common/framing.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <utility>

namespace cuttle {
namespace {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

constexpr HttpVersion k10{1, 0};
constexpr HttpVersion k11{1, 1};

RequestHead makeRequest(Method method, HttpVersion version, Fields fields) {
  RequestHead r;
  r.method = method;
  r.version = version;
  for (const auto& [name, value] : fields) r.headers.addCopy(name, value);
  return r;
}

RequestHead post(Fields fields, HttpVersion version = k11) {
  return makeRequest(Method::kPost, version, fields);
}

ResponseHead makeResponse(int status, HttpVersion version, Fields fields) {
  ResponseHead r;
  r.status = status;
  r.version = version;
  for (const auto& [name, value] : fields) r.headers.addCopy(name, value);
  return r;
}

void expectFraming(const Result<BodyFraming>& r, Framing kind, uint64_t length = 0) {
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_EQ(r->kind, kind);
  EXPECT_EQ(r->length, length);
}

void expectRequestError(const Result<BodyFraming>& r, ErrorCode code) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().cause;
  EXPECT_EQ(r.error().side, Side::kClient);
  EXPECT_FALSE(r.error().cause.empty());
}

void expectResponseError(const Result<BodyFraming>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << r.error().cause;
  EXPECT_EQ(r.error().side, Side::kUpstream);
  EXPECT_FALSE(r.error().cause.empty());
}

// ---- requestFraming: RFC 9112 6.1 and 6.3 --------------------------------------------------

TEST(RequestFraming, NoFramingFieldsMeansNoBody) {
  // RFC 9112 6.3 rule 7: a request with neither field has a zero-length body.
  expectFraming(requestFraming(makeRequest(Method::kGet, k11, {{"Host", "a"}})), Framing::kNone);
  expectFraming(requestFraming(post({})), Framing::kNone);
  expectFraming(requestFraming(post({}, k10)), Framing::kNone);
}

TEST(RequestFraming, ContentLength) {
  expectFraming(requestFraming(post({{"Content-Length", "10"}})), Framing::kLength, 10);
  expectFraming(requestFraming(post({{"content-length", "10"}}, k10)), Framing::kLength, 10);
  expectFraming(requestFraming(post({{"Content-Length", "0"}})), Framing::kNone);
  expectFraming(requestFraming(post({{"Content-Length", "000"}})), Framing::kNone);
  expectFraming(requestFraming(post({{"Content-Length", "007"}})), Framing::kLength, 7);
  expectFraming(requestFraming(post({{"Content-Length", "18446744073709551615"}})),
                Framing::kLength, UINT64_MAX);
  // A GET may have content too: its length is still honoured for framing.
  expectFraming(requestFraming(makeRequest(Method::kGet, k11, {{"Content-Length", "3"}})),
                Framing::kLength, 3);
}

TEST(RequestFraming, IdenticalDuplicateContentLengthIsOneLength) {
  // RFC 9110 8.6 allows treating repeated identical values as one.
  expectFraming(requestFraming(post({{"Content-Length", "5"}, {"Content-Length", "5"}})),
                Framing::kLength, 5);
}

TEST(RequestFraming, InvalidContentLengthIs400) {
  for (std::string_view v : {"", "abc", "+5", "-5", "0x10", "a5", "5a", "5.0", "5 5", "5,5", "5, 5",
                             "1e3", "18446744073709551616", "99999999999999999999999"}) {
    expectRequestError(requestFraming(post({{"Content-Length", v}})), ErrorCode::kBadRequest);
  }
}

TEST(RequestFraming, DifferingDuplicateContentLengthIs400) {
  expectRequestError(requestFraming(post({{"Content-Length", "5"}, {"Content-Length", "6"}})),
                     ErrorCode::kBadRequest);
  expectRequestError(requestFraming(post({{"Content-Length", "0"}, {"Content-Length", "5"}})),
                     ErrorCode::kBadRequest);
  expectRequestError(requestFraming(post({{"Content-Length", "5"}, {"Content-Length", "x"}})),
                     ErrorCode::kBadRequest);
  expectRequestError(requestFraming(post({{"Content-Length", "5"}, {"Content-Length", ""}})),
                     ErrorCode::kBadRequest);
}

TEST(RequestFraming, Chunked) {
  expectFraming(requestFraming(post({{"Transfer-Encoding", "chunked"}})), Framing::kChunked);
  expectFraming(requestFraming(post({{"transfer-encoding", "CHUNKED"}})), Framing::kChunked);
  // Empty list elements and extra field lines do not matter (RFC 9110 5.6.1).
  expectFraming(requestFraming(post({{"Transfer-Encoding", " , chunked ,"}})), Framing::kChunked);
  expectFraming(requestFraming(post({{"Transfer-Encoding", ""}, {"Transfer-Encoding", "chunked"}})),
                Framing::kChunked);
}

TEST(RequestFraming, ContentLengthWithTransferEncodingIs400) {
  // RFC 9112 6.1: a server MAY reject such a request; cuttle does (smuggling).
  expectRequestError(
      requestFraming(post({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}})),
      ErrorCode::kBadRequest);
  expectRequestError(
      requestFraming(post({{"Transfer-Encoding", "chunked"}, {"Content-Length", "0"}})),
      ErrorCode::kBadRequest);
  expectRequestError(
      requestFraming(post({{"Transfer-Encoding", "chunked"}, {"Content-Length", "x"}})),
      ErrorCode::kBadRequest);
}

TEST(RequestFraming, TransferEncodingInHttp10Is400) {
  // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  expectRequestError(requestFraming(post({{"Transfer-Encoding", "chunked"}}, k10)),
                     ErrorCode::kBadRequest);
}

TEST(RequestFraming, ChunkedNotFinalIs400) {
  // RFC 9112 6.3 rule 4: chunked not final in a request: 400.
  for (std::string_view te : {"gzip", "chunked, gzip", "identity", "chunked;q=1", "chunked , x"}) {
    expectRequestError(requestFraming(post({{"Transfer-Encoding", te}})), ErrorCode::kBadRequest);
  }
  expectRequestError(
      requestFraming(post({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "gzip"}})),
      ErrorCode::kBadRequest);
}

TEST(RequestFraming, ChunkedTwiceIs400) {
  // RFC 9112 6.1: chunked MUST NOT be applied more than once.
  expectRequestError(requestFraming(post({{"Transfer-Encoding", "chunked, chunked"}})),
                     ErrorCode::kBadRequest);
  expectRequestError(
      requestFraming(post({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "Chunked"}})),
      ErrorCode::kBadRequest);
}

TEST(RequestFraming, EmptyTransferEncodingIs400) {
  expectRequestError(requestFraming(post({{"Transfer-Encoding", ""}})), ErrorCode::kBadRequest);
  expectRequestError(requestFraming(post({{"Transfer-Encoding", " , ,"}})), ErrorCode::kBadRequest);
}

TEST(RequestFraming, UnimplementedCodingBeforeChunkedIs501) {
  // RFC 9112 6.1: a server that receives a transfer coding it does not understand SHOULD
  // answer 501.
  for (std::string_view te : {"gzip, chunked", "x-custom, chunked", "deflate,chunked"}) {
    expectRequestError(requestFraming(post({{"Transfer-Encoding", te}})),
                       ErrorCode::kNotImplemented);
  }
  expectRequestError(
      requestFraming(post({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}})),
      ErrorCode::kNotImplemented);
}

TEST(RequestFraming, ConnectIsATunnel) {
  expectFraming(requestFraming(makeRequest(Method::kConnect, k11, {{"Host", "a:443"}})),
                Framing::kTunnel);
  expectFraming(requestFraming(makeRequest(Method::kConnect, k11, {{"Content-Length", "0"}})),
                Framing::kTunnel);
}

TEST(RequestFraming, ConnectWithABodyIsRefused) {
  // RFC 9110 9.3.6: a CONNECT request has no content; what follows the head is tunnel data.
  // One that claims a body leaves it ambiguous where the tunnel starts.
  for (Fields f : {Fields{{"Content-Length", "5"}}, Fields{{"Transfer-Encoding", "chunked"}}}) {
    auto r = requestFraming(makeRequest(Method::kConnect, k11, f));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  }
}

// ---- responseFraming: RFC 9112 6.3 --------------------------------------------------------

TEST(ResponseFraming, HeadResponsesHaveNoBody) {
  // Rule 1: whatever the fields say.
  for (Fields f : {Fields{{"Content-Length", "100"}}, Fields{{"Transfer-Encoding", "chunked"}},
                   Fields{}, Fields{{"Content-Length", "bogus"}}}) {
    expectFraming(responseFraming(makeResponse(200, k11, f), Method::kHead), Framing::kNone);
    expectFraming(responseFraming(makeResponse(404, k10, f), Method::kHead), Framing::kNone);
  }
}

TEST(ResponseFraming, InformationalNoContentAndNotModifiedHaveNoBody) {
  for (int status : {100, 102, 103, 199, 204, 304}) {
    expectFraming(
        responseFraming(makeResponse(status, k11, {{"Content-Length", "10"}}), Method::kGet),
        Framing::kNone);
    expectFraming(responseFraming(makeResponse(status, k11, {{"Transfer-Encoding", "chunked"}}),
                                  Method::kGet),
                  Framing::kNone);
    expectFraming(responseFraming(makeResponse(status, k11, {}), Method::kPost), Framing::kNone);
  }
}

TEST(ResponseFraming, SwitchingProtocolsIsATunnel) {
  expectFraming(responseFraming(makeResponse(101, k11, {{"Upgrade", "websocket"}}), Method::kGet),
                Framing::kTunnel);
}

TEST(ResponseFraming, ConnectSuccessIsATunnel) {
  // Rule 2: any 2xx response to CONNECT; its framing fields are ignored.
  for (int status : {200, 204, 299}) {
    expectFraming(
        responseFraming(makeResponse(status, k11, {{"Content-Length", "10"}}), Method::kConnect),
        Framing::kTunnel);
    expectFraming(responseFraming(makeResponse(status, k11, {}), Method::kConnect),
                  Framing::kTunnel);
  }
  // A refused CONNECT is an ordinary response with a body.
  expectFraming(
      responseFraming(makeResponse(407, k11, {{"Content-Length", "4"}}), Method::kConnect),
      Framing::kLength, 4);
  expectFraming(responseFraming(makeResponse(502, k11, {}), Method::kConnect),
                Framing::kUntilClose);
}

TEST(ResponseFraming, ContentLength) {
  expectFraming(responseFraming(makeResponse(200, k11, {{"Content-Length", "42"}}), Method::kGet),
                Framing::kLength, 42);
  expectFraming(responseFraming(makeResponse(200, k10, {{"Content-Length", "42"}}), Method::kPost),
                Framing::kLength, 42);
  expectFraming(responseFraming(makeResponse(500, k11, {{"Content-Length", "0"}}), Method::kGet),
                Framing::kNone);
  expectFraming(
      responseFraming(makeResponse(200, k11, {{"Content-Length", "3"}, {"Content-Length", "3"}}),
                      Method::kGet),
      Framing::kLength, 3);
}

TEST(ResponseFraming, InvalidContentLengthIs502) {
  // Rule 5: a proxy MUST answer 502 for a response with an invalid Content-Length.
  for (std::string_view v : {"", "x", "-1", "+1", "1,1", "1, 1", "0x1", "18446744073709551616"}) {
    expectResponseError(
        responseFraming(makeResponse(200, k11, {{"Content-Length", v}}), Method::kGet));
  }
  expectResponseError(responseFraming(
      makeResponse(200, k11, {{"Content-Length", "3"}, {"Content-Length", "4"}}), Method::kGet));
}

TEST(ResponseFraming, Chunked) {
  expectFraming(
      responseFraming(makeResponse(200, k11, {{"Transfer-Encoding", "chunked"}}), Method::kGet),
      Framing::kChunked);
  expectFraming(
      responseFraming(makeResponse(200, k11, {{"Transfer-Encoding", "Chunked"}}), Method::kPost),
      Framing::kChunked);
}

TEST(ResponseFraming, TransferEncodingWithContentLengthIs502) {
  // Rule 3: "ought to be handled as an error"; the issue asks for 502.
  expectResponseError(responseFraming(
      makeResponse(200, k11, {{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}}),
      Method::kGet));
}

TEST(ResponseFraming, TransferEncodingInHttp10IsFaulty) {
  expectResponseError(
      responseFraming(makeResponse(200, k10, {{"Transfer-Encoding", "chunked"}}), Method::kGet));
}

TEST(ResponseFraming, CodingsCuttleCannotRelayAre502) {
  // RFC 9112 6.3 rule 4 would read a non-chunked-final response until close; cuttle neither
  // decodes nor relays transfer codings other than chunked (they are hop-by-hop), so it
  // refuses such responses rather than pass on a body the client cannot decode.
  for (std::string_view te : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", ""}) {
    expectResponseError(
        responseFraming(makeResponse(200, k11, {{"Transfer-Encoding", te}}), Method::kGet));
  }
}

TEST(ResponseFraming, NeitherFieldReadsUntilClose) {
  // Rule 8.
  expectFraming(responseFraming(makeResponse(200, k11, {}), Method::kGet), Framing::kUntilClose);
  expectFraming(responseFraming(makeResponse(200, k10, {}), Method::kGet), Framing::kUntilClose);
  expectFraming(
      responseFraming(makeResponse(404, k11, {{"Content-Type", "text/html"}}), Method::kPost),
      Framing::kUntilClose);
}

// ---- validateRequestHead: RFC 9112 2.3 and 3.2 ----------------------------------------------

TEST(ValidateRequestHead, HostRules) {
  EXPECT_TRUE(validateRequestHead(makeRequest(Method::kGet, k11, {{"Host", "a"}})).ok());
  EXPECT_TRUE(validateRequestHead(makeRequest(Method::kGet, k11, {{"host", ""}})).ok());
  EXPECT_TRUE(validateRequestHead(makeRequest(Method::kGet, k10, {})).ok());
  EXPECT_TRUE(validateRequestHead(makeRequest(Method::kGet, k10, {{"Host", "a"}})).ok());
  for (const RequestHead& bad :
       {makeRequest(Method::kGet, k11, {}), makeRequest(Method::kGet, k11, {{"X-Host", "a"}}),
        makeRequest(Method::kGet, k11, {{"Host", "a"}, {"Host", "a"}}),
        makeRequest(Method::kGet, k11, {{"Host", "a"}, {"host", "b"}}),
        makeRequest(Method::kGet, k10, {{"Host", "a"}, {"Host", "b"}})}) {
    Status s = validateRequestHead(bad);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(s.error().side, Side::kClient);
  }
}

TEST(ValidateRequestHead, Versions) {
  // RFC 9112 2.3: a later 1.x minor version is handled as the highest one known.
  EXPECT_TRUE(
      validateRequestHead(makeRequest(Method::kGet, HttpVersion{1, 2}, {{"Host", "a"}})).ok());
  EXPECT_TRUE(
      validateRequestHead(makeRequest(Method::kGet, HttpVersion{1, 9}, {{"Host", "a"}})).ok());
  Status v2 = validateRequestHead(makeRequest(Method::kGet, HttpVersion{2, 0}, {{"Host", "a"}}));
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().code, ErrorCode::kVersionNotSupported);
  Status v3 = validateRequestHead(makeRequest(Method::kGet, HttpVersion{3, 0}, {{"Host", "a"}}));
  ASSERT_FALSE(v3.ok());
  EXPECT_EQ(v3.error().code, ErrorCode::kVersionNotSupported);
  Status v09 = validateRequestHead(makeRequest(Method::kGet, HttpVersion{0, 9}, {}));
  ASSERT_FALSE(v09.ok());
  EXPECT_EQ(v09.error().code, ErrorCode::kBadRequest);
}

// ---- persistence: RFC 9112 9.3 ----------------------------------------------------------------

TEST(KeepAlive, Http11PersistsUnlessClose) {
  EXPECT_TRUE(requestWantsKeepAlive(makeRequest(Method::kGet, k11, {})));
  EXPECT_TRUE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"Connection", "keep-alive"}})));
  EXPECT_TRUE(requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"Connection", "closed"}})));
  EXPECT_TRUE(requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"X-Connection", "close"}})));
  EXPECT_FALSE(requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"Connection", "close"}})));
  EXPECT_FALSE(requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"connection", "Close"}})));
  EXPECT_FALSE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k11, {{"Connection", "TE, close"}})));
  EXPECT_FALSE(requestWantsKeepAlive(
      makeRequest(Method::kGet, k11, {{"Connection", "keep-alive"}, {"Connection", "close"}})));
}

TEST(KeepAlive, Http10PersistsOnlyWithKeepAlive) {
  EXPECT_FALSE(requestWantsKeepAlive(makeRequest(Method::kGet, k10, {})));
  EXPECT_TRUE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Connection", "keep-alive"}})));
  EXPECT_TRUE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Connection", "Keep-Alive"}})));
  EXPECT_TRUE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Connection", "x, keep-alive"}})));
  EXPECT_TRUE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Proxy-Connection", "keep-alive"}})));
  // The Keep-Alive field alone is not the connection option.
  EXPECT_FALSE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Keep-Alive", "timeout=5"}})));
  EXPECT_FALSE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Connection", "keepalive"}})));
  // close wins.
  EXPECT_FALSE(
      requestWantsKeepAlive(makeRequest(Method::kGet, k10, {{"Connection", "keep-alive, close"}})));
  EXPECT_FALSE(requestWantsKeepAlive(makeRequest(
      Method::kGet, k10, {{"Proxy-Connection", "keep-alive"}, {"Connection", "close"}})));
}

TEST(KeepAlive, ResponseRules) {
  const BodyFraming length{Framing::kLength, 3};
  const BodyFraming none{Framing::kNone, 0};
  const BodyFraming chunked{Framing::kChunked, 0};
  const BodyFraming until_close{Framing::kUntilClose, 0};
  const BodyFraming tunnel{Framing::kTunnel, 0};
  EXPECT_TRUE(responseAllowsKeepAlive(makeResponse(200, k11, {}), length));
  EXPECT_TRUE(responseAllowsKeepAlive(makeResponse(200, k11, {}), none));
  EXPECT_TRUE(responseAllowsKeepAlive(makeResponse(200, k11, {}), chunked));
  EXPECT_FALSE(responseAllowsKeepAlive(makeResponse(200, k11, {{"Connection", "close"}}), length));
  EXPECT_FALSE(responseAllowsKeepAlive(makeResponse(200, k11, {{"Connection", "CLOSE"}}), none));
  // A close-delimited body ends the connection whatever the fields say.
  EXPECT_FALSE(responseAllowsKeepAlive(makeResponse(200, k11, {}), until_close));
  EXPECT_FALSE(
      responseAllowsKeepAlive(makeResponse(200, k10, {{"Connection", "keep-alive"}}), until_close));
  EXPECT_FALSE(responseAllowsKeepAlive(makeResponse(200, k11, {}), tunnel));
  // HTTP/1.0 only with keep-alive.
  EXPECT_FALSE(responseAllowsKeepAlive(makeResponse(200, k10, {}), length));
  EXPECT_TRUE(
      responseAllowsKeepAlive(makeResponse(200, k10, {{"Connection", "Keep-Alive"}}), length));
  EXPECT_TRUE(
      responseAllowsKeepAlive(makeResponse(304, k10, {{"Connection", "keep-alive"}}), none));
  EXPECT_FALSE(
      responseAllowsKeepAlive(makeResponse(200, k10, {{"Keep-Alive", "timeout=5"}}), length));
  EXPECT_FALSE(responseAllowsKeepAlive(
      makeResponse(200, k10, {{"Connection", "keep-alive, close"}}), length));
}

}  // namespace
}  // namespace cuttle
