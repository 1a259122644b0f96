// cache_peer parents through the real binary (issue 5, "Scaling out"): cuttle instances
// chained child -> parent -> origin, each with its own visible_hostname. The child sends
// absolute-form requests to its parent (RFC 9112 3.2.2), both append themselves to Via
// (RFC 9110 7.6.3) and a Via naming the receiver is a loop; the child caches what came
// through the parent; CARP sends each URL to one parent; a dead parent is skipped, then
// direct is tried unless never_direct; always_direct and non-hierarchical methods go
// direct; login= credentials and proxy-only; CONNECT relayed through a parent.
//
// Parents are started first (their port is known only then); the child's config names them.
// A "fake parent" is an OriginServer that answers as a parent would, where the test must
// see exactly what the child sent to it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"
#include "tests/support/connect_response.h"
#include "tests/support/socket_stream.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// "cache_peer 127.0.0.1 parent PORT 0 no-query OPTIONS\n"
std::string peerLine(uint16_t port, std::string_view options = "") {
  return "cache_peer 127.0.0.1 parent " + std::to_string(port) + " 0 no-query " +
         std::string(options) + "\n";
}

std::string hostnameLine(std::string_view name) {
  return "visible_hostname " + std::string(name) + "\n";
}

// The received-by names of every Via hop, over all Via fields, in order
// ("1.1 a, 1.1 b" -> {"a", "b"}).
std::vector<std::string> viaHops(const Fields& fields) {
  std::vector<std::string> out;
  for (const std::string& value : fields.all("Via")) {
    std::stringstream list(value);
    std::string hop;
    while (std::getline(list, hop, ',')) {
      std::istringstream words(hop);
      std::string protocol, by;
      words >> protocol >> by;
      out.push_back(by);
    }
  }
  return out;
}

// Waits for n access log lines and parses them.
std::vector<SquidLogLine> logLines(CuttleProcess& proxy, size_t n) {
  if (!proxy.waitForAccessLogLines(n)) return {};
  std::vector<SquidLogLine> lines = parseSquidLog(proxy.accessLogLines());
  for (const SquidLogLine& l : lines) EXPECT_TRUE(l.ok) << proxy.accessLog();
  return lines;
}

std::string hierarchyOf(const SquidLogLine& l) { return l.hierarchy + "/" + l.peer; }

// A fake parent: answers every request with a 200 whose body names it.
OriginServer::Handler fakeParent(std::string body, std::string_view extra_fields = "") {
  const std::string answer = okResponse(body, extra_fields);
  return scripted([answer](const HttpRequest&) { return answer; });
}

// ---- forwarding through a parent ---------------------------------------------------------

TEST(Peers, ChildSendsAbsoluteFormRequestsToItsParent) {
  OriginServer origin(sentinelOrigin());  // never reached: the fake parent answers
  OriginServer parent(fakeParent("from the parent"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a?q=1"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "from the parent");
  ASSERT_EQ(parent.requests().size(), 1u) << parent.receivedAll();
  const HttpRequest sent = parent.requests()[0];
  // RFC 9112 3.2.2: a request to a proxy carries the absolute URI.
  EXPECT_EQ(firstLine(sent.head), "GET " + origin.url("/a?q=1") + " HTTP/1.1") << sent.head;
  EXPECT_EQ(sent.headers.get("Host"), origin.authority());
  EXPECT_THAT(viaHops(sent.headers), ElementsAre("child")) << sent.head;
  EXPECT_EQ(origin.connectionCount(), 0);
  std::vector<SquidLogLine> log = logLines(child, 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(hierarchyOf(log[0]), "FIRSTUP_PARENT/127.0.0.1");
}

TEST(Peers, ChildForwardsThroughParentAndEachLogsItsOwnHop) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("origin body")}}));
  CuttleProcess parent(hostnameLine("parent"));
  ASSERT_TRUE(parent.started());
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "origin body");
  // The parent talked to the origin in origin form.
  EXPECT_THAT(originRequestLines(origin), ElementsAre("GET /a HTTP/1.1"));

  std::vector<SquidLogLine> at_parent = logLines(parent, 1);
  ASSERT_EQ(at_parent.size(), 1u) << parent.accessLog();
  EXPECT_EQ(at_parent[0].result + "/" + std::to_string(at_parent[0].status), "TCP_MISS/200");
  EXPECT_EQ(at_parent[0].url, origin.url("/a"));
  EXPECT_EQ(at_parent[0].client, "127.0.0.1");
  EXPECT_EQ(hierarchyOf(at_parent[0]), "HIER_DIRECT/127.0.0.1");

  std::vector<SquidLogLine> at_child = logLines(child, 1);
  ASSERT_EQ(at_child.size(), 1u) << child.accessLog();
  EXPECT_EQ(at_child[0].result + "/" + std::to_string(at_child[0].status), "TCP_MISS/200");
  EXPECT_EQ(at_child[0].url, origin.url("/a"));
  EXPECT_EQ(hierarchyOf(at_child[0]), "FIRSTUP_PARENT/127.0.0.1");
}

TEST(Peers, ViaNamesChildAndParentInHopOrderBothWays) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("origin body")}}));
  CuttleProcess parent(hostnameLine("parent"));
  ASSERT_TRUE(parent.started());
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  EXPECT_EQ(r.status, 200) << r.raw;
  // Towards the origin each proxy appends itself: child first, then parent.
  ASSERT_EQ(origin.requests().size(), 1u);
  EXPECT_THAT(viaHops(origin.requests()[0].headers), ElementsAre("child", "parent"))
      << origin.requests()[0].head;
  // On the way back: parent first, then child.
  EXPECT_THAT(viaHops(r.headers), ElementsAre("parent", "child")) << r.head;
}

TEST(Peers, ThreeLevelChainNamesEveryHopInVia) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("origin body")}}));
  CuttleProcess top(hostnameLine("top"));
  ASSERT_TRUE(top.started());
  CuttleProcess middle(hostnameLine("middle") + peerLine(top.port()));
  ASSERT_TRUE(middle.started());
  CuttleProcess child(hostnameLine("child") + peerLine(middle.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "origin body");
  ASSERT_EQ(origin.requests().size(), 1u);
  EXPECT_THAT(viaHops(origin.requests()[0].headers), ElementsAre("child", "middle", "top"));
  EXPECT_THAT(viaHops(r.headers), ElementsAre("top", "middle", "child")) << r.head;
  std::vector<SquidLogLine> at_middle = logLines(middle, 1);
  ASSERT_EQ(at_middle.size(), 1u);
  EXPECT_EQ(hierarchyOf(at_middle[0]), "FIRSTUP_PARENT/127.0.0.1");
}

TEST(Peers, SameVisibleHostnameOnChildAndParentIsAForwardingLoop) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess parent(hostnameLine("same-name"));
  ASSERT_TRUE(parent.started());
  CuttleProcess child(hostnameLine("same-name") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  // The parent sees its own name in Via (RFC 9110 7.6.3) and refuses.
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_THAT(r.body, HasSubstr("loop")) << r.raw;
  EXPECT_EQ(origin.connectionCount(), 0) << "a looping request reached the origin";
  std::vector<SquidLogLine> at_parent = logLines(parent, 1);
  ASSERT_EQ(at_parent.size(), 1u);
  EXPECT_EQ(at_parent[0].status, 403);
}

TEST(Peers, ChildCachesWhatCameThroughTheParent) {
  OriginServer origin(OriginServer::canned(
      {{"/a", okResponse("cacheable", "Cache-Control: max-age=3600\r\n")},
       {"/sentinel", okResponse("not cached", "Cache-Control: no-store\r\n")}}));
  CuttleProcess parent(hostnameLine("parent"));
  ASSERT_TRUE(parent.started());
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  EXPECT_EQ(get(child, origin.url("/a")).body, "cacheable");
  HttpResponse second = get(child, origin.url("/a"));
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "cacheable");
  EXPECT_THAT(waitForAccessResults(child, 2), ElementsAre("TCP_MISS/200", "TCP_MEM_HIT/200"));
  // Anything the hit had sent to the parent would be logged there before this sentinel.
  EXPECT_EQ(get(child, origin.url("/sentinel")).body, "not cached");
  std::vector<SquidLogLine> at_parent = logLines(parent, 2);
  ASSERT_EQ(at_parent.size(), 2u) << parent.accessLog();
  EXPECT_EQ(at_parent[0].url, origin.url("/a"));
  EXPECT_EQ(at_parent[1].url, origin.url("/sentinel")) << "the hit reached the parent";
  EXPECT_EQ(countRequests(origin, "/a"), 1u);
}

// ---- choosing among parents ----------------------------------------------------------------

TEST(Peers, CarpSendsEachUrlToOneParentAndSpreadsUrlsOverBoth) {
  OriginServer origin(scripted([](const HttpRequest&) {
    return okResponse("fresh", "Cache-Control: no-store\r\n");  // every request reaches a parent
  }));
  CuttleProcess parent_a(hostnameLine("parent-a"));
  ASSERT_TRUE(parent_a.started());
  CuttleProcess parent_b(hostnameLine("parent-b"));
  ASSERT_TRUE(parent_b.started());
  CuttleProcess child(hostnameLine("child") + peerLine(parent_a.port(), "carp name=a") +
                      peerLine(parent_b.port(), "carp name=b"));
  ASSERT_TRUE(child.started());

  constexpr int kUrls = 40;
  std::map<std::string, std::set<std::string>> parents_by_url;
  std::map<std::string, int> requests_by_parent;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kUrls; ++i) {
      const std::string url = origin.url("/u" + std::to_string(i));
      HttpResponse r = get(child, url);
      ASSERT_EQ(r.status, 200) << url << "\n" << r.raw;
      std::vector<std::string> hops = viaHops(r.headers);
      ASSERT_EQ(hops.size(), 2u) << "not through one parent: " << r.head;
      EXPECT_EQ(hops[1], "child");
      parents_by_url[url].insert(hops[0]);
      ++requests_by_parent[hops[0]];
    }
  }
  for (const auto& [url, parents] : parents_by_url) {
    EXPECT_EQ(parents.size(), 1u) << url << " went to more than one parent";
  }
  EXPECT_EQ(requests_by_parent.size(), 2u) << "one parent got every URL";
  EXPECT_GT(requests_by_parent["parent-a"], 0);
  EXPECT_GT(requests_by_parent["parent-b"], 0);
  EXPECT_EQ(requests_by_parent["parent-a"] + requests_by_parent["parent-b"], 2 * kUrls);
  std::vector<SquidLogLine> log = logLines(child, 2 * kUrls);
  ASSERT_EQ(log.size(), static_cast<size_t>(2 * kUrls));
  for (const SquidLogLine& l : log) EXPECT_EQ(hierarchyOf(l), "CARP/127.0.0.1") << l.url;
}

TEST(Peers, DeadParentIsSkippedForTheNextParent) {
  OriginServer origin(scripted(
      [](const HttpRequest&) { return okResponse("fresh", "Cache-Control: no-store\r\n"); }));
  CuttleProcess live(hostnameLine("live-parent"));
  ASSERT_TRUE(live.started());
  const uint16_t dead_port = closedLoopbackPort();
  CuttleProcess child(hostnameLine("child") + peerLine(dead_port, "name=dead") +
                      peerLine(live.port(), "name=live"));
  ASSERT_TRUE(child.started());
  constexpr int kRequests = 12;  // beyond connect-fail-limit's default (10)
  for (int i = 0; i < kRequests; ++i) {
    HttpResponse r = get(child, origin.url("/f" + std::to_string(i)));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_THAT(viaHops(r.headers), ElementsAre("live-parent", "child")) << r.head;
  }
  EXPECT_EQ(origin.requests().size(), static_cast<size_t>(kRequests));
  std::vector<SquidLogLine> log = logLines(child, kRequests);
  for (const SquidLogLine& l : log) EXPECT_EQ(hierarchyOf(l), "FIRSTUP_PARENT/127.0.0.1") << l.url;
}

TEST(Peers, DefaultParentIsUsedOnlyAfterTheOtherParents) {
  OriginServer default_parent(fakeParent("from the default parent"));
  OriginServer first_parent(fakeParent("from the first parent"));
  // Listed first, but a default parent is the last resort (squid's default).
  CuttleProcess child(hostnameLine("child") + peerLine(default_parent.port(), "default name=d") +
                      peerLine(first_parent.port(), "name=f"));
  ASSERT_TRUE(child.started());
  OriginServer origin(sentinelOrigin());
  EXPECT_EQ(get(child, origin.url("/a")).body, "from the first parent");
  EXPECT_EQ(default_parent.connectionCount(), 0);
  first_parent.stop();  // now nobody listens there
  EXPECT_EQ(get(child, origin.url("/b")).body, "from the default parent");
  EXPECT_EQ(origin.connectionCount(), 0);
  std::vector<SquidLogLine> log = logLines(child, 2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].hierarchy, "FIRSTUP_PARENT");
  EXPECT_EQ(log[1].hierarchy, "DEFAULT_PARENT");
}

TEST(Peers, AllParentsDownGoesDirectWithoutNeverDirect) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("straight from the origin")}}));
  CuttleProcess child(hostnameLine("child") + peerLine(closedLoopbackPort(), "name=p1") +
                      peerLine(closedLoopbackPort(), "carp name=p2"));
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "straight from the origin");
  EXPECT_THAT(viaHops(r.headers), ElementsAre("child"));
  EXPECT_THAT(originRequestLines(origin), ElementsAre("GET /a HTTP/1.1"));
  std::vector<SquidLogLine> log = logLines(child, 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(hierarchyOf(log[0]), "HIER_DIRECT/127.0.0.1");
}

TEST(Peers, NeverDirectWithAllParentsDownAnswers502NamingTheFailure) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess child(hostnameLine("child") + peerLine(closedLoopbackPort(), "name=p1") +
                      peerLine(closedLoopbackPort(), "name=p2") + "never_direct allow all\n");
  ASSERT_TRUE(child.started());
  HttpResponse r = get(child, origin.url("/a"));
  EXPECT_TRUE(r.status == 502 || r.status == 504) << r.raw;
  EXPECT_TRUE(r.complete) << r.raw;
  EXPECT_THAT(r.body, HasSubstr("cannot connect to 127.0.0.1:")) << r.raw;
  EXPECT_EQ(origin.connectionCount(), 0) << "never_direct, yet the origin was contacted";
}

TEST(Peers, AlwaysDirectNeverUsesTheParent) {
  OriginServer origin(OriginServer::canned({{"/a", okResponse("straight from the origin")}}));
  OriginServer parent(fakeParent("from the parent"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()) +
                      "always_direct allow all\n");
  ASSERT_TRUE(child.started());
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = get(child, origin.url("/a"));
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body, "straight from the origin");
  }
  EXPECT_EQ(parent.connectionCount(), 0) << parent.receivedAll();
  std::vector<SquidLogLine> log = logLines(child, 3);
  for (const SquidLogLine& l : log) EXPECT_EQ(l.hierarchy, "HIER_DIRECT");
}

TEST(Peers, NonHierarchicalPostGoesDirectFirst) {
  OriginServer origin(scripted([](const HttpRequest& req) {
    return okResponse("origin saw " + req.method + " " + req.body);
  }));
  OriginServer parent(fakeParent("from the parent"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse post = fetch(child.port(), "POST " + origin.url("/form") +
                                              " HTTP/1.1\r\nHost: " + origin.authority() +
                                              "\r\nContent-Length: 4\r\n\r\nbody");
  EXPECT_EQ(post.status, 200) << post.raw;
  EXPECT_EQ(post.body, "origin saw POST body");
  EXPECT_EQ(parent.connectionCount(), 0) << "the POST went to the parent: " << parent.receivedAll();
  // A GET on the same configuration does use the parent.
  EXPECT_EQ(get(child, origin.url("/page")).body, "from the parent");
  std::vector<SquidLogLine> log = logLines(child, 2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method + " " + log[0].hierarchy, "POST HIER_DIRECT");
  EXPECT_EQ(log[1].method + " " + log[1].hierarchy, "GET FIRSTUP_PARENT");
}

// ---- options of a parent -------------------------------------------------------------------

TEST(Peers, LoginSendsTheConfiguredBasicCredentialsInsteadOfTheClients) {
  OriginServer origin(sentinelOrigin());
  OriginServer parent(fakeParent("from the parent"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port(), "login=user:pass"));
  ASSERT_TRUE(child.started());
  HttpResponse r =
      get(child, origin.url("/a"), "Proxy-Authorization: Basic Y2xpZW50OnNlY3JldA==\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(parent.requests().size(), 1u);
  const HttpRequest request = parent.requests()[0];
  const Fields& sent = request.headers;
  // base64("user:pass"); the client's own credentials are for the child only (hop by hop).
  EXPECT_THAT(sent.all("Proxy-Authorization"), ElementsAre("Basic dXNlcjpwYXNz")) << request.head;
}

TEST(Peers, ClientProxyAuthorizationIsNotForwardedToAParentWithoutLogin) {
  OriginServer origin(sentinelOrigin());
  OriginServer parent(fakeParent("from the parent"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()));
  ASSERT_TRUE(child.started());
  HttpResponse r =
      get(child, origin.url("/a"), "Proxy-Authorization: Basic Y2xpZW50OnNlY3JldA==\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(parent.requests().size(), 1u);
  EXPECT_FALSE(parent.requests()[0].headers.has("Proxy-Authorization"))
      << parent.requests()[0].head;
}

TEST(Peers, ProxyOnlyParentObjectsAreNotCachedByTheChild) {
  OriginServer origin(sentinelOrigin());
  OriginServer parent(fakeParent("cacheable", "Cache-Control: max-age=3600\r\n"));
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port(), "proxy-only"));
  ASSERT_TRUE(child.started());
  EXPECT_EQ(get(child, origin.url("/a")).body, "cacheable");
  EXPECT_EQ(get(child, origin.url("/a")).body, "cacheable");
  EXPECT_EQ(countRequests(parent, origin.url("/a")), 2u) << "the second request was a hit";
  EXPECT_THAT(waitForAccessResults(child, 2), ElementsAre("TCP_MISS/200", "TCP_MISS/200"));
}

// ---- CONNECT -----------------------------------------------------------------------------

TEST(Peers, ConnectGoesThroughTheParentWithNeverDirectAndRelaysBytes) {
  OriginServer echo([](OriginConnection& c) {
    std::string got;
    while (c.readRaw(1, &got)) {
      if (!c.write(got)) return;
      got.clear();
    }
  });
  CuttleProcess parent(hostnameLine("parent"));
  ASSERT_TRUE(parent.started());
  CuttleProcess child(hostnameLine("child") + peerLine(parent.port()) + "never_direct allow all\n");
  ASSERT_TRUE(child.started());
  RawClient c(child.port());
  c.send("CONNECT " + echo.authority() + " HTTP/1.1\r\nHost: " + echo.authority() + "\r\n\r\n");
  HttpResponse established = readConnectResponse(c.stream());
  ASSERT_EQ(established.status, 200) << established.raw;
  c.send("ping through two proxies");
  std::string back;
  EXPECT_TRUE(c.stream().readExactly(24, &back, "echoed tunnel bytes"));
  EXPECT_EQ(back, "ping through two proxies");
  c.close();
  ASSERT_TRUE(echo.waitForHandlerDone(0));
  EXPECT_EQ(echo.received(0), "ping through two proxies") << "only tunnel data reaches the server";
  // The parent opened the tunnel: its log has the CONNECT, the child's names the parent.
  std::vector<SquidLogLine> at_parent = logLines(parent, 1);
  ASSERT_EQ(at_parent.size(), 1u);
  EXPECT_EQ(at_parent[0].method, "CONNECT");
  EXPECT_EQ(at_parent[0].url, echo.authority());
  EXPECT_EQ(hierarchyOf(at_parent[0]), "HIER_DIRECT/127.0.0.1");
  std::vector<SquidLogLine> at_child = logLines(child, 1);
  ASSERT_EQ(at_child.size(), 1u);
  EXPECT_EQ(at_child[0].method, "CONNECT");
  EXPECT_EQ(hierarchyOf(at_child[0]), "FIRSTUP_PARENT/127.0.0.1");
}

}  // namespace
}  // namespace cuttle::test
