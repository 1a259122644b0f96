// Name resolution through the configured nameserver (dns_nameservers), against a fake DNS
// server on 127.0.0.1.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/fake_dns_server.h"

namespace cuttle::test {
namespace {

std::string dnsConfig(const FakeDnsServer& dns) {
  return "dns_nameservers " + dns.address() + "\nhosts_file none\n";
}

TEST(Dns, NameIsResolvedThroughTheConfiguredNameserver) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  dns.addA("origin.test", "127.0.0.1");
  OriginServer origin(OriginServer::always(okResponse("resolved")));
  CuttleProcess proxy(dnsConfig(dns));
  ASSERT_TRUE(proxy.started());
  const std::string authority = "origin.test:" + std::to_string(origin.port());
  HttpResponse r = fetch(proxy.port(), getRequest("http://" + authority + "/path"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "resolved");
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_EQ(origin.requests()[0].headers.get("Host"), authority);
  EXPECT_EQ(firstLine(origin.requests()[0].head), "GET /path HTTP/1.1");
  EXPECT_GE(dns.queryCount("origin.test"), 1);
}

TEST(Dns, NxdomainGets502) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  dns.setNxdomain("missing.test");
  CuttleProcess proxy(dnsConfig(dns));
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), getRequest("http://missing.test:1/"));
  EXPECT_EQ(r.status, 502) << r.raw;
  EXPECT_FALSE(r.body.empty());
  EXPECT_GE(dns.queryCount("missing.test"), 1);
}

TEST(Dns, SecondRequestUsesTheCachedAnswer) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  dns.addA("cached.test", "127.0.0.1", 300);
  OriginServer origin(OriginServer::always(okResponse("ok", "Connection: close\r\n")));
  CuttleProcess proxy(dnsConfig(dns));
  ASSERT_TRUE(proxy.started());
  const std::string url = "http://cached.test:" + std::to_string(origin.port()) + "/";
  EXPECT_EQ(fetch(proxy.port(), getRequest(url)).status, 200);
  const int after_first = dns.queryCount("cached.test");
  EXPECT_EQ(fetch(proxy.port(), getRequest(url)).status, 200);
  EXPECT_EQ(dns.queryCount("cached.test"), after_first) << "the answer had a 300 s TTL";
  EXPECT_EQ(origin.connectionCount(), 2);
}

TEST(Dns, NextAddressIsTriedWhenTheFirstRefuses) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin(OriginServer::always(okResponse("second address")));
  // 127.0.0.2 on the origin's port refuses (the origin listens on 127.0.0.1 only). The
  // refusing address comes first in the answer; a resolver that reorders may skip the
  // failure path, but must still reach the origin.
  dns.addA("dual.test", "127.0.0.2");
  dns.addA("dual.test", "127.0.0.1");
  CuttleProcess proxy(dnsConfig(dns));
  ASSERT_TRUE(proxy.started());
  HttpResponse r =
      fetch(proxy.port(), getRequest("http://dual.test:" + std::to_string(origin.port()) + "/"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "second address");
}

TEST(Dns, NumericHostNeedsNoLookup) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin(OriginServer::always(okResponse("numeric")));
  CuttleProcess proxy(dnsConfig(dns));
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).body, "numeric");
  EXPECT_EQ(dns.totalQueries(), 0);
}

TEST(Dns, HostsFileIsConsultedBeforeTheNameserver) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  const std::string hosts = dir.write("hosts", "# test hosts\n127.0.0.1 fromhosts.test\n");
  OriginServer origin(OriginServer::always(okResponse("from hosts")));
  CuttleProcess proxy("dns_nameservers " + dns.address() + "\nhosts_file " + hosts + "\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(
      proxy.port(), getRequest("http://fromhosts.test:" + std::to_string(origin.port()) + "/"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "from hosts");
  EXPECT_EQ(dns.queryCount("fromhosts.test"), 0);
}

}  // namespace
}  // namespace cuttle::test
