// check() must not allocate in the common case (no regex ACL): counted by replacing the
// global operator new for this test binary. Counting is off except inside the measured
// calls, on the measuring thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "tests/conf/access_test_util.h"

// The replacements below pair operator new with free() on purpose; at -O2 GCC inlines them
// into callers and reports the pairing (-Wmismatched-new-delete) for the whole file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace cuttle::conf {
namespace {

using test::build;
using test::Built;
using test::Req;

// The number of allocations made by `fn`.
template <typename Fn>
long allocations(Fn fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations;
}

// A realistic large rule set: 1,000 dstdomain entries, 50 http_access lines.
std::string largeConfig() {
  std::string text =
      "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/pw\n"
      "acl localnet src 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fe80::/10\n"
      "acl SSL_ports port 443\n"
      "acl Safe_ports port 80 21 443 70 210 1025-65535 280 488 591 777\n"
      "acl users proxy_auth alice bob\n"
      "acl work time MTWHF 08:00-18:00\n"
      "acl blocked dstdomain";
  for (int i = 0; i < 1000; ++i) text += " .blocked" + std::to_string(i) + ".example";
  text += "\n";
  for (int i = 0; i < 45; ++i) {
    text += "acl net" + std::to_string(i) + " src 198.18." + std::to_string(i) + ".0/24\n";
    text += "http_access deny net" + std::to_string(i) + " blocked\n";
  }
  text +=
      "http_access deny !Safe_ports\n"
      "http_access deny CONNECT !SSL_ports\n"
      "http_access deny blocked\n"
      "http_access allow localnet work\n"
      "http_access deny all\n";
  return text;
}

TEST(AccessAlloc, TheCounterCounts) {
  long n = allocations([] {
    std::string s(100, 'x');
    EXPECT_EQ(s.size(), 100u);
  });
  EXPECT_EQ(n, 1);
}

TEST(AccessAlloc, CheckDoesNotAllocate) {
  Built b = build(largeConfig());
  ASSERT_NE(b.rules, nullptr);
  Req allowed = Req().client("10.1.2.3").host("www.news.example").path("/a/b?c=d");
  allowed.now(test::localTime(2024, 6, 3, 10, 0));
  Req blocked = Req().client("198.18.44.7").host("a.b.blocked999.example");
  Req refused = Req().client("203.0.113.1").connect("host.example", 22);
  Req v6 = Req().client("fd00::1").host("WWW.Blocked7.Example.");
  AccessDecision d;
  long n = allocations([&] {
    for (int i = 0; i < 100; ++i) {
      d = b.rules->check(allowed);
      d = b.rules->check(blocked);
      d = b.rules->check(refused);
      d = b.rules->check(v6);
    }
  });
  EXPECT_EQ(n, 0);
  EXPECT_EQ(b.rules->check(allowed).result, AccessResult::kAllow);
  EXPECT_EQ(b.rules->check(blocked).result, AccessResult::kDeny);
  EXPECT_EQ(b.rules->check(blocked).line, 9 + 2 * 44);  // deny net44 blocked
  EXPECT_EQ(b.rules->check(refused).result, AccessResult::kDeny);
  EXPECT_EQ(b.rules->check(v6).result, AccessResult::kDeny);
}

TEST(AccessAlloc, DebianStyleRulesAndUpgradeDoNotAllocate) {
  Built ok = build(
      "acl SSL_ports port 443\nacl Safe_ports port 80 443 1025-65535\n"
      "http_access deny !Safe_ports\nhttp_access deny CONNECT !SSL_ports\n"
      "http_access allow localhost manager\nhttp_access deny manager\n"
      "http_access allow localhost\nhttp_access deny all\n");
  Req local = Req().client("127.0.0.1");
  Req remote = Req().client("192.0.2.1").manager();
  bool upgrade = false;
  long n = allocations([&] {
    for (int i = 0; i < 100; ++i) {
      (void)ok.rules->check(local);
      (void)ok.rules->check(remote);
      upgrade = ok.rules->upgradeAllowed("websocket", local);
    }
  });
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(upgrade);
}

}  // namespace
}  // namespace cuttle::conf
