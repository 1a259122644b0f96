#include "dns/dns_cache.h"

#include <gtest/gtest.h>

namespace cuttle::dns {
namespace {

AddressList one(const char* text) { return {*SocketAddress::parseIp(text)}; }

TEST(DnsCacheTest, FreshUntilExpiry) {
  DnsCache cache(10);
  cache.put("a.test", one("192.0.2.1"), 1000);
  ASSERT_NE(cache.find("a.test", 999), nullptr);
  EXPECT_TRUE(cache.find("a.test", 999)->ok());
  EXPECT_EQ(cache.find("a.test", 1000), nullptr);
  EXPECT_EQ(cache.size(), 0u);  // the expired entry is dropped
}

TEST(DnsCacheTest, StoresErrorsAndReplaces) {
  DnsCache cache(10);
  cache.put("a.test", Error(ErrorCode::kDnsFailed, Side::kDns, "no such host: a.test"), 50);
  const DnsCache::Answer* answer = cache.find("a.test", 10);
  ASSERT_NE(answer, nullptr);
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error().cause, "no such host: a.test");
  cache.put("a.test", one("192.0.2.1"), 100);
  answer = cache.find("a.test", 60);
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->ok());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DnsCacheTest, EvictsLeastRecentlyUsed) {
  DnsCache cache(2);
  cache.put("a", one("192.0.2.1"), 100);
  cache.put("b", one("192.0.2.2"), 100);
  EXPECT_NE(cache.find("a", 0), nullptr);  // a becomes the most recent
  cache.put("c", one("192.0.2.3"), 100);
  EXPECT_EQ(cache.find("b", 0), nullptr);
  EXPECT_NE(cache.find("a", 0), nullptr);
  EXPECT_NE(cache.find("c", 0), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(DnsCacheTest, ZeroEntriesDisablesCaching) {
  DnsCache cache(0);
  cache.put("a", one("192.0.2.1"), 100);
  EXPECT_EQ(cache.find("a", 0), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace cuttle::dns
