// cuttle's operations endpoints and request tracing through the real binary (issue 5):
// /metrics in the Prometheus text format whose values move as requests go by, /readyz,
// /status as a self-contained HTML page, and the Cuttle-Trace request header that reports
// the cache decisions in the response and the access log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"
#include "tests/support/connect_response.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/socket_stream.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

HttpResponse local(const CuttleProcess& proxy, std::string_view path) {
  return fetch(proxy.port(), "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                 std::to_string(proxy.port()) + "\r\n\r\n");
}

PrometheusText scrape(const CuttleProcess& proxy) {
  HttpResponse r = local(proxy, "/metrics");
  EXPECT_EQ(r.status, 200) << r.raw;
  PrometheusText page = parsePrometheusText(r.body);
  EXPECT_TRUE(page.ok) << page.error;
  return page;
}

// The value of one series ("name" or "name{labels}" as on the page); 0 when absent, which
// is how Prometheus reads a counter not yet exposed.
double metric(const CuttleProcess& proxy, std::string_view series) {
  return scrape(proxy).value(series).value_or(0);
}

constexpr std::string_view kGetMiss = "cuttle_requests_total{method=\"GET\",result=\"TCP_MISS\"}";
constexpr std::string_view kGetMemHit =
    "cuttle_requests_total{method=\"GET\",result=\"TCP_MEM_HIT\"}";

// ---- /metrics ------------------------------------------------------------------------------

TEST(Metrics, PageIsPrometheusTextWithHelpAndTypeBeforeEverySample) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  HttpResponse r = local(proxy, "/metrics");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_THAT(r.headers.get("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  PrometheusText page = parsePrometheusText(r.body);
  ASSERT_TRUE(page.ok) << page.error << "\n" << r.body;
  EXPECT_FALSE(page.samples.empty());
  for (const PrometheusSample& s : page.samples) {
    EXPECT_EQ(page.types.count(s.family), 1u) << "no TYPE for " << s.name;
    EXPECT_EQ(page.helps.count(s.family), 1u) << "no HELP for " << s.name;
    EXPECT_EQ(s.name.rfind("cuttle_", 0), 0u) << "not cuttle_-prefixed: " << s.name;
    if (page.types[s.family] == "counter") {
      EXPECT_TRUE(s.family.size() > 6 && s.family.substr(s.family.size() - 6) == "_total")
          << "a counter not named *_total: " << s.family;
    }
  }
}

TEST(Metrics, RequestsTotalCountsAMissThenAMemoryHit) {
  OriginServer origin(
      OriginServer::always(okResponse("cacheable", "Cache-Control: max-age=600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const double miss0 = metric(proxy, kGetMiss);
  const double hit0 = metric(proxy, kGetMemHit);
  const double hits0 = metric(proxy, "cuttle_cache_hits_total");
  const double misses0 = metric(proxy, "cuttle_cache_misses_total");

  HttpResponse first = get(proxy, origin.url("/obj"));
  EXPECT_EQ(first.status, 200) << first.raw;
  PrometheusText after_miss = scrape(proxy);
  EXPECT_EQ(after_miss.value(kGetMiss).value_or(0), miss0 + 1);
  EXPECT_EQ(after_miss.value(kGetMemHit).value_or(0), hit0);
  EXPECT_EQ(after_miss.value("cuttle_cache_hits_total").value_or(0), hits0);
  // cuttle's own pages are not cache misses: only the proxied request counts.
  EXPECT_EQ(after_miss.value("cuttle_cache_misses_total").value_or(0), misses0 + 1);

  HttpResponse second = get(proxy, origin.url("/obj"));
  EXPECT_EQ(second.status, 200) << second.raw;
  PrometheusText after_hit = scrape(proxy);
  EXPECT_EQ(after_hit.value(kGetMiss).value_or(0), miss0 + 1);
  EXPECT_EQ(after_hit.value(kGetMemHit).value_or(0), hit0 + 1);
  EXPECT_EQ(after_hit.value("cuttle_cache_hits_total").value_or(0), hits0 + 1);
  // The access log agrees: the object's first request a miss, its second a memory hit.
  ASSERT_TRUE(proxy.waitForAccessLogLines(7));
  std::vector<std::string> results;
  for (const SquidLogLine& l : parseSquidLog(proxy.accessLogLines())) {
    if (l.url == origin.url("/obj")) results.push_back(l.result + "/" + std::to_string(l.status));
  }
  EXPECT_THAT(results, ::testing::ElementsAre("TCP_MISS/200", "TCP_MEM_HIT/200"));
}

TEST(Metrics, ResponsesTotalCountsA403As4xx) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy(
      "acl forbidden urlpath_regex ^/forbidden\n"
      "http_access deny forbidden\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  const std::string k4xx = "cuttle_responses_total{class=\"4xx\"}";
  const double before = metric(proxy, k4xx);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/forbidden"))).status, 403);
  PrometheusText after = scrape(proxy);
  EXPECT_EQ(after.value(k4xx).value_or(0), before + 1);
  EXPECT_EQ(after.value("cuttle_requests_total{method=\"GET\",result=\"TCP_DENIED\"}").value_or(0),
            1);
}

TEST(Metrics, ClientConnectionsGaugeFollowsOpenConnections) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string kGauge = "cuttle_client_connections";
  // The scraping connection is open while the page is made: it counts itself.
  EXPECT_TRUE(pollUntil([&] { return metric(proxy, kGauge) == 1; })) << scrape(proxy).error;
  {
    RawClient a(proxy.port());
    RawClient b(proxy.port());
    for (RawClient* c : {&a, &b}) {
      c->send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      EXPECT_EQ(c->readResponse().status, 200);  // accepted and kept open
    }
    // Two held open plus the scraping one (earlier scrapes may still be closing: wait).
    EXPECT_TRUE(pollUntil([&] { return metric(proxy, kGauge) == 3; }))
        << "two open clients not counted: " << metric(proxy, kGauge);
  }
  EXPECT_TRUE(pollUntil([&] { return metric(proxy, kGauge) == 1; }))
      << "closed connections still counted: " << metric(proxy, kGauge);
}

TEST(Metrics, UpstreamConnectsAndReusesCountPoolUse) {
  OriginServer origin(OriginServer::always(okResponse("fresh", "Cache-Control: no-store\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  PrometheusText before = scrape(proxy);
  const double connects0 = before.value("cuttle_upstream_connects_total").value_or(0);
  const double reuses0 = before.value("cuttle_upstream_reuses_total").value_or(0);
  RawClient c(proxy.port());
  for (int i = 0; i < 3; ++i) {
    c.send(getRequest(origin.url("/r" + std::to_string(i))));
    EXPECT_EQ(c.readResponse().status, 200);
  }
  PrometheusText after = scrape(proxy);
  EXPECT_EQ(origin.connectionCount(), 1);
  EXPECT_EQ(after.value("cuttle_upstream_connects_total").value_or(0), connects0 + 1);
  EXPECT_EQ(after.value("cuttle_upstream_reuses_total").value_or(0), reuses0 + 2);
}

TEST(Metrics, TunnelsOpenGaugeCountsAConnectWhileItLasts) {
  OriginServer server([](OriginConnection& c) {
    std::string ping;
    if (c.readRaw(4, &ping)) c.write("pong");
    c.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(metric(proxy, "cuttle_tunnels_open"), 0);
  {
    RawClient tunnel(proxy.port());
    tunnel.send("CONNECT " + server.authority() + " HTTP/1.1\r\nHost: " + server.authority() +
                "\r\n\r\n");
    ASSERT_EQ(readConnectResponse(tunnel.stream()).status, 200);
    tunnel.send("ping");
    std::string pong;
    EXPECT_TRUE(tunnel.stream().readExactly(4, &pong, "pong"));
    EXPECT_EQ(metric(proxy, "cuttle_tunnels_open"), 1);
  }
  EXPECT_TRUE(pollUntil([&] { return metric(proxy, "cuttle_tunnels_open") == 0; }))
      << "a closed tunnel is still counted";
}

TEST(Metrics, ConfigReloadsCountSuccessesAndFailures) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string kOk = "cuttle_config_reloads_total{result=\"success\"}";
  const std::string kFailed = "cuttle_config_reloads_total{result=\"failure\"}";
  EXPECT_EQ(metric(proxy, kOk), 0);
  EXPECT_EQ(metric(proxy, kFailed), 0);
  proxy.signal(SIGHUP);
  ASSERT_TRUE(proxy.waitForStderr("reconfigured"));
  EXPECT_EQ(metric(proxy, kOk), 1);

  {
    std::ofstream config(proxy.configPath(), std::ios::app);
    config << "acl bad nosuchtype value\n";  // an unknown ACL type: an error
    ASSERT_TRUE(config.good());
  }
  proxy.signal(SIGHUP);
  ASSERT_TRUE(proxy.waitForStderr("reconfigure refused"));
  PrometheusText after = scrape(proxy);
  EXPECT_EQ(after.value(kOk).value_or(0), 1);
  EXPECT_EQ(after.value(kFailed).value_or(0), 1);
}

// ---- /readyz and /status -------------------------------------------------------------------

TEST(Metrics, ReadyzIs200WhenReady) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = local(proxy, "/readyz");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(metric(proxy, "cuttle_ready"), 1);
}

TEST(Metrics, StatusIsHtmlWithoutExternalReferences) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  HttpResponse r = local(proxy, "/status");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_THAT(r.headers.get("Content-Type"), StartsWith("text/html"));
  EXPECT_THAT(r.body, HasSubstr("<html"));
  // No asset from elsewhere: no src/href/action to another origin or scheme-relative URL,
  // no CSS import or url() fetching one.
  static const std::regex kExternal(R"((src|href|action|data)\s*=\s*["']?\s*(https?:|//))",
                                    std::regex::icase);
  EXPECT_FALSE(std::regex_search(r.body, kExternal)) << r.body;
  static const std::regex kCssFetch(R"((@import|url\s*\(\s*["']?\s*(https?:|//)))",
                                    std::regex::icase);
  EXPECT_FALSE(std::regex_search(r.body, kCssFetch)) << r.body;
}

// ---- Cuttle-Trace --------------------------------------------------------------------------

// The access log line of the n-th request (0-based), after waiting for n+1 lines.
SquidLogLine loggedLine(CuttleProcess& proxy, size_t n) {
  if (!proxy.waitForAccessLogLines(n + 1)) return {};
  std::vector<std::string> lines = proxy.accessLogLines();
  SquidLogLine l = parseSquidLogLine(lines.size() > n ? lines[n] : "");
  EXPECT_TRUE(l.ok) << proxy.accessLog();
  return l;
}

TEST(Metrics, TraceReportsWhyANoStoreResponseWasNotStored) {
  OriginServer origin(OriginServer::always(okResponse("private", "Cache-Control: no-store\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, origin.url("/ns"), "Cuttle-Trace: 1\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.headers.count("Cuttle-Trace"), 1u) << r.head;
  EXPECT_THAT(r.headers.get("Cuttle-Trace"), HasSubstr("store=no (no-store)")) << r.head;
  SquidLogLine l = loggedLine(proxy, 0);
  EXPECT_THAT(l.trace, HasSubstr("store=no (no-store)")) << proxy.accessLog();
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_FALSE(origin.requests()[0].headers.has("Cuttle-Trace")) << origin.requests()[0].head;
}

TEST(Metrics, TraceReportsAMemoryHit) {
  OriginServer origin(OriginServer::always(okResponse("stored", "Cache-Control: max-age=600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse miss = get(proxy, origin.url("/t"));
  EXPECT_EQ(miss.status, 200);
  EXPECT_FALSE(miss.headers.has("Cuttle-Trace")) << "not asked for: " << miss.head;
  HttpResponse hit = get(proxy, origin.url("/t"), "Cuttle-Trace: 1\r\n");
  EXPECT_EQ(hit.status, 200) << hit.raw;
  EXPECT_THAT(hit.headers.get("Cuttle-Trace"), HasSubstr("served=TCP_MEM_HIT")) << hit.head;
  EXPECT_EQ(loggedLine(proxy, 0).trace, "") << "the first request asked for no trace";
  SquidLogLine l = loggedLine(proxy, 1);
  EXPECT_EQ(l.result, "TCP_MEM_HIT");
  EXPECT_THAT(l.trace, HasSubstr("served=TCP_MEM_HIT")) << proxy.accessLog();
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(Metrics, TraceHeaderIsNotForwardedToTheOrigin) {
  OriginServer origin(OriginServer::always(okResponse("ok", "Cache-Control: max-age=600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, origin.url("/fwd"),
                       "Cuttle-Trace: 1\r\nConnection: keep-alive\r\nX-Other: kept\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.headers.has("Cuttle-Trace")) << r.head;
  ASSERT_TRUE(origin.waitForRequests(1));
  const HttpRequest up = origin.requests()[0];
  EXPECT_FALSE(up.headers.has("Cuttle-Trace")) << up.head;
  EXPECT_EQ(up.headers.get("X-Other"), "kept") << up.head;
}

}  // namespace
}  // namespace cuttle::test
