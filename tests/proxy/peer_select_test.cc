#include "proxy/peer_select.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace cuttle::proxy {
namespace {

conf::CachePeer peer(std::string name, bool carp = false, bool default_parent = false, int weight = 1) {
  conf::CachePeer p;
  p.host = "127.0.0.1";
  p.http_port = 3128;
  p.name = std::move(name);
  p.carp = carp;
  p.default_parent = default_parent;
  p.weight = weight;
  p.connect_fail_limit = 2;
  return p;
}

std::vector<std::string> names(const std::vector<Route>& routes) {
  std::vector<std::string> out;
  for (const Route& r : routes) out.push_back(r.peer ? r.peer->name : "DIRECT");
  return out;
}

TEST(PeerSelect, NoPeersMeansDirect) {
  std::vector<conf::CachePeer> peers;
  PeerSelection s;
  s.peers = &peers;
  s.url = "http://a/";
  EXPECT_EQ(names(selectRoutes(s)), std::vector<std::string>{"DIRECT"});
}

TEST(PeerSelect, HierarchicalGoesThroughParentsThenDirect) {
  std::vector<conf::CachePeer> peers = {peer("dflt", false, true), peer("first"), peer("second")};
  PeerSelection s;
  s.peers = &peers;
  s.url = "http://a/";
  // squid: first-up parents in order, default parents last, then direct.
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"first", "second", "dflt", "DIRECT"}));
  EXPECT_EQ(selectRoutes(s)[0].hierarchy, "FIRSTUP_PARENT");
  EXPECT_EQ(selectRoutes(s)[2].hierarchy, "DEFAULT_PARENT");
}

TEST(PeerSelect, NonHierarchicalGoesDirectFirst) {
  std::vector<conf::CachePeer> peers = {peer("p")};
  PeerSelection s;
  s.peers = &peers;
  s.url = "http://a/";
  s.method = Method::kPost;
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"DIRECT", "p"}));
  s.method = Method::kConnect;
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"DIRECT", "p"}));
}

TEST(PeerSelect, NeverDirectAndAlwaysDirect) {
  std::vector<conf::CachePeer> peers = {peer("p")};
  PeerSelection s;
  s.peers = &peers;
  s.url = "http://a/";
  s.never_direct = true;
  EXPECT_EQ(names(selectRoutes(s)), std::vector<std::string>{"p"});
  s.method = Method::kPost;
  EXPECT_EQ(names(selectRoutes(s)), std::vector<std::string>{"p"});
  s.never_direct = false;
  s.always_direct = true;
  EXPECT_EQ(names(selectRoutes(s)), std::vector<std::string>{"DIRECT"});
}

TEST(PeerSelect, CarpIsConsistentAndSpreads) {
  std::vector<conf::CachePeer> peers = {peer("a", true), peer("b", true), peer("c", true)};
  PeerSelection s;
  s.peers = &peers;
  s.never_direct = true;
  std::map<std::string, int> first;
  for (int i = 0; i < 3000; ++i) {
    const std::string url = "http://host/" + std::to_string(i);
    s.url = url;
    auto routes = selectRoutes(s);
    ASSERT_EQ(routes.size(), 3u);
    EXPECT_EQ(routes[0].hierarchy, "CARP");
    EXPECT_EQ(names(routes), names(selectRoutes(s))) << "the same URL always picks the same order";
    ++first[routes[0].peer->name];
  }
  for (const auto& [name, n] : first) EXPECT_GT(n, 800) << name;  // about a third each

  // Removing a parent only moves the URLs it had (consistent hashing).
  std::vector<conf::CachePeer> two = {peer("a", true), peer("b", true)};
  PeerSelection s2 = s;
  s2.peers = &two;
  for (int i = 0; i < 300; ++i) {
    const std::string url = "http://host/" + std::to_string(i);
    s.url = s2.url = url;
    const std::string with = selectRoutes(s)[0].peer->name;
    if (with != "c") {
      EXPECT_EQ(selectRoutes(s2)[0].peer->name, with) << url;
    }
  }
}

TEST(PeerSelect, CarpWeightsShiftTheShare) {
  std::vector<conf::CachePeer> peers = {peer("light", true, false, 1), peer("heavy", true, false, 3)};
  PeerSelection s;
  s.peers = &peers;
  s.never_direct = true;
  int heavy = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string url = "http://w/" + std::to_string(i);
    s.url = url;
    heavy += selectRoutes(s)[0].peer->name == "heavy";
  }
  EXPECT_GT(heavy, 2700);  // about 3/4
  EXPECT_LT(heavy, 3300);
}

TEST(PeerSelect, FailingPeerGoesToTheEndForAWhile) {
  std::vector<conf::CachePeer> peers = {peer("first"), peer("second")};
  PeerHealth health;
  PeerSelection s;
  s.peers = &peers;
  s.url = "http://a/";
  s.never_direct = true;
  uint64_t now = 1000;
  s.healthy = [&](const conf::CachePeer& p) { return health.healthy(p, now); };
  health.failed(peers[0], now);  // below connect_fail_limit (2): still healthy
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"first", "second"}));
  health.failed(peers[0], now);
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"second", "first"}));
  now += PeerHealth::kDownMs;
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"first", "second"}));
  health.failed(peers[0], now);
  health.succeeded(peers[0]);
  health.failed(peers[0], now);
  EXPECT_EQ(names(selectRoutes(s)), (std::vector<std::string>{"first", "second"}));
}

}  // namespace
}  // namespace cuttle::proxy
