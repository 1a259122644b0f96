// Connection limits and idle timeouts from the config: max_connections,
// client_idle_pconn_timeout, server_idle_pconn_timeout; many idle or slow clients do not stop
// cuttle from serving others.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

TEST(Limits, ConnectionsOverMaxConnectionsAreClosedWithoutAResponse) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("max_connections 2\n");
  ASSERT_TRUE(proxy.started());
  RawClient a(proxy.port());
  RawClient b(proxy.port());
  // Both are accepted and counted once they have been answered.
  a.send(getRequest(origin.url("/a")));
  EXPECT_EQ(a.readResponse().status, 200);
  b.send(getRequest(origin.url("/b")));
  EXPECT_EQ(b.readResponse().status, 200);
  RawClient excess(proxy.port());
  excess.send(getRequest(origin.url("/excess")));
  std::string extra;
  EXPECT_TRUE(excess.isClosedByPeer(&extra)) << "refused cleanly, never answered: " << extra;
  // The accepted ones go on.
  a.send(getRequest(origin.url("/a2")));
  EXPECT_EQ(a.readResponse().status, 200);
  EXPECT_EQ(originRequestLines(origin).size(), 3u) << origin.receivedAll();
}

TEST(Limits, IdleKeepAliveClientIsClosedAfterClientIdlePconnTimeout) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("client_idle_pconn_timeout 1 seconds\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  EXPECT_EQ(c.readResponse().status, 200);
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << "closed silently, no unsolicited response: " << extra;
}

TEST(Limits, IdleOriginConnectionIsClosedAfterServerIdlePconnTimeout) {
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write(okResponse("ok"));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("server_idle_pconn_timeout 1 seconds\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  // The handler returns once cuttle closes the pooled connection.
  EXPECT_TRUE(origin.waitForHandlerDone(0));
}

TEST(Limits, ThousandsOfIdleAndSlowlorisClientsDoNotStopService) {
  // 2,000 client sockets here (and as many in cuttle, which raises its own limit).
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < 4096 && nofile.rlim_max > nofile.rlim_cur) {
    nofile.rlim_cur = nofile.rlim_max < 8192 ? nofile.rlim_max : 8192;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  OriginServer origin(OriginServer::always(okResponse("still serving")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  std::vector<std::unique_ptr<RawClient>> crowd;
  for (int i = 0; i < 2000; ++i) {
    crowd.push_back(std::make_unique<RawClient>(proxy.port()));
    if (!crowd.back()->connected()) break;
    if (i % 2 == 1) crowd.back()->send("GET " + origin.url("/") + " HTTP/1.1\r\nHo");
  }
  ASSERT_EQ(crowd.size(), 2000u);
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "still serving");
  // Nobody in the crowd got an unsolicited byte.
  for (auto& c : crowd) {
    EXPECT_FALSE(c->stream().dataWithin(std::chrono::milliseconds(0)));
  }
}

}  // namespace
}  // namespace cuttle::test
