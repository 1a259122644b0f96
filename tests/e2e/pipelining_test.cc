// Pipelining (RFC 9112 9.3.2): requests sent back to back are answered strictly in order,
// exactly one final response each.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

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

// A client that pipelines many requests and reads no response: cuttle answers only as far
// as the responses leave (the next request waits while the client's write queue is above
// its high watermark), so it never queues one response after another without bound (40
// cached 1 MiB responses here; with 3 MB objects and tens of thousands of pipelined
// requests this once grew the process by gigabytes). As the client reads, every response
// comes, complete and in order.
TEST(Pipelining, RequestsWaitWhileTheClientReadsNoResponse) {
  const std::string big(1 << 20, 'b');
  OriginServer origin(OriginServer::canned(
      {{"/big", okResponse(big, "Cache-Control: max-age=3600\r\n")},
       {"/sentinel", okResponse("sentinel", "Cache-Control: no-store\r\n")}}));
  CuttleProcess proxy("workers 1\nmaximum_object_size_in_memory 4 MB\n");
  ASSERT_TRUE(proxy.started());
  ASSERT_EQ(get(proxy, origin.url("/big")).body.size(), big.size());  // now a memory hit
  constexpr int kPipelined = 40;
  RawClient c(proxy.port());
  std::string requests;
  for (int i = 0; i < kPipelined; ++i) requests += getRequest(origin.url("/big"));
  ASSERT_TRUE(c.send(requests));
  // One worker: the sentinel is read after cuttle has done all it will do with the burst
  // for now; whatever it answered by then is logged before the sentinel.
  EXPECT_EQ(get(proxy, origin.url("/sentinel")).body, "sentinel");
  ASSERT_TRUE(proxy.waitForAccessLogLines(2));
  size_t answered_before = 0;
  for (const std::string& line : proxy.accessLogLines()) {
    if (line.find("/sentinel") != std::string::npos) break;
    if (line.find("/big") != std::string::npos) ++answered_before;
  }
  // The first request's warm-up line plus what socket buffers and the watermark hold.
  EXPECT_LT(answered_before, 1u + kPipelined / 2) << proxy.accessLog();
  for (int i = 0; i < kPipelined; ++i) {
    HttpResponse r = c.readResponse();
    ASSERT_EQ(r.status, 200) << i;
    ASSERT_TRUE(r.complete) << i;
    ASSERT_EQ(r.body.size(), big.size()) << i;
  }
  EXPECT_TRUE(proxy.waitForAccessLogLines(2 + kPipelined));
}

// The other side of the rule above: a response larger than the high watermark that the
// socket takes at once must not leave the next pipelined request waiting for a drain that
// never comes (no write stays in flight to report it).
TEST(Pipelining, ARequestAfterALargeResponseTheSocketTookAtOnceIsAnswered) {
  const std::string body(300 * 1024, 'm');  // above the 256 KiB watermark, below socket buffers
  OriginServer origin(OriginServer::canned(
      {{"/m", okResponse(body, "Cache-Control: max-age=3600\r\n")}, {"/small", okResponse("small")}}));
  CuttleProcess proxy("workers 1\nmaximum_object_size_in_memory 4 MB\n");
  ASSERT_TRUE(proxy.started());
  ASSERT_EQ(get(proxy, origin.url("/m")).body.size(), body.size());
  RawClient c(proxy.port());
  ASSERT_TRUE(c.send(getRequest(origin.url("/m")) + getRequest(origin.url("/small")) +
                     getRequest(origin.url("/m"))));
  HttpResponse first = c.readResponse();
  EXPECT_EQ(first.body.size(), body.size());
  EXPECT_EQ(c.readResponse().body, "small");
  EXPECT_EQ(c.readResponse().body.size(), body.size());
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
