// An origin that dies mid-body must show as a truncation to the client, never as a clean
// end (RFC 9112 8); bytes an origin sends after a complete response never reach the next
// request.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

TEST(Truncation, ContentLengthShortfallClosesTheClientConnection) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete) << "a truncated body must never look complete: " << r.raw;
  EXPECT_FALSE(r.saw_last_chunk) << r.raw;
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_TRUE(c.eofSeen()) << "the client connection must be closed";
}

TEST(Truncation, ChunkedWithoutLastChunkNeverGetsTheTerminatingChunk) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.saw_last_chunk) << "the 0-chunk must not be invented: " << r.raw;
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(c.eofSeen());
}

TEST(Truncation, ChunkedCutInsideChunkDataToHttp10ClientIsNotAFullBody) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nhello");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/"), "", "GET", "HTTP/1.0"));
  HttpResponse r = c.readResponse();
  // A 1.0 client gets close-delimited bytes; it cannot tell, but it must never receive more
  // than the origin sent, and the connection ends.
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(c.eofSeen());
}

// Two pipelined requests; the origin's reply to the first carries extra bytes shaped like a
// second response. They must be discarded with that upstream connection: the second
// request goes to a new connection and gets the real answer.
TEST(Truncation, BytesAfterACompleteResponseNeverReachTheNextRequest) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("first") + okResponse("EVIL!"));
      conn.waitForPeerClose();
      return;
    }
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      conn.write(okResponse("good!"));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  HttpResponse r1 = c.readResponse();
  EXPECT_EQ(r1.body, "first");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.body, "good!") << r2.raw;
  EXPECT_EQ(c.raw().find("EVIL!"), std::string::npos) << c.raw();
  EXPECT_EQ(origin.connectionCount(), 2);
  EXPECT_EQ(origin.received(0).find("GET /2 "), std::string::npos)
      << "the second request went to the dirty connection: " << origin.received(0);
  EXPECT_NE(origin.received(1).find("GET /2 "), std::string::npos) << origin.received(1);
}

// The same, with the extra bytes in the body framing's place: a Content-Length response
// followed by garbage.
TEST(Truncation, GarbageAfterACompleteResponseIsNotForwarded) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("exact") + "trailing garbage");
      conn.waitForPeerClose();
      return;
    }
    for (;;) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("clean"));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "exact");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.status, 200) << r2.raw;
  EXPECT_EQ(r2.body, "clean");
  EXPECT_EQ(c.raw().find("garbage"), std::string::npos) << c.raw();
}

}  // namespace
}  // namespace cuttle::test
