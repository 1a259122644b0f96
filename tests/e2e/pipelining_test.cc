// Pipelining (RFC 9112 9.3.2): requests sent back to back are answered strictly in order,
// exactly one final response each.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

TEST(Pipelining, ResponsesComeInRequestOrder) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("alpha")},
                                            {"/b", okResponse("bravo")},
                                            {"/c", chunkedResponse({"charlie"})}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/a")) + getRequest(origin.url("/b")) +
         getRequest(origin.url("/c")));
  EXPECT_EQ(c.readResponse().body, "alpha");
  EXPECT_EQ(c.readResponse().body, "bravo");
  HttpResponse third = c.readResponse();
  EXPECT_EQ(third.body, "charlie");
  EXPECT_TRUE(third.complete);
}

TEST(Pipelining, PipelinedRequestsWithBodiesStayInOrder) {
  OriginServer origin([](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      conn.write(okResponse(req.target + ":" + req.body));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  const std::string host = "Host: " + origin.authority() + "\r\n";
  c.send("POST " + origin.url("/1") + " HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\none" +
         "POST " + origin.url("/2") + " HTTP/1.1\r\n" + host +
         "Transfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n" + getRequest(origin.url("/3")));
  EXPECT_EQ(c.readResponse().body, "/1:one");
  EXPECT_EQ(c.readResponse().body, "/2:two");
  EXPECT_EQ(c.readResponse().body, "/3:");
}

// The first response is held back by the origin (its head is out, its body waits) while a
// fast second request is already in the pipe: the second response must wait its turn.
TEST(Pipelining, SlowFirstResponseStillComesBeforeFastSecond) {
  Gate release_slow;
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.target == "/slow") {
        conn.write("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nslow-");
        if (!release_slow.wait()) return;
        conn.write("body");
      } else {
        conn.write(okResponse("fast"));
      }
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/slow")) + getRequest(origin.url("/fast")));
  // The slow response has started; now let it finish.
  std::string head;
  bool got_head = c.stream().readUntil("\r\n\r\n", &head, "the slow response's head");
  release_slow.open();
  ASSERT_TRUE(got_head);
  std::string body;
  ASSERT_TRUE(c.stream().readExactly(9, &body, "the slow response's body"));
  EXPECT_EQ(body, "slow-body");
  HttpResponse second = c.readResponse();
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "fast");
}

// Pipelined requests to two different origins: order is per client connection, not per
// origin.
TEST(Pipelining, OrderHoldsAcrossOrigins) {
  Gate release_first;
  OriginServer slow_origin([&](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    if (!release_first.wait()) return;
    conn.write(okResponse("from-slow"));
    conn.waitForPeerClose();
  });
  OriginServer fast_origin(OriginServer::always(okResponse("from-fast")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(slow_origin.url("/")) + getRequest(fast_origin.url("/")));
  bool reached = slow_origin.waitForRequests(1);
  release_first.open();
  ASSERT_TRUE(reached);
  EXPECT_EQ(c.readResponse().body, "from-slow");
  EXPECT_EQ(c.readResponse().body, "from-fast");
}

TEST(Pipelining, BadRequestAfterGoodOneGetsItsAnswerLastThenClose) {
  OriginServer origin(OriginServer::canned({{"/good", okResponse("good")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/good")) + "GET " + origin.url("/bad") + " HTTP/1.1\r\nHost: " +
         origin.authority() + "\r\nX-A : b\r\n\r\n" + getRequest(origin.url("/good")));
  HttpResponse first = c.readResponse();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "good");
  HttpResponse second = c.readResponse();
  EXPECT_EQ(second.status, 400) << second.raw;
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << "nothing may follow the 400: " << extra;
  EXPECT_EQ(originRequestLines(origin), std::vector<std::string>{"GET /good HTTP/1.1"});
}

TEST(Pipelining, ConnectionCloseRequestEndsThePipeline) {
  OriginServer origin(OriginServer::canned({{"/1", okResponse("one")}, {"/2", okResponse("two")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1"), "Connection: close\r\n") + getRequest(origin.url("/2")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.body, "one");
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra))
      << "a request after Connection: close was answered: " << extra;
  EXPECT_EQ(originRequestLines(origin), std::vector<std::string>{"GET /1 HTTP/1.1"});
}

}  // namespace
}  // namespace cuttle::test
