// Upstream connection reuse and the retry rule (RFC 9112 9.3, 9.3.1; RFC 9110 9.2.2): idle
// origin connections are pooled per origin; only an idempotent request is retried, once,
// when a reused connection closes before the first response byte.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/gate.h"

namespace cuttle::test {
namespace {

TEST(UpstreamPool, SequentialRequestsFromTwoClientsShareOneOriginConnection) {
  OriginServer origin(OriginServer::always(okResponse("pooled")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  {
    RawClient a(proxy.port());
    a.send(getRequest(origin.url("/a")));
    EXPECT_EQ(a.readResponse().body, "pooled");
  }
  RawClient b(proxy.port());
  b.send(getRequest(origin.url("/b")));
  EXPECT_EQ(b.readResponse().body, "pooled");
  EXPECT_EQ(origin.connectionCount(), 1);
  EXPECT_EQ(originRequestLines(origin),
            (std::vector<std::string>{"GET /a HTTP/1.1", "GET /b HTTP/1.1"}));
}

TEST(UpstreamPool, ConnectionCloseFromTheOriginIsNotPooled) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write(okResponse("bye", "Connection: close\r\n"));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "bye");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r2 = c.readResponse();
  EXPECT_EQ(r2.body, "bye") << r2.raw;
  EXPECT_EQ(origin.connectionCount(), 2);
  EXPECT_EQ(origin.received(0).find("GET /2"), std::string::npos) << origin.received(0);
}

TEST(UpstreamPool, ClientConnectionCloseDoesNotCloseTheOriginConnection) {
  OriginServer origin(OriginServer::always(okResponse("x")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/"), "Connection: close\r\n"));
    EXPECT_EQ(r.body, "x");
  }
  EXPECT_EQ(origin.connectionCount(), 1) << "each hop has its own persistence";
}

// A burst of concurrent requests leaves one idle origin connection per client; the next
// burst reuses every one of them instead of reconnecting (the pool is not capped below the
// number of clients a busy worker has: reconnecting costs throughput and latency).
TEST(UpstreamPool, EveryConnectionOfABurstIsPooledForTheNextBurst) {
  constexpr int kClients = 200;
  Gate all_arrived;
  OriginServer origin([&all_arrived](OriginConnection& conn) {
    for (bool first = true;; first = false) {
      if (!conn.readRequest().ok) return;
      if (first && !all_arrived.wait()) return;  // hold every connection busy at once
      if (!conn.write(okResponse("burst"))) return;
    }
  });
  CuttleProcess proxy("workers 1\n");
  ASSERT_TRUE(proxy.started());
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.port()));
    ASSERT_TRUE(clients.back()->send(getRequest(origin.url("/first/" + std::to_string(i)))));
  }
  ASSERT_TRUE(origin.waitForConnections(kClients));
  all_arrived.open();
  for (auto& c : clients) ASSERT_EQ(c->readResponse().body, "burst");
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->send(getRequest(origin.url("/second/" + std::to_string(i)))));
  }
  for (auto& c : clients) ASSERT_EQ(c->readResponse().body, "burst");
  EXPECT_EQ(origin.connectionCount(), kClients);
}

// The origin reads the second request on the reused connection and closes it without a
// byte of response: a GET is retried once, on a new connection.
TEST(UpstreamPool, IdempotentRequestIsRetriedOnceWhenAReusedConnectionCloses) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("first"));
      conn.readRequest();  // the second request arrives...
      conn.close();        // ...and the connection dies without an answer
      return;
    }
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      conn.write(okResponse("retried " + req.target));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "first");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "retried /2");
  EXPECT_EQ(origin.connectionCount(), 2);
  EXPECT_EQ(originRequestLines(origin),
            (std::vector<std::string>{"GET /1 HTTP/1.1", "GET /2 HTTP/1.1", "GET /2 HTTP/1.1"}));
}

TEST(UpstreamPool, RetryHappensOnlyOnce) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("first"));
    }
    conn.readRequest();
    conn.close();  // every later request dies
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "first");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 502) << r.raw;
  EXPECT_EQ(origin.connectionCount(), 2) << "one retry, no more";
}

TEST(UpstreamPool, PostIsNotRetried) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("first"));
      conn.readRequest();
      conn.close();
      return;
    }
    for (;;) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("must not happen"));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "first");
  c.send("POST " + origin.url("/2") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Length: 4\r\n\r\ndata");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 502) << r.raw;
  EXPECT_EQ(origin.connectionCount(), 1) << "a POST must not be sent twice";
  EXPECT_EQ(originRequestLines(origin),
            (std::vector<std::string>{"GET /1 HTTP/1.1", "POST /2 HTTP/1.1"}));
}

TEST(UpstreamPool, ResponseStartedThenClosedIsNotRetried) {
  OriginServer origin([](OriginConnection& conn) {
    if (conn.index() == 0) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("first"));
      if (!conn.readRequest().ok) return;
      conn.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart");
      conn.close();
      return;
    }
    for (;;) {
      if (!conn.readRequest().ok) return;
      conn.write(okResponse("must not happen"));
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/1")));
  EXPECT_EQ(c.readResponse().body, "first");
  c.send(getRequest(origin.url("/2")));
  HttpResponse r = c.readResponse();
  EXPECT_FALSE(r.complete) << r.raw;
  EXPECT_EQ(r.raw.find("must not happen"), std::string::npos);
  EXPECT_EQ(origin.connectionCount(), 1);
}

}  // namespace
}  // namespace cuttle::test
