// One test group per ACL type of conf/acl*.cc, through AccessRules: each config allows
// requests that match ACL "x" and denies the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/conf/access_test_util.h"

namespace cuttle::conf {
namespace {

using test::build;
using test::buildAny;
using test::buildOneError;
using test::Built;
using test::contains;
using test::dump;
using test::Req;

// "acl x <definition>" then allow x, deny all.
Built allowX(const std::string& definition) {
  return build("acl x " + definition + "\nhttp_access allow x\nhttp_access deny all\n");
}

bool allowed(const Built& b, const AccessRequest& r) {
  return test::result(b, r) == AccessResult::kAllow;
}

// ---- src ---------------------------------------------------------------------------------

TEST(AclSrc, SingleAddressCidrNetmaskAndRange) {
  Built b = allowX("src 192.0.2.7 10.0.0.0/8 172.16.0.0/255.240.0.0 198.51.100.10-198.51.100.20");
  EXPECT_TRUE(allowed(b, Req().client("192.0.2.7")));
  EXPECT_FALSE(allowed(b, Req().client("192.0.2.8")));
  EXPECT_TRUE(allowed(b, Req().client("10.255.255.255")));
  EXPECT_FALSE(allowed(b, Req().client("11.0.0.0")));
  EXPECT_TRUE(allowed(b, Req().client("172.31.1.1")));
  EXPECT_FALSE(allowed(b, Req().client("172.32.0.0")));
  EXPECT_TRUE(allowed(b, Req().client("198.51.100.10")));
  EXPECT_TRUE(allowed(b, Req().client("198.51.100.20")));
  EXPECT_FALSE(allowed(b, Req().client("198.51.100.21")));
  EXPECT_FALSE(allowed(b, Req().client("198.51.100.9")));
  // A netmask is accepted with squid's deprecation warning.
  EXPECT_EQ(test::withMessage(b.warnings, "netmasks are deprecated").size(), 1u)
      << dump(b.warnings);
}

TEST(AclSrc, Ipv6) {
  Built b = allowX("src fc00::/7 2001:db8::1 2001:db8:1::5-2001:db8:1::9");
  EXPECT_TRUE(allowed(b, Req().client("fd12:3456::1")));
  EXPECT_FALSE(allowed(b, Req().client("fe80::1")));
  EXPECT_TRUE(allowed(b, Req().client("2001:db8::1")));
  EXPECT_FALSE(allowed(b, Req().client("2001:db8::2")));
  EXPECT_TRUE(allowed(b, Req().client("2001:db8:1::7")));
  EXPECT_FALSE(allowed(b, Req().client("2001:db8:1::a")));
  EXPECT_FALSE(allowed(b, Req().client("10.0.0.1")));
}

TEST(AclSrc, Ipv4ValuesMatchIpv4MappedClients) {
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; squid matches them.
  Built b = allowX("src 10.0.0.0/8");
  EXPECT_TRUE(allowed(b, Req().client("::ffff:10.1.2.3")));
  EXPECT_FALSE(allowed(b, Req().client("::ffff:11.1.2.3")));
  EXPECT_FALSE(allowed(b, Req().client("::10.1.2.3")));
}

TEST(AclSrc, AllKeywordsAndSquidsOldSpellings) {
  Built all = allowX("src all");
  EXPECT_TRUE(allowed(all, Req().client("1.2.3.4")));
  EXPECT_TRUE(allowed(all, Req().client("2001:db8::1")));
  EXPECT_TRUE(allowed(all, Req().noClient()));
  Built old = allowX("src 0.0.0.0/0.0.0.0");
  EXPECT_TRUE(allowed(old, Req().client("2001:db8::1")));  // squid: means all
  EXPECT_EQ(test::withMessage(old.warnings, "means 'all'").size(), 1u) << dump(old.warnings);
  Built v4 = allowX("src ipv4");
  EXPECT_TRUE(allowed(v4, Req().client("203.0.113.1")));
  EXPECT_FALSE(allowed(v4, Req().client("2001:db8::1")));
  Built v6 = allowX("src ipv6");
  EXPECT_TRUE(allowed(v6, Req().client("2001:db8::1")));
  EXPECT_TRUE(allowed(v6, Req().client("fe80::1")));
  EXPECT_FALSE(allowed(v6, Req().client("::1")));
  EXPECT_FALSE(allowed(v6, Req().client("203.0.113.1")));
}

TEST(AclSrc, NoClientAddressMatchesOnlyAll) {
  Built b = allowX("src 0.0.0.1-255.255.255.255");
  EXPECT_FALSE(allowed(b, Req().noClient()));
}

TEST(AclSrc, MaskClearingBitsWarnsAndReversedRangeNeverMatches) {
  Built b = allowX("src 1.2.3.4/24 9.9.9.9-9.9.9.1");
  EXPECT_TRUE(allowed(b, Req().client("1.2.3.200")));
  EXPECT_FALSE(allowed(b, Req().client("9.9.9.5")));
  EXPECT_EQ(test::withMessage(b.warnings, "clears bits").size(), 1u) << dump(b.warnings);
  EXPECT_EQ(test::withMessage(b.warnings, "reversed range").size(), 1u) << dump(b.warnings);
}

TEST(AclSrc, BadValuesAreErrors) {
  EXPECT_TRUE(contains(buildOneError("acl x src 10.0.0.0/33\n", 1).message, "bad netmask"));
  EXPECT_TRUE(contains(buildOneError("acl x src ::/129\n", 1).message, "bad netmask"));
  EXPECT_TRUE(
      contains(buildOneError("acl x src 10.0.0.0/255.0.255.0\n", 1).message, "bad netmask"));
  EXPECT_TRUE(contains(buildOneError("acl x src proxy.example.com\n", 1).message,
                       "does not resolve host names"));
  EXPECT_TRUE(contains(buildOneError("acl x src 1.2.3.4-::5\n", 1).message, "mixes"));
  EXPECT_TRUE(
      contains(buildOneError("acl x src -n 1.2.3.4\n", 1).message, "unsupported option '-n'"));
}

TEST(AclSrc, ManyEntriesAgreeWithALinearScan) {
  // Sorting and merging must not change the set: random CIDRs and ranges, random probes.
  std::mt19937 rng(12345);
  std::string def = "src";
  struct R {
    uint32_t lo, hi;
  };
  std::vector<R> reference;
  for (int i = 0; i < 300; ++i) {
    uint32_t base = rng() & 0x0fffffff;  // 0.x.x.x - 15.x.x.x, so that they overlap
    if (i % 2 == 0) {
      int bits = 8 + static_cast<int>(rng() % 25);
      uint32_t mask = bits == 32 ? ~0u : ~(~0u >> bits);
      base &= mask;
      reference.push_back({base, base | ~mask});
      def += " " + std::to_string(base >> 24) + "." + std::to_string((base >> 16) & 255) + "." +
             std::to_string((base >> 8) & 255) + "." + std::to_string(base & 255) + "/" +
             std::to_string(bits);
    } else {
      uint32_t hi = base + (rng() % 100000);
      reference.push_back({base, hi});
      auto ip = [](uint32_t a) {
        return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
               std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
      };
      def += " " + ip(base) + "-" + ip(hi);
    }
  }
  Built b = allowX(def);
  for (int i = 0; i < 5000; ++i) {
    uint32_t a = i < 300 ? reference[i].hi + (i % 3) - 1 : rng() & 0x0fffffff;
    bool expected = std::any_of(reference.begin(), reference.end(),
                                [a](const R& r) { return a >= r.lo && a <= r.hi; });
    std::string ip = std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                     std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
    ASSERT_EQ(allowed(b, Req().client(ip)), expected) << ip;
  }
}

// ---- dst ---------------------------------------------------------------------------------

TEST(AclDst, IpLiteralHostNeedsNoResolution) {
  Built b = allowX("dst 192.0.2.0/24 2001:db8::/32");
  EXPECT_TRUE(allowed(b, Req().host("192.0.2.9")));
  EXPECT_FALSE(allowed(b, Req().host("192.0.3.9")));
  EXPECT_TRUE(allowed(b, Req().host("2001:db8::5")));
  EXPECT_TRUE(allowed(b, Req().host("[2001:db8::5]")));
}

TEST(AclDst, NamedHostNeedsTheDestinationThenMatchesAnyAddress) {
  Built b = allowX("dst 192.0.2.0/24");
  AccessDecision d = b.rules->check(Req().host("www.example.com"));
  EXPECT_EQ(d.result, AccessResult::kNeedDestination);
  EXPECT_EQ(d.line, 2);
  EXPECT_TRUE(
      allowed(b, Req().host("www.example.com").destinations({"198.51.100.1", "192.0.2.1"})));
  EXPECT_FALSE(allowed(b, Req().host("www.example.com").destinations({"198.51.100.1"})));
  // Resolution failed: no address, no match.
  EXPECT_FALSE(allowed(b, Req().host("www.example.com").destinations({})));
}

TEST(AclDst, NoLookupOptionNeverAsks) {
  Built b = allowX("dst -n 192.0.2.0/24");
  EXPECT_EQ(b.rules->check(Req().host("www.example.com")).result, AccessResult::kDeny);
  EXPECT_TRUE(allowed(b, Req().host("192.0.2.1")));
}

TEST(AclDst, PredefinedToLocalhost) {
  Built b = build("http_access deny to_localhost\nhttp_access allow all\n");
  EXPECT_EQ(test::result(b, Req().host("127.0.0.1")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("127.10.0.1")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("0.0.0.0")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("::1")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("::")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("192.0.2.1")), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().host("localhost")), AccessResult::kNeedDestination);
  EXPECT_EQ(test::result(b, Req().host("localhost").destinations({"127.0.0.1"})),
            AccessResult::kDeny);
}

// ---- dstdomain ---------------------------------------------------------------------------

TEST(AclDstdomain, ExactAndLeadingDot) {
  Built b = allowX("dstdomain www.example.org .example.com");
  EXPECT_TRUE(allowed(b, Req().host("www.example.org")));
  EXPECT_FALSE(allowed(b, Req().host("example.org")));
  EXPECT_FALSE(allowed(b, Req().host("a.www.example.org")));
  EXPECT_TRUE(allowed(b, Req().host("example.com")));
  EXPECT_TRUE(allowed(b, Req().host("a.b.example.com")));
  EXPECT_FALSE(allowed(b, Req().host("badexample.com")));
  EXPECT_FALSE(allowed(b, Req().host("example.com.evil.net")));
  EXPECT_FALSE(allowed(b, Req().host("com")));
  EXPECT_FALSE(allowed(b, Req().host("")));
}

TEST(AclDstdomain, CaseAndTrailingDotAreIgnored) {
  Built b = allowX("dstdomain .Example.COM www.example.org.");
  EXPECT_TRUE(allowed(b, Req().host("WWW.example.com")));
  EXPECT_TRUE(allowed(b, Req().host("www.example.com.")));
  EXPECT_TRUE(allowed(b, Req().host("www.example.org")));
  EXPECT_TRUE(allowed(b, Req().host("www.example.org.")));
}

TEST(AclDstdomain, IpLiteralsAreComparedAsText) {
  Built b = allowX("dstdomain 192.0.2.1 [2001:db8::1] .2.1");
  EXPECT_TRUE(allowed(b, Req().host("192.0.2.1")));
  EXPECT_TRUE(allowed(b, Req().host("2001:db8::1")));
  EXPECT_TRUE(allowed(b, Req().host("[2001:db8::1]")));
  // No parent-domain walk for an address: ".2.1" does not match 192.0.2.1's tail.
  EXPECT_FALSE(allowed(b, Req().host("192.0.3.1")));
  EXPECT_FALSE(allowed(b, Req().host("10.0.2.1")));
}

TEST(AclDstdomain, OverlapsAndDuplicatesWarnLikeSquid) {
  Built b =
      allowX("dstdomain .example.com www.example.com .a.example.com example.com .example.com");
  EXPECT_EQ(test::withMessage(b.warnings, "already matched by '.example.com'").size(), 3u)
      << dump(b.warnings);
  EXPECT_EQ(test::withMessage(b.warnings, "listed twice").size(), 1u) << dump(b.warnings);
}

TEST(AclDstdomain, ThousandsOfEntries) {
  std::string def = "dstdomain";
  for (int i = 0; i < 5000; ++i) def += " .site" + std::to_string(i) + ".example";
  Built b = allowX(def);
  EXPECT_TRUE(allowed(b, Req().host("www.site4999.example")));
  EXPECT_TRUE(allowed(b, Req().host("site0.example")));
  EXPECT_FALSE(allowed(b, Req().host("site5000.example")));
}

TEST(AclDstdomain, OptionsAsSquid) {
  Built b = allowX("dstdomain -n .example.com");
  EXPECT_TRUE(allowed(b, Req().host("a.example.com")));
  EXPECT_TRUE(contains(buildOneError("acl x dstdomain -i .example.com\n", 1).message,
                       "unsupported option '-i'"));
  EXPECT_TRUE(contains(buildOneError("acl x dstdomain .\n", 1).message, "not a domain name"));
}

TEST(AclDstdomRegex, HostRegexWithCaseOptions) {
  Built b = allowX("dstdom_regex -i ^www\\. +i \\.ORG$");
  EXPECT_TRUE(allowed(b, Req().host("WWW.example.com")));
  EXPECT_TRUE(allowed(b, Req().host("example.ORG")));
  EXPECT_FALSE(allowed(b, Req().host("example.org")));
  EXPECT_FALSE(allowed(b, Req().host("w3.example.com")));
}

// ---- port, localport ---------------------------------------------------------------------

TEST(AclPort, NumbersAndRanges) {
  Built b = allowX("port 80 443 1025-65535");
  EXPECT_TRUE(allowed(b, Req().port(80)));
  EXPECT_TRUE(allowed(b, Req().port(443)));
  EXPECT_TRUE(allowed(b, Req().port(1025)));
  EXPECT_TRUE(allowed(b, Req().port(65535)));
  EXPECT_FALSE(allowed(b, Req().port(1024)));
  EXPECT_FALSE(allowed(b, Req().port(25)));
}

TEST(AclPort, BadValuesAreErrors) {
  EXPECT_TRUE(contains(buildOneError("acl x port 80-\n", 1).message, "not a port"));
  EXPECT_TRUE(contains(buildOneError("acl x port 0-70000\n", 1).message, "not a port"));
  EXPECT_TRUE(contains(buildOneError("acl x port http\n", 1).message, "not a port"));
  EXPECT_TRUE(contains(buildOneError("acl x port 90-80\n", 1).message, "reversed"));
  EXPECT_TRUE(contains(buildOneError("acl x port -i 80\n", 1).message, "unsupported option"));
}

TEST(AclLocalport, MatchesTheAcceptingPort) {
  Built b = allowX("localport 3128 8080-8081");
  EXPECT_TRUE(allowed(b, Req().localPort(3128)));
  EXPECT_TRUE(allowed(b, Req().localPort(8081)));
  EXPECT_FALSE(allowed(b, Req().localPort(3129).port(3128)));
  // squid's old name, with a warning.
  Built old = allowX("myport 3128");
  EXPECT_TRUE(allowed(old, Req().localPort(3128)));
  EXPECT_EQ(test::withMessage(old.warnings, "now called 'localport'").size(), 1u);
}

TEST(AclMyportname, AcceptedButNeverMatches) {
  Built b = allowX("myportname 3128");
  EXPECT_FALSE(allowed(b, Req().localPort(3128)));
  EXPECT_EQ(test::withMessage(b.warnings, "never matches").size(), 1u) << dump(b.warnings);
}

// ---- method, proto -----------------------------------------------------------------------

TEST(AclMethod, CaseSensitiveNamesAndExtensions) {
  Built b = allowX("method GET PURGE");
  EXPECT_TRUE(allowed(b, Req().method("GET")));
  EXPECT_TRUE(allowed(b, Req().method("PURGE")));
  EXPECT_FALSE(allowed(b, Req().method("get")));
  EXPECT_FALSE(allowed(b, Req().method("POST")));
  EXPECT_TRUE(contains(buildOneError("acl x method -i GET\n", 1).message, "unsupported option"));
}

TEST(AclProto, CaseInsensitiveAndConnectIsNone) {
  Built b = allowX("proto http FTP");
  EXPECT_TRUE(allowed(b, Req().scheme("http")));
  EXPECT_TRUE(allowed(b, Req().scheme("HTTP")));
  EXPECT_TRUE(allowed(b, Req().scheme("ftp")));
  EXPECT_FALSE(allowed(b, Req().scheme("https")));
  Built https = allowX("proto HTTPS");
  // squid 5.7 gives CONNECT the protocol NONE, even to port 443.
  EXPECT_FALSE(allowed(https, Req().connect("example.com", 443)));
  Built none = allowX("proto NONE");
  EXPECT_TRUE(allowed(none, Req().connect("example.com", 443)));
  EXPECT_FALSE(allowed(none, Req()));
}

TEST(AclProto, UnknownProtocolIsIgnoredWithAWarning) {
  Built b = allowX("proto HTTP GOPHERPLUS");
  EXPECT_EQ(test::withMessage(b.warnings, "unknown protocol 'GOPHERPLUS'").size(), 1u);
  EXPECT_TRUE(allowed(b, Req()));
}

// ---- regex types -------------------------------------------------------------------------

TEST(AclUrlRegex, WholeUrlWithCaseToggles) {
  Built b = allowX("url_regex ^http://a\\.example/ -i \\.JPG$ +i \\.Png$");
  EXPECT_TRUE(allowed(b, Req().url("http://a.example/x")));
  EXPECT_FALSE(allowed(b, Req().url("http://A.example/x")));
  EXPECT_TRUE(allowed(b, Req().url("http://b.example/x.jpg")));
  EXPECT_TRUE(allowed(b, Req().url("http://b.example/x.Png")));
  EXPECT_FALSE(allowed(b, Req().url("http://b.example/x.png")));
  // CONNECT requests have "host:port" as their URL.
  Built c = allowX("url_regex :443$");
  EXPECT_TRUE(allowed(c, Req().connect("example.com", 443)));
}

TEST(AclUrlRegex, SubjectIsNotNulTerminated) {
  // The view ends before "xyz": "$" must anchor at the end of the view.
  Built b = allowX("url_regex ^http://a/b$");
  std::string storage = "http://a/bxyz";
  AccessRequest r = Req();
  r.url = std::string_view(storage).substr(0, 10);
  EXPECT_EQ(b.rules->check(r).result, AccessResult::kAllow);
}

TEST(AclUrlRegex, InvalidExpressionIsAnError) {
  Diagnostic e = buildOneError("acl x url_regex ok ab(c\n", 1);
  EXPECT_TRUE(contains(e.message, "invalid regular expression 'ab(c'")) << e.message;
}

TEST(AclUrlpathRegex, PathAndQuery) {
  Built b = allowX("urlpath_regex -i \\.(gif|jpe?g)$ ^/cgi-bin/");
  EXPECT_TRUE(allowed(b, Req().path("/img/A.GIF")));
  EXPECT_TRUE(allowed(b, Req().path("/cgi-bin/x?y=1")));
  EXPECT_FALSE(allowed(b, Req().path("/img/a.png")));
  EXPECT_FALSE(allowed(b, Req().path("/x/cgi-bin/")));
}

TEST(AclBrowser, UserAgentRegex) {
  Built b = allowX("browser -i curl Wget/1\\.");
  EXPECT_TRUE(allowed(b, Req().userAgent("curl/8.1")));
  EXPECT_TRUE(allowed(b, Req().userAgent("CURL/8.1")));
  EXPECT_TRUE(allowed(b, Req().userAgent("wget/1.21")));  // -i applies to the rest
  EXPECT_FALSE(allowed(b, Req().userAgent("Mozilla/5.0")));
  EXPECT_FALSE(allowed(b, Req()));  // no User-Agent: no match
  Built any = allowX("browser .*");
  EXPECT_FALSE(allowed(any, Req()));
}

// ---- time --------------------------------------------------------------------------------

TEST(AclTime, DaysAndRangesInLocalTime) {
  // 2024-06-03 is a Monday, 2024-06-08 a Saturday, 2024-06-09 a Sunday.
  Built b = allowX("time MTWHF 09:00-17:00");
  EXPECT_TRUE(allowed(b, Req().now(test::localTime(2024, 6, 3, 9, 0))));
  EXPECT_TRUE(allowed(b, Req().now(test::localTime(2024, 6, 3, 17, 0, 59))));  // inclusive
  EXPECT_FALSE(allowed(b, Req().now(test::localTime(2024, 6, 3, 17, 1))));
  EXPECT_FALSE(allowed(b, Req().now(test::localTime(2024, 6, 3, 8, 59, 59))));
  EXPECT_FALSE(allowed(b, Req().now(test::localTime(2024, 6, 8, 12, 0))));
}

TEST(AclTime, DaysAloneMeanTheWholeDayAndTimesAloneEveryDay) {
  Built weekend = allowX("time SA");
  EXPECT_TRUE(allowed(weekend, Req().now(test::localTime(2024, 6, 9, 0, 0))));
  EXPECT_TRUE(allowed(weekend, Req().now(test::localTime(2024, 6, 8, 23, 59, 59))));
  EXPECT_FALSE(allowed(weekend, Req().now(test::localTime(2024, 6, 7, 12, 0))));
  Built lunch = allowX("time 12:00-13:00");
  EXPECT_TRUE(allowed(lunch, Req().now(test::localTime(2024, 6, 9, 12, 30))));
  EXPECT_FALSE(allowed(lunch, Req().now(test::localTime(2024, 6, 9, 14, 0))));
  Built weekdays = allowX("time D");
  EXPECT_TRUE(allowed(weekdays, Req().now(test::localTime(2024, 6, 7, 12, 0))));
  EXPECT_FALSE(allowed(weekdays, Req().now(test::localTime(2024, 6, 8, 12, 0))));
  Built late = allowX("time 22:00-24:00");
  EXPECT_TRUE(allowed(late, Req().now(test::localTime(2024, 6, 8, 23, 59, 59))));
}

TEST(AclTime, SeveralSpecsOnOneLineAndAcrossLines) {
  Built b = build(
      "acl x time M 09:00-10:00 T 11:00-12:00\n"
      "acl x time A\n"
      "http_access allow x\nhttp_access deny all\n");
  EXPECT_TRUE(allowed(b, Req().now(test::localTime(2024, 6, 3, 9, 30))));    // Mon
  EXPECT_FALSE(allowed(b, Req().now(test::localTime(2024, 6, 3, 11, 30))));  // Mon
  EXPECT_TRUE(allowed(b, Req().now(test::localTime(2024, 6, 4, 11, 30))));   // Tue
  EXPECT_TRUE(allowed(b, Req().now(test::localTime(2024, 6, 8, 3, 0))));     // Sat
}

TEST(AclTime, BadSpecs) {
  EXPECT_TRUE(contains(buildOneError("acl x time 17:00-09:00\n", 1).message, "reversed"));
  EXPECT_TRUE(contains(buildOneError("acl x time 09:00\n", 1).message, "bad time range"));
  EXPECT_TRUE(contains(buildOneError("acl x time 25:00-26:00\n", 1).message, "bad time range"));
  Built b = allowX("time MTX 09:00-17:00");  // squid: a bad day letter is only reported
  EXPECT_EQ(test::withMessage(b.warnings, "bad day 'X'").size(), 1u) << dump(b.warnings);
}

// ---- proxy_auth, proxy_auth_regex ----------------------------------------------------------

constexpr const char* kAuth = "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/pw\n";

TEST(AclProxyAuth, RequiredMatchesAnyVerifiedUser) {
  Built b = build(std::string(kAuth) + "acl x proxy_auth REQUIRED\nhttp_access allow x\n");
  EXPECT_EQ(b.rules->check(Req()).result, AccessResult::kNeedAuth);
  EXPECT_EQ(b.rules->check(Req()).line, 3);
  EXPECT_TRUE(allowed(b, Req().user("anyone")));
  EXPECT_TRUE(b.rules->usesAuth());
}

TEST(AclProxyAuth, UserListsCaseSensitiveOrNot) {
  Built b = build(std::string(kAuth) +
                  "acl x proxy_auth alice\nacl x proxy_auth -i Bob\n"
                  "http_access allow x\nhttp_access deny all\n");
  EXPECT_TRUE(allowed(b, Req().user("alice")));
  EXPECT_FALSE(allowed(b, Req().user("Alice")));
  EXPECT_TRUE(allowed(b, Req().user("bob")));
  EXPECT_TRUE(allowed(b, Req().user("BOB")));
  EXPECT_FALSE(allowed(b, Req().user("carol")));
}

TEST(AclProxyAuth, NamesWithRequiredWarn) {
  Built b = build(std::string(kAuth) + "acl x proxy_auth REQUIRED alice\nhttp_access allow x\n");
  EXPECT_EQ(test::withMessage(b.warnings, "are ignored").size(), 1u) << dump(b.warnings);
  EXPECT_TRUE(allowed(b, Req().user("bob")));
}

TEST(AclProxyAuth, NeedsAnAuthParamBeforeItAsSquid) {
  Diagnostic e = buildOneError("acl x proxy_auth REQUIRED\n" + std::string(kAuth), 1);
  EXPECT_TRUE(contains(e.message, "auth_param")) << e.message;
}

TEST(AclProxyAuthRegex, MatchesTheVerifiedUser) {
  Built b = build(std::string(kAuth) +
                  "acl x proxy_auth_regex -i ^admin_\nhttp_access allow x\n"
                  "http_access deny all\n");
  EXPECT_EQ(b.rules->check(Req()).result, AccessResult::kNeedAuth);
  EXPECT_TRUE(allowed(b, Req().user("Admin_joe")));
  EXPECT_FALSE(allowed(b, Req().user("joe")));
}

// ---- manager, CONNECT, unsupported types ---------------------------------------------------

TEST(AclPredefined, ManagerConnectLocalhostAll) {
  Built b = build(
      "http_access allow localhost manager\nhttp_access deny manager\n"
      "http_access deny CONNECT\nhttp_access allow all\n");
  EXPECT_EQ(test::result(b, Req().client("127.0.0.1").manager()), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("::1").manager()), AccessResult::kAllow);
  EXPECT_EQ(b.rules->check(Req().client("127.0.0.2").manager()).line, 2);
  EXPECT_EQ(b.rules->check(Req().connect("example.com", 443)).line, 3);
  EXPECT_EQ(test::result(b, Req()), AccessResult::kAllow);
}

TEST(AclUnsupported, DefinitionWarnsAndUseIsAnError) {
  Built defined = buildAny("acl r referer_regex foo\nhttp_access allow all\n");
  EXPECT_NE(defined.rules, nullptr);
  EXPECT_EQ(test::withMessage(defined.warnings, "not supported by cuttle").size(), 1u);
  Diagnostic e = buildOneError("acl r referer_regex -i foo\nhttp_access deny r\n", 2);
  EXPECT_TRUE(contains(e.message, "does not support")) << e.message;
}

TEST(AclUnknownType, IsAnError) {
  Diagnostic e = buildOneError("acl x foobar 1\n", 1);
  EXPECT_TRUE(contains(e.message, "unknown ACL type 'foobar'")) << e.message;
  EXPECT_EQ(e.directive, "acl");
}

TEST(AclEmpty, WarnsAndNeverMatches) {
  Built b = allowX("src");
  EXPECT_EQ(test::withMessage(b.warnings, "no values").size(), 1u) << dump(b.warnings);
  EXPECT_FALSE(allowed(b, Req()));
}

}  // namespace
}  // namespace cuttle::conf
