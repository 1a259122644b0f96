// Limits, timeouts and upstream failures: each gets its own status with a short text body
// naming the cause (414, 431, 408, 502, 504).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// cuttle's own error: status, a text body naming the cause, framed by Content-Length.
void expectErrorPage(const HttpResponse& r, int status) {
  EXPECT_EQ(r.status, status) << r.raw;
  EXPECT_THAT(r.headers.get("Content-Type"), StartsWith("text/plain")) << r.head;
  EXPECT_EQ(r.body_kind, BodyKind::kLength) << r.head;
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.body.empty()) << "an error names its cause";
  EXPECT_LT(r.body.size(), 1024u) << "a short body";
}

TEST(ClientErrors, OverLongUriGets414) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/" + std::string(20000, 'u'))));
  HttpResponse r = c.readResponse();
  expectErrorPage(r, 414);
  c.close();
  expectNothingReachedOrigin(proxy, origin);
}

TEST(ClientErrors, OverLargeHeadersGet431) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("request_header_max_size 2 KB\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "X-Big: " + std::string(4000, 'b') + "\r\n"));
  HttpResponse r = c.readResponse();
  expectErrorPage(r, 431);
  c.close();
  expectNothingReachedOrigin(proxy, origin);
}

TEST(ClientErrors, ManySmallFieldsOverTheLimitGet431) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("request_header_max_size 2 KB\n");
  ASSERT_TRUE(proxy.started());
  std::string fields;
  for (int i = 0; i < 200; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), fields));
  expectErrorPage(c.readResponse(), 431);
  c.close();
  expectNothingReachedOrigin(proxy, origin);
}

TEST(ClientErrors, HalfAHeadThenSilenceGets408AndClose) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("request_timeout 1 seconds\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("GET " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() + "\r\nX-A:");
  HttpResponse r = c.readResponse();  // waiting for the 408 is the point; no time asserted
  expectErrorPage(r, 408);
  EXPECT_TRUE(c.isClosedByPeer());
  expectNothingReachedOrigin(proxy, origin);
}

TEST(ClientErrors, IdleConnectionWithoutARequestIsClosedSilently) {
  CuttleProcess proxy("request_timeout 1 seconds\nclient_idle_pconn_timeout 1 seconds\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << "no unsolicited response: " << extra;
}

// ---- upstream failures ------------------------------------------------------------------

TEST(UpstreamErrors, ConnectionRefusedGets502) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const uint16_t closed = closedLoopbackPort();
  RawClient c(proxy.port());
  c.send(getRequest("http://127.0.0.1:" + std::to_string(closed) + "/"));
  HttpResponse r = c.readResponse();
  expectErrorPage(r, 502);
  // The request was complete: the client connection may go on.
  OriginServer origin(OriginServer::always(okResponse("fine")));
  c.send(getRequest(origin.url("/")));
  HttpResponse next = c.readResponse();
  EXPECT_EQ(next.body, "fine") << next.raw;
}

struct BadOriginResponse {
  const char* name;
  std::string bytes;
};

void PrintTo(const BadOriginResponse& b, std::ostream* os) {
  *os << b.name;  // short: it becomes part of the ctest name
}

class InvalidOriginResponse : public ::testing::TestWithParam<BadOriginResponse> {};

TEST_P(InvalidOriginResponse, Gets502) {
  const std::string bytes = GetParam().bytes;
  SCOPED_TRACE("origin sent: " + ::testing::PrintToString(bytes));
  OriginServer origin([bytes](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write(bytes);
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  HttpResponse r = c.readResponse();
  expectErrorPage(r, 502);
  EXPECT_EQ(r.raw.find("smuggled"), std::string::npos) << r.raw;
}

INSTANTIATE_TEST_SUITE_P(
    Responses, InvalidOriginResponse,
    ::testing::Values(
        BadOriginResponse{
            "ContentLengthAndTransferEncoding",
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            "8\r\nsmuggled\r\n0\r\n\r\n"},
        BadOriginResponse{"ContentLengthNotANumber",
                          "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nsmuggled"},
        BadOriginResponse{
            "ContentLengthDuplicatedDiffering",
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 8\r\n\r\nsmuggled"},
        BadOriginResponse{"ContentLengthNegative",
                          "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nsmuggled"},
        BadOriginResponse{"Garbage", "HELLO THERE\r\n\r\nsmuggled"},
        BadOriginResponse{"BadStatusCode", "HTTP/1.1 2x0 OK\r\nContent-Length: 8\r\n\r\nsmuggled"},
        BadOriginResponse{"SpaceBeforeColon",
                          "HTTP/1.1 200 OK\r\nContent-Length : 8\r\n\r\nsmuggled"}),
    [](const ::testing::TestParamInfo<BadOriginResponse>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(UpstreamErrors, OriginClosingBeforeAnyResponseGets502) {
  OriginServer origin([](OriginConnection& conn) {
    conn.readRequest();
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  expectErrorPage(r, 502);
  EXPECT_EQ(origin.connectionCount(), 1) << "a fresh connection's failure is not retried";
}

TEST(UpstreamErrors, OriginThatNeverAnswersGets504) {
  OriginServer origin([](OriginConnection& conn) {
    conn.readRequest();
    conn.waitForPeerClose();  // accepts, reads, never answers
  });
  CuttleProcess proxy("read_timeout 1 seconds\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  expectErrorPage(r, 504);
  EXPECT_THAT(r.body, HasSubstr("504"));
}

TEST(UpstreamErrors, OverLargeResponseHeadGets502) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nX-Big: " + std::string(8000, 'b') +
               "\r\nContent-Length: 2\r\n\r\nok");
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("reply_header_max_size 2 KB\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  expectErrorPage(r, 502);
}

}  // namespace
}  // namespace cuttle::test
