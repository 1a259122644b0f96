// Listeners through the real binary (issue 2, "Core"): http_port on IPv6 ([::1]) and IPv4
// side by side, `workers N` sharing one port through SO_REUSEPORT (one listening socket per
// worker, every connection served whichever worker the kernel picks), and `-k parse`
// refusing a duplicate http_port. IPv6 tests skip on machines without an IPv6 loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"
#include "tests/support/ipv6_loopback.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;

#define SKIP_WITHOUT_IPV6()                                                   \
  do {                                                                        \
    if (!ipv6LoopbackAvailable()) GTEST_SKIP() << "no IPv6 loopback ([::1])"; \
  } while (0)

// The port of the "listening on [::1]:PORT" line on cuttle's stderr (0 if absent).
uint16_t ipv6ListeningPort(CuttleProcess& proxy) {
  const std::string needle = "listening on [::1]:";
  if (!proxy.waitForStderr(needle)) return 0;
  const std::string err = proxy.stderrText();
  const size_t at = err.find(needle);
  return static_cast<uint16_t>(std::atoi(err.c_str() + at + needle.size()));
}

// One GET over IPv6 to the proxy at [::1]:port.
HttpResponse fetchOverIpv6(uint16_t port, const std::string& url) {
  SocketStream s = connectIpv6Loopback(port);
  if (!s.valid()) return {};
  s.write(getRequest(url));
  return readHttpResponse(s);
}

// Sockets in LISTEN state on `port` in /proc/net/tcp and /proc/net/tcp6.
int listeningSocketsOnPort(uint16_t port) {
  int n = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const size_t colon = local.rfind(':');
      if (colon == std::string::npos || state != "0A") continue;  // 0A: TCP_LISTEN
      if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) ++n;
    }
  }
  return n;
}

TEST(Listeners, Ipv6LoopbackHttpPortServesRequests) {
  SKIP_WITHOUT_IPV6();
  OriginServer origin(OriginServer::canned({{"/a", okResponse("over IPv6")}}));
  CuttleProcess proxy("http_port [::1]:0\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetchOverIpv6(proxy.port(), origin.url("/a"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "over IPv6");
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  SquidLogLine l = parseSquidLogLine(proxy.accessLogLines().at(0));
  EXPECT_TRUE(l.ok) << proxy.accessLog();
  EXPECT_EQ(l.client, "::1");
}

TEST(Listeners, Ipv4AndIpv6HttpPortsBothServe) {
  SKIP_WITHOUT_IPV6();
  OriginServer origin(OriginServer::canned({{"/a", okResponse("served")}}));
  CuttleProcess proxy("http_port 127.0.0.1:0\nhttp_port [::1]:0\n");
  ASSERT_TRUE(proxy.started());
  const uint16_t v6_port = ipv6ListeningPort(proxy);
  ASSERT_NE(v6_port, 0) << proxy.stderrText();
  HttpResponse over_v4 = fetch(proxy.port(), getRequest(origin.url("/a")));
  EXPECT_EQ(over_v4.status, 200) << over_v4.raw;
  EXPECT_EQ(over_v4.body, "served");
  HttpResponse over_v6 = fetchOverIpv6(v6_port, origin.url("/a"));
  EXPECT_EQ(over_v6.status, 200) << over_v6.raw;
  EXPECT_EQ(over_v6.body, "served");
  ASSERT_TRUE(proxy.waitForAccessLogLines(2));
  std::vector<SquidLogLine> log = parseSquidLog(proxy.accessLogLines());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].client, "127.0.0.1");
  EXPECT_EQ(log[1].client, "::1");
}

TEST(Listeners, EachWorkerHasItsOwnReusePortListeningSocket) {
  CuttleProcess proxy("workers 2\n");
  ASSERT_TRUE(proxy.started());
  // SO_REUSEPORT: two sockets listen on the same address and port, one per worker.
  EXPECT_EQ(listeningSocketsOnPort(proxy.port()), 2);
}

TEST(Listeners, TwoWorkersServeEveryOneOfManyConnections) {
  OriginServer origin(
      scripted([](const HttpRequest& req) { return okResponse("for " + req.target); }));
  CuttleProcess proxy("workers 2\n");
  ASSERT_TRUE(proxy.started());
  // All connections open at once, so the kernel spreads them over both workers' sockets;
  // a worker that did not serve its share would leave its clients waiting.
  constexpr int kConnections = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.port()));
    ASSERT_TRUE(clients.back()->connected()) << "connection " << i;
  }
  for (int i = 0; i < kConnections; ++i) {
    clients[i]->send(getRequest(origin.url("/c" + std::to_string(i))));
  }
  int served = 0;
  for (int i = 0; i < kConnections; ++i) {
    HttpResponse r = clients[i]->readResponse();
    EXPECT_EQ(r.status, 200) << "connection " << i << ": " << r.raw;
    if (r.body == "for /c" + std::to_string(i)) ++served;
  }
  EXPECT_EQ(served, kConnections);
  EXPECT_TRUE(proxy.waitForAccessLogLines(kConnections));
}

TEST(Listeners, ParseRefusesADuplicateHttpPort) {
  CommandResult r = parseConfig("http_port 127.0.0.1:3128\nworkers 1\nhttp_port 127.0.0.1:3128\n");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_THAT(all, HasSubstr("cuttle.conf:3"));
  EXPECT_THAT(all, HasSubstr("duplicate http_port"));
}

TEST(Listeners, ParseRefusesTheSameIpv6AddressSpelledTwoWays) {
  CommandResult r = parseConfig("http_port [::1]:3128\nhttp_port [0:0:0:0:0:0:0:1]:3128\n");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_THAT(all, HasSubstr("cuttle.conf:2"));
  EXPECT_THAT(all, HasSubstr("duplicate http_port"));
}

TEST(Listeners, ParseAcceptsTheSamePortOnDifferentAddresses) {
  CommandResult r = parseConfig("http_port 127.0.0.1:3128\nhttp_port [::1]:3128\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace cuttle::test
