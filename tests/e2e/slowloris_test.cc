// Many idle and slowloris clients through the real binary (issue 2, "Bad input and failures"):
// 2,000 connections, half silent and half holding a request head cuttle is still waiting
// for, fed one byte at a time, do not stop cuttle from serving a normal client; cuttle keeps
// them all open without answering them, and lets them go once the test closes them. And
// max_connections: connections beyond the limit are accepted and closed at once, without a
// byte, while the ones within it keep working.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"
#include "tests/support/prometheus_text.h"

namespace cuttle::test {
namespace {

constexpr int kCrowd = 2000;
// The crowd's sockets here, as many in cuttle (which inherits this limit before raising its
// own), and some room for the harness, the origin and the normal client.
constexpr rlim_t kDescriptorsNeeded = 4200;

// Raises the soft RLIMIT_NOFILE towards the hard limit (up to `wanted`); returns the soft
// limit in force afterwards.
rlim_t raiseDescriptorLimit(rlim_t wanted) {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0) return 0;
  if (nofile.rlim_cur < wanted) {
    nofile.rlim_cur =
        nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max >= wanted ? wanted : nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
    ::getrlimit(RLIMIT_NOFILE, &nofile);
  }
  return nofile.rlim_cur;
}

// cuttle's open client connections, as its /metrics page says (the scrape's own included).
double clientConnections(const CuttleProcess& proxy) {
  HttpResponse r = fetch(proxy.port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" +
                                           std::to_string(proxy.port()) + "\r\n\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  PrometheusText page = parsePrometheusText(r.body);
  EXPECT_TRUE(page.ok) << page.error;
  return page.value("cuttle_client_connections").value_or(-1);
}

TEST(Slowloris, TwoThousandIdleAndSlowClientsDoNotStopANormalClient) {
  const rlim_t limit = raiseDescriptorLimit(2 * kDescriptorsNeeded);
  if (limit < kDescriptorsNeeded) {
    GTEST_SKIP() << "RLIMIT_NOFILE allows " << limit << " descriptors, " << kDescriptorsNeeded
                 << " needed";
  }
  OriginServer origin(OriginServer::always(okResponse("still serving")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());

  std::vector<std::unique_ptr<RawClient>> crowd;
  crowd.reserve(kCrowd);
  for (int i = 0; i < kCrowd; ++i) {
    crowd.push_back(std::make_unique<RawClient>(proxy.port()));
    ASSERT_TRUE(crowd.back()->connected()) << "connection " << i;
  }
  // The odd half sends a request head that never ends, one byte at a time on each
  // connection in turn; the even half sends nothing at all.
  const std::string partial_head =
      "GET " + origin.url("/slow") + " HTTP/1.1\r\nHost: " + origin.authority() + "\r\nX-Slow: a";
  for (char byte : partial_head) {
    for (int i = 1; i < kCrowd; i += 2) {
      ASSERT_TRUE(crowd[i]->send(std::string_view(&byte, 1))) << "connection " << i;
    }
  }

  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/normal")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "still serving");
  // cuttle holds every crowd connection (accepted before the scrape's) and answered none.
  EXPECT_GE(clientConnections(proxy), kCrowd + 1);
  for (int i = 0; i < kCrowd; ++i) {
    EXPECT_FALSE(crowd[i]->stream().dataWithin(std::chrono::milliseconds(0)))
        << "connection " << i << " got " << crowd[i]->raw();
  }
  EXPECT_EQ(originRequestLines(origin).size(), 1u) << "a partial head was forwarded";

  // The test lets the crowd go; cuttle releases their connections and still serves.
  crowd.clear();
  double open = -1;
  EXPECT_TRUE(pollUntil([&] {
    open = clientConnections(proxy);
    return open == 1;  // the scrape itself
  })) << "cuttle still counts "
      << open << " client connections";
  HttpResponse after = fetch(proxy.port(), getRequest(origin.url("/after")));
  EXPECT_EQ(after.status, 200) << after.raw;
}

TEST(Slowloris, ConnectionsBeyondMaxConnectionsAreClosedAtOnceWithoutAByte) {
  OriginServer origin(
      scripted([](const HttpRequest& req) { return okResponse("for " + req.target); }));
  CuttleProcess proxy("max_connections 50\n");
  ASSERT_TRUE(proxy.started());
  constexpr int kLimit = 50;
  constexpr int kOpened = 60;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kOpened; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.port()));
    ASSERT_TRUE(clients.back()->connected()) << "connection " << i + 1;
  }
  // The 60th asks for something and still gets nothing but the close.
  RawClient& last = *clients[kOpened - 1];
  last.send(getRequest(origin.url("/excess")));
  std::string extra;
  ASSERT_TRUE(last.isClosedByPeer(&extra)) << "connection 60 got: " << extra;
  EXPECT_EQ(last.raw(), "");
  // So were the others beyond the limit, which sent nothing (stop at the first that was not,
  // so that a broken limit costs one safety timeout, not ten).
  for (int i = kLimit; i < kOpened - 1; ++i) {
    std::string got;
    ASSERT_TRUE(clients[i]->isClosedByPeer(&got)) << "connection " << i + 1 << " got: " << got;
  }
  // The first 50 are served.
  for (int i = 0; i < kLimit; ++i) {
    clients[i]->send(getRequest(origin.url("/c" + std::to_string(i))));
  }
  for (int i = 0; i < kLimit; ++i) {
    HttpResponse r = clients[i]->readResponse();
    EXPECT_EQ(r.status, 200) << "connection " << i + 1 << ": " << r.raw;
    EXPECT_EQ(r.body, "for /c" + std::to_string(i));
  }
  EXPECT_EQ(countRequests(origin, "/excess"), 0u);
}

}  // namespace
}  // namespace cuttle::test
