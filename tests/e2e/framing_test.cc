// Request framing can never smuggle (RFC 9112 6.1, 6.3, 5.1, 5.2, 2.2, 3.2; RFC 9110 5.5,
// 8.6): every ambiguous or malformed request is answered 400 (501 for an unknown transfer
// coding), nothing reaches the origin, and the connection is closed after the answer.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

struct BadRequest {
  const char* name;
  // The request bytes; "{URL}" and "{HOST}" are replaced with the origin's URL and authority.
  std::string bytes;
  int status;
};

std::string expand(std::string s, const OriginServer& origin) {
  for (size_t p; (p = s.find("{URL}")) != std::string::npos;) s.replace(p, 5, origin.url("/x"));
  for (size_t p; (p = s.find("{HOST}")) != std::string::npos;) s.replace(p, 6, origin.authority());
  return s;
}

const std::string kLine = "POST {URL} HTTP/1.1\r\nHost: {HOST}\r\n";
const std::string kGet = "GET {URL} HTTP/1.1\r\nHost: {HOST}\r\n";

std::vector<BadRequest> badRequests() {
  return {
      // RFC 9112 6.3: Content-Length and Transfer-Encoding together.
      {"ContentLengthAndTransferEncoding",
       kLine + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingThenContentLength",
       kLine + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      // RFC 9110 8.6: Content-Length = 1*DIGIT.
      {"ContentLengthNotANumber", kLine + "Content-Length: abc\r\n\r\n", 400},
      {"ContentLengthEmpty", kLine + "Content-Length: \r\n\r\n", 400},
      {"ContentLengthPlusSign", kLine + "Content-Length: +5\r\n\r\nhello", 400},
      {"ContentLengthNegative", kLine + "Content-Length: -5\r\n\r\nhello", 400},
      {"ContentLengthHex", kLine + "Content-Length: 0x5\r\n\r\nhello", 400},
      {"ContentLengthWithInnerSpace", kLine + "Content-Length: 1 0\r\n\r\nhello", 400},
      {"ContentLengthListedSame", kLine + "Content-Length: 5, 5\r\n\r\nhello", 400},
      {"ContentLengthListedDifferent", kLine + "Content-Length: 5, 6\r\n\r\nhello", 400},
      {"ContentLengthDuplicatedDiffering",
       kLine + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
      {"ContentLengthOverflow", kLine + "Content-Length: 99999999999999999999999\r\n\r\nhello",
       400},
      // RFC 9112 6.3: chunked must be the final coding; 6.1: never applied twice.
      {"TransferEncodingChunkedNotFinal",
       kLine + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingWithoutChunked", kLine + "Transfer-Encoding: gzip\r\n\r\nhello", 400},
      {"TransferEncodingChunkedTwice",
       kLine + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingChunkedWithParameter",
       kLine + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400},
      // RFC 9112 6.1: a transfer coding the server does not understand.
      {"TransferEncodingUnknownCoding",
       kLine + "Transfer-Encoding: x-custom, chunked\r\n\r\n0\r\n\r\n", 501},
      // RFC 9112 7.1: a chunk size that does not fit.
      {"ChunkSizeOverflow",
       kLine + "Transfer-Encoding: chunked\r\n\r\n10000000000000000000\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkSizeNotHex", kLine + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       400},
      // RFC 9112 2.2: bare CR is invalid; cuttle also refuses bare LF as a line end.
      {"BareCrInFieldValue", kGet + "X-A: a\rb\r\n\r\n", 400},
      {"BareCrAsLineEnd", kGet + "X-A: a\rX-B: b\r\n\r\n", 400},
      {"BareLfAsLineEnd", kGet + "X-A: a\nX-B: b\r\n\r\n", 400},
      {"BareLfEndsHead", kGet + "X-A: a\n\n", 400},
      {"BareLfInRequestLine", "GET {URL} HTTP/1.1\nHost: {HOST}\r\n\r\n", 400},
      // RFC 9110 5.5: NUL is never allowed in a field value.
      {"NulInFieldValue", kGet + std::string("X-A: a\0b\r\n\r\n", 11), 400},
      // RFC 9112 5.2: obs-fold.
      {"ObsFoldSpace", kGet + "X-A: a\r\n b\r\n\r\n", 400},
      {"ObsFoldTab", kGet + "X-A: a\r\n\tb\r\n\r\n", 400},
      // RFC 9112 5.1: no whitespace between field name and colon.
      {"SpaceBeforeColon", kGet + "X-A : a\r\n\r\n", 400},
      {"TabBeforeColon", kGet + "X-A\t: a\r\n\r\n", 400},
      {"SpaceBeforeColonOnContentLength", kLine + "Content-Length : 5\r\n\r\nhello", 400},
      {"SpaceBeforeColonOnTransferEncoding", kLine + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
       400},
      // RFC 9112 3.2: exactly one Host in an HTTP/1.1 request.
      {"MissingHostInHttp11", "GET {URL} HTTP/1.1\r\nX-A: a\r\n\r\n", 400},
      {"DuplicateHost", kGet + "Host: {HOST}\r\n\r\n", 400},
      {"DuplicateHostDiffering", kGet + "Host: other.example\r\n\r\n", 400},
      // Neither a field line nor a valid start line.
      {"FieldLineWithoutColon", kGet + "X-A a\r\n\r\n", 400},
      {"FieldLineStartingWithSpace", kGet + " X-A: a\r\n\r\n", 400},
  };
}

void PrintTo(const BadRequest& b, std::ostream* os) {
  *os << b.name;  // short: it becomes part of the ctest name
}

class Smuggling : public ::testing::TestWithParam<BadRequest> {};

TEST_P(Smuggling, IsRejectedNothingForwardedAndConnectionClosed) {
  const BadRequest& bad = GetParam();
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  const std::string bytes = expand(bad.bytes, origin);
  c.send(bytes);
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, bad.status) << "sent: " << ::testing::PrintToString(bytes)
                                  << "\nreceived: " << ::testing::PrintToString(r.raw);
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra))
      << "the connection stayed open or carried more after the answer: "
      << ::testing::PrintToString(extra);
  expectNothingReachedOrigin(proxy, origin);
}

INSTANTIATE_TEST_SUITE_P(Requests, Smuggling, ::testing::ValuesIn(badRequests()),
                         [](const ::testing::TestParamInfo<BadRequest>& param_info) {
                           return std::string(param_info.param.name);
                         });

// A smuggling attempt that follows a good request on the same connection: the good one is
// answered, then the 400, then the connection closes.
TEST(Framing, BadRequestAfterGoodOneIsAnsweredInOrderThenClosed) {
  OriginServer origin(OriginServer::canned(
      {{"/good", okResponse("good")}, {std::string(kSentinelPath), okResponse("sentinel")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/good")) + "POST " + origin.url("/smuggled") +
         " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  HttpResponse first = c.readResponse();
  EXPECT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body, "good");
  HttpResponse second = c.readResponse();
  EXPECT_EQ(second.status, 400) << second.raw;
  EXPECT_TRUE(c.isClosedByPeer());
  // Then the sentinel, to flush out anything still travelling to the origin.
  HttpResponse s = fetch(proxy.port(), getRequest(origin.url(kSentinelPath)));
  EXPECT_EQ(s.status, 200);
  std::vector<std::string> lines = originRequestLines(origin);
  EXPECT_EQ(lines, (std::vector<std::string>{"GET /good HTTP/1.1",
                                             "GET " + std::string(kSentinelPath) + " HTTP/1.1"}))
      << origin.receivedAll();
  EXPECT_EQ(origin.receivedAll().find("smuggled"), std::string::npos) << origin.receivedAll();
}

// A body that is correctly framed by Content-Length must not be read as a second request
// (classic CL desync: the origin would see "GET /smuggled" if cuttle ignored the length).
TEST(Framing, ContentLengthBodyIsNeverParsedAsARequest) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string inner = "GET /smuggled HTTP/1.1\r\nHost: " + origin.authority() + "\r\n\r\n";
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/post") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Length: " + std::to_string(inner.size()) + "\r\n\r\n" + inner);
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  ASSERT_TRUE(origin.waitForRequests(1));
  std::vector<HttpRequest> reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, inner);
  EXPECT_EQ(firstLine(reqs[0].head), "POST /post HTTP/1.1");
  // Nothing after the body: a sentinel on a new client connection is the next request.
  HttpResponse s = fetch(proxy.port(), getRequest(origin.url(kSentinelPath)));
  EXPECT_EQ(s.status, 200);
  reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].target, kSentinelPath);
}

}  // namespace
}  // namespace cuttle::test
