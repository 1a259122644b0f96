// Message bodies in both directions (RFC 9112 6, 7): request bodies reach the origin
// correctly framed; 100-continue and other interim responses go to HTTP/1.1 clients only
// (RFC 9110 15.2, 10.1.1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;

OriginServer::Handler echoBody() {
  return [](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      conn.write(okResponse(req.body));
    }
  };
}

TEST(RequestBodies, ContentLengthBodyReachesTheOriginFramedByLength) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/upload") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.body, "hello world") << r.raw;
  ASSERT_TRUE(origin.waitForRequests(1));
  HttpRequest at_origin = origin.requests()[0];
  EXPECT_THAT(at_origin.headers.all("Content-Length"), ElementsAre("11")) << at_origin.head;
  EXPECT_FALSE(at_origin.headers.has("Transfer-Encoding"));
  EXPECT_EQ(at_origin.raw_body, "hello world");
}

TEST(RequestBodies, LargeContentLengthBodyArrivesWhole) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  std::string body;
  for (int i = 0; body.size() < 3 * 1024 * 1024; ++i) body += std::to_string(i) + ",";
  RawClient c(proxy.port());
  std::string request = "PUT " + origin.url("/big") + " HTTP/1.1\r\nHost: " + origin.authority() +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  // The sender runs on its own thread: the proxy applies backpressure, and the echoed
  // response can only be read while we are not blocked writing.
  std::thread sender([&] { c.send(request + body); });
  HttpResponse r = c.readResponse();
  sender.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body) << "the body changed on the way";
}

TEST(RequestBodies, ChunkedBodyWithTrailersReachesTheOriginChunked) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/upload") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
         "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.body, "hello world") << r.raw;
  ASSERT_TRUE(origin.waitForRequests(1));
  HttpRequest at_origin = origin.requests()[0];
  EXPECT_TRUE(at_origin.ok) << at_origin.error;
  EXPECT_EQ(at_origin.headers.get("Transfer-Encoding"), "chunked") << at_origin.head;
  EXPECT_FALSE(at_origin.headers.has("Content-Length")) << at_origin.head;
  EXPECT_EQ(at_origin.body, "hello world");
  EXPECT_EQ(at_origin.trailers.get("X-Checksum"), "42") << at_origin.raw_body;
}

TEST(RequestBodies, EmptyChunkedBodyIsForwardedComplete) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + getRequest(origin.url("/after")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "");
  HttpResponse after = c.readResponse();
  EXPECT_EQ(after.status, 200) << after.raw;
}

TEST(RequestBodies, ZeroContentLengthPostKeepsItsLength) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r =
      fetch(proxy.port(), "POST " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() +
                              "\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_THAT(origin.requests()[0].headers.all("Content-Length"), ElementsAre("0"));
}

TEST(RequestBodies, BodySentInPiecesIsReassembled) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  // The head has gone up before the rest of the body exists.
  ASSERT_TRUE(origin.waitForConnections(1));
  c.send("3\r\ndef\r\n");
  c.send("0\r\n\r\n");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.body, "abcdef") << r.raw;
}

// ---- interim responses ------------------------------------------------------------------

TEST(Interim, ContinueGoesToHttp11ClientBeforeTheFinalResponse) {
  OriginServer origin([](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    conn.write("HTTP/1.1 100 Continue\r\n\r\n" + okResponse("done"));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata");
  HttpResponse r = c.readResponse();
  EXPECT_THAT(r.interim_status, ElementsAre(100)) << r.raw;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
}

// The real 100-continue dance: the client waits for the 100 before sending its body.
TEST(Interim, ExpectContinueHandshakeWorksThroughTheProxy) {
  OriginServer origin([](OriginConnection& conn) {
    std::string head;
    if (!conn.readUntil("\r\n\r\n", &head)) return;
    EXPECT_NE(head.find("Expect: 100-continue"), std::string::npos) << head;
    conn.write("HTTP/1.1 100 Continue\r\n\r\n");
    std::string body;
    if (!conn.readRaw(4, &body)) return;
    conn.write(okResponse("got " + body));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("PUT " + origin.url("/") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  std::string interim;
  ASSERT_TRUE(c.stream().readUntil("\r\n\r\n", &interim, "the 100 Continue"));
  EXPECT_EQ(firstLine(interim), "HTTP/1.1 100 Continue");
  c.send("data");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "got data");
}

TEST(Interim, Http10ClientSeesOnlyTheFinalResponse) {
  OriginServer origin([](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    conn.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + okResponse("done"));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/") + " HTTP/1.0\r\nHost: " + origin.authority() +
         "\r\nContent-Length: 4\r\n\r\ndata");
  HttpResponse r = c.readResponse();
  EXPECT_TRUE(r.interim.empty()) << r.raw;
  EXPECT_EQ(firstLine(r.raw), "HTTP/1.1 200 OK");
  EXPECT_EQ(r.body, "done");
}

TEST(Interim, ExpectIsNotForwardedForAnHttp10Client) {
  OriginServer origin(echoBody());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r =
      fetch(proxy.port(), "POST " + origin.url("/") + " HTTP/1.0\r\nHost: " + origin.authority() +
                              "\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(r.body, "hi");
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_FALSE(origin.requests()[0].headers.has("Expect")) << origin.requests()[0].head;
}

}  // namespace
}  // namespace cuttle::test
