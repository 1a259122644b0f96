// Persistence and framing per hop (RFC 9112 6, 7, 9.3): keep-alive by version, Connection:
// close, never chunked to an HTTP/1.0 client, bodiless responses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;

TEST(Persistence, Http11ConnectionIsKeptAliveByDefault) {
  OriginServer origin(OriginServer::canned({{"/1", okResponse("one")}, {"/2", okResponse("two")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  HttpResponse r1 = c.readResponse();
  EXPECT_EQ(r1.body, "one");
  EXPECT_FALSE(listHasToken(r1.headers.get("Connection"), "close")) << r1.head;
  c.send(getRequest(origin.url("/2")));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.status, 200) << r2.raw;
  EXPECT_EQ(r2.body, "two");
}

TEST(Persistence, Http10ClientIsClosedWithoutKeepAlive) {
  OriginServer origin(OriginServer::always(okResponse("hello")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "", "GET", "HTTP/1.0"));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(listHasToken(r.headers.get("Connection"), "keep-alive")) << r.head;
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << extra;
}

TEST(Persistence, Http10KeepAliveIsHonouredAndAnnounced) {
  OriginServer origin(OriginServer::canned({{"/1", okResponse("one")}, {"/2", okResponse("two")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1"), "Connection: keep-alive\r\n", "GET", "HTTP/1.0"));
  HttpResponse r1 = c.readResponse();
  EXPECT_EQ(r1.body, "one");
  EXPECT_TRUE(listHasToken(r1.headers.get("Connection"), "keep-alive")) << r1.head;
  EXPECT_EQ(r1.body_kind, BodyKind::kLength) << r1.head;
  c.send(getRequest(origin.url("/2"), "Connection: keep-alive\r\n", "GET", "HTTP/1.0"));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.status, 200) << r2.raw;
  EXPECT_EQ(r2.body, "two");
}

TEST(Persistence, ConnectionCloseFromHttp11ClientIsHonoured) {
  OriginServer origin(OriginServer::always(okResponse("hello")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "Connection: close\r\n"));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(listHasToken(r.headers.get("Connection"), "close")) << r.head;
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << extra;
}

TEST(Persistence, ChunkedOriginResponseIsCloseDelimitedToHttp10Client) {
  OriginServer origin(OriginServer::always(chunkedResponse({"hello", " world"})));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  // Even with keep-alive asked for: without a length, a 1.0 client needs a close.
  c.send(getRequest(origin.url("/"), "Connection: keep-alive\r\n", "GET", "HTTP/1.0"));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.headers.has("Transfer-Encoding")) << r.head;
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.raw_body, "hello world") << "no chunk framing towards a 1.0 client";
  EXPECT_EQ(r.body_kind, BodyKind::kUntilClose) << r.head;
  EXPECT_TRUE(r.complete) << "the body ends with the connection";
  EXPECT_FALSE(listHasToken(r.headers.get("Connection"), "keep-alive")) << r.head;
  EXPECT_TRUE(c.eofSeen());
}

TEST(Persistence, ChunkedOriginResponseIsChunkedToHttp11Client) {
  OriginServer origin(OriginServer::always(chunkedResponse({"hello", " world"})));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_kind, BodyKind::kChunked) << r.head;
  EXPECT_EQ(r.headers.get("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(r.headers.has("Content-Length"));
  EXPECT_TRUE(r.complete && r.saw_last_chunk) << r.raw;
  EXPECT_EQ(r.body, "hello world");
  // Still persistent.
  c.send(getRequest(origin.url("/")));
  EXPECT_EQ(c.readResponse().body, "hello world");
}

TEST(Persistence, CloseDelimitedOriginResponseIsChunkedToHttp11Client) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_kind, BodyKind::kChunked) << r.head;
  EXPECT_TRUE(r.saw_last_chunk) << r.raw;
  EXPECT_EQ(r.body, "until close");
  // The client connection survives the origin's close.
  c.send(getRequest(origin.url("/")));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.body, "until close") << r2.raw;
}

TEST(Persistence, CloseDelimitedOriginResponseToHttp10ClientEndsWithClose) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.0 200 OK\r\n\r\nold style");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "", "GET", "HTTP/1.0"));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_kind, BodyKind::kUntilClose) << r.head;
  EXPECT_EQ(r.body, "old style");
  EXPECT_TRUE(r.complete);
}

// ---- responses without a body (RFC 9112 6.3 rules 1-2) ----------------------------------

TEST(Bodiless, HeadResponseKeepsContentLengthAndHasNoBody) {
  OriginServer origin([](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.method == "HEAD") {
        conn.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n");
      } else {
        conn.write(okResponse("after"));
      }
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "", "HEAD") + getRequest(origin.url("/next")));
  HttpResponse head = c.readResponse("HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.headers.all("Content-Length"), ElementsAre("1234")) << head.head;
  EXPECT_FALSE(head.headers.has("Transfer-Encoding")) << head.head;
  // The next bytes must be the next response: no body after a HEAD response.
  HttpResponse next = c.readResponse();
  EXPECT_EQ(firstLine(next.head), "HTTP/1.1 200 OK") << next.raw;
  EXPECT_EQ(next.body, "after");
}

class BodilessStatus : public ::testing::TestWithParam<int> {};

TEST_P(BodilessStatus, HasNoBodyAndConnectionStaysUsable) {
  const int status = GetParam();
  OriginServer origin([status](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.target == "/empty") {
        conn.write("HTTP/1.1 " + std::to_string(status) + " X\r\nETag: \"v1\"\r\n\r\n");
      } else {
        conn.write(okResponse("after"));
      }
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/empty")) + getRequest(origin.url("/next")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, status);
  EXPECT_FALSE(r.headers.has("Transfer-Encoding")) << r.head;
  EXPECT_EQ(r.headers.get("ETag"), "\"v1\"");
  HttpResponse next = c.readResponse();
  EXPECT_EQ(firstLine(next.head), "HTTP/1.1 200 OK")
      << "bytes after the " << status << " response: " << next.raw;
  EXPECT_EQ(next.body, "after");
}

INSTANTIATE_TEST_SUITE_P(Status, BodilessStatus, ::testing::Values(204, 304));

}  // namespace
}  // namespace cuttle::test
