// http_access through the real binary, with squid's semantics (issue 4; squid.conf
// documentation of acl and http_access): AND within a line, `!` negation, first match
// wins, the implicit last rule, no rule at all, the ACL types administrators use, values
// from a file, and the shipped conf/cuttle.conf. A denial is a 403 whose body names the
// deciding line (file:line), logged TCP_DENIED/403, and nothing reaches the origin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "tests/support/connect_response.h"
#include "tests/support/fake_dns_server.h"
#include "tests/support/socket_stream.h"
#include "tests/support/squid_log_line.h"
#include "tests/support/test_paths.h"
#include "tests/support/verbatim_cuttle.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;

// 1-based number of the line of `config` that is exactly `text` (0 when absent).
int lineOf(std::string_view config, std::string_view text) {
  std::istringstream in{std::string(config)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line == text) return n;
  }
  return 0;
}

// "FILE:LINE 'RULE'": how the 403 body names the http_access line that denied.
std::string deniedBy(const CuttleProcess& proxy, std::string_view rule) {
  return proxy.configPath() + ":" + std::to_string(lineOf(proxy.configText(), rule)) + " '" +
         std::string(rule) + "'";
}

// The result/status of the access log line for `url`, waiting for `n` lines first.
std::string loggedResult(CuttleProcess& proxy, size_t n, std::string_view url) {
  if (!proxy.waitForAccessLogLines(n)) return "";
  for (const SquidLogLine& l : parseSquidLog(proxy.accessLogLines())) {
    if (l.ok && l.url == url) return l.result + "/" + std::to_string(l.status);
  }
  return "no line for " + std::string(url);
}

std::string dnsLines(const FakeDnsServer& dns) {
  return "dns_nameservers " + dns.address() + "\nhosts_file none\n";
}

// An origin-form request for one of cuttle's own pages, as a browser or a scraper sends it
// to http://127.0.0.1:<proxy port><path>.
std::string localRequest(const CuttleProcess& proxy, std::string_view path) {
  return "GET " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(proxy.port()) + "\r\n\r\n";
}

// An origin answering every request with 200 "ok".
OriginServer::Handler okOrigin() { return OriginServer::always(okResponse("ok")); }

// ---- the 403 -------------------------------------------------------------------------------

TEST(Access, DeniedRequestGets403NamingTheDecidingLineAndIsLoggedDenied) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy(
      "acl secret urlpath_regex ^/secret\n"
      "http_access deny secret\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/secret/file");
  HttpResponse r = fetch(proxy.port(), getRequest(url));
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_TRUE(r.complete) << r.raw;
  EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny secret"))) << r.body;
  EXPECT_EQ(loggedResult(proxy, 1, url), "TCP_DENIED/403");
  expectNothingReachedOrigin(proxy, origin);
}

TEST(Access, DeniedRequestKeepsTheConnectionForTheNextRequest) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl secret urlpath_regex ^/secret\n"
      "http_access deny secret\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/secret")));
  HttpResponse denied = c.readResponse();
  EXPECT_EQ(denied.status, 403) << denied.raw;
  c.send(getRequest(origin.url("/public")));
  HttpResponse allowed = c.readResponse();
  EXPECT_EQ(allowed.status, 200) << allowed.raw;
  EXPECT_EQ(allowed.body, "ok");
}

// ---- rule semantics ------------------------------------------------------------------------

TEST(Access, FirstMatchingLineWins) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl me src 127.0.0.1/32\n"
      "acl open urlpath_regex ^/open\n"
      "http_access allow open\n"
      "http_access deny me\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  // /open matches "allow open" and "deny me": the first line decides.
  HttpResponse open = fetch(proxy.port(), getRequest(origin.url("/open")));
  EXPECT_EQ(open.status, 200) << open.raw;
  // /closed matches "deny me" (and "allow all", later): denied by the second line.
  HttpResponse closed = fetch(proxy.port(), getRequest(origin.url("/closed")));
  EXPECT_EQ(closed.status, 403) << closed.raw;
  EXPECT_THAT(closed.body, HasSubstr(deniedBy(proxy, "http_access deny me")));
}

TEST(Access, AllAclsOfALineMustMatch) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl posts method POST\n"
      "acl upload urlpath_regex ^/upload\n"
      "http_access deny posts upload\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/upload"))).status, 200) << "GET /upload";
  const std::string post_other = "POST " + origin.url("/other") +
                                 " HTTP/1.1\r\nHost: " + origin.authority() +
                                 "\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(fetch(proxy.port(), post_other).status, 200) << "POST /other";
  const std::string post_upload = "POST " + origin.url("/upload") +
                                  " HTTP/1.1\r\nHost: " + origin.authority() +
                                  "\r\nContent-Length: 1\r\n\r\nx";
  HttpResponse r = fetch(proxy.port(), post_upload);
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny posts upload")));
}

TEST(Access, NegatedAclMatchesWhatTheAclDoesNot) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl public urlpath_regex ^/public/\n"
      "http_access deny !public\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/public/a"))).status, 200);
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/private/a")));
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny !public")));
}

TEST(Access, ImplicitLastRuleDeniesAfterAnAllowLine) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy(
      "acl sentinel urlpath_regex ^/__sentinel$\n"
      "http_access allow sentinel\n");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/other");
  HttpResponse r = fetch(proxy.port(), getRequest(url));
  EXPECT_EQ(r.status, 403) << r.raw;
  // squid: when no line matches, the opposite of the last line applies; the page says so.
  const std::string rule = "http_access allow sentinel";
  EXPECT_THAT(r.body, HasSubstr(proxy.configPath() + ":" +
                                std::to_string(lineOf(proxy.configText(), rule))));
  EXPECT_THAT(r.body, HasSubstr("implicit")) << r.body;
  EXPECT_THAT(r.body, HasSubstr(rule)) << r.body;
  EXPECT_EQ(loggedResult(proxy, 1, url), "TCP_DENIED/403");
  expectNothingReachedOrigin(proxy, origin);
}

TEST(Access, ImplicitLastRuleAllowsAfterADenyLine) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl blocked urlpath_regex ^/blocked\n"
      "http_access deny blocked\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/fine")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/blocked"))).status, 403);
}

TEST(Access, NoHttpAccessLineAtAllDeniesEverything) {
  // CuttleProcess would add "http_access allow all": the config is written verbatim.
  OriginServer origin(okOrigin());
  TempDir logs;
  VerbatimCuttle proxy(
      "http_port 127.0.0.1:0\n"
      "workers 1\n"
      "access_log stdio:" +
      logs.path() +
      "/access.log\n"
      "acl me src 127.0.0.1/32\n"
      "acl all_ports port 1-65535\n");
  ASSERT_TRUE(proxy.started());
  for (std::string_view path : {"/", "/anything"}) {
    HttpResponse r = fetch(proxy.port(), getRequest(origin.url(path)));
    EXPECT_EQ(r.status, 403) << r.raw;
    EXPECT_THAT(r.body, HasSubstr("no http_access")) << r.body;
  }
  HttpResponse connect =
      fetch(proxy.port(), "CONNECT " + origin.authority() +
                              " HTTP/1.1\r\nHost: " + origin.authority() + "\r\n\r\n");
  EXPECT_EQ(connect.status, 403) << connect.raw;
  EXPECT_EQ(origin.connectionCount(), 0);
  ASSERT_TRUE(waitForFileLines(logs.path() + "/access.log", 3));
  std::istringstream log(readFile(logs.path() + "/access.log"));
  std::string line;
  while (std::getline(log, line)) {
    SquidLogLine l = parseSquidLogLine(line);
    EXPECT_TRUE(l.ok) << line;
    EXPECT_EQ(l.result + "/" + std::to_string(l.status), "TCP_DENIED/403") << line;
  }
}

// ---- ACL types -----------------------------------------------------------------------------

TEST(Access, SrcMatchesTheClientAddress) {
  OriginServer origin(okOrigin());
  // The test client is 127.0.0.1: "lan" must not match it, "me" must.
  CuttleProcess allowed(
      "acl me src 127.0.0.1/32\n"
      "acl lan src 10.0.0.0/8 192.168.0.0/16\n"
      "http_access deny lan\n"
      "http_access allow me\n"
      "http_access deny all\n");
  ASSERT_TRUE(allowed.started());
  EXPECT_EQ(fetch(allowed.port(), getRequest(origin.url("/"))).status, 200);

  CuttleProcess denied(
      "acl me src 127.0.0.0/24\n"
      "http_access deny me\n"
      "http_access allow all\n");
  ASSERT_TRUE(denied.started());
  HttpResponse r = fetch(denied.port(), getRequest(origin.url("/")));
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_THAT(r.body, HasSubstr(deniedBy(denied, "http_access deny me")));
}

TEST(Access, DstdomainWithLeadingDotMatchesTheDomainAndItsSubdomains) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  for (const char* name : {"example.test", "www.example.test", "a.b.example.test",
                           "notexample.test", "example.test.other"}) {
    dns.addA(name, "127.0.0.1");
  }
  OriginServer origin(okOrigin());
  CuttleProcess proxy(dnsLines(dns) +
                      "acl ex dstdomain .example.test\n"
                      "http_access allow ex\n"
                      "http_access deny all\n");
  ASSERT_TRUE(proxy.started());
  const std::string port = ":" + std::to_string(origin.port());
  for (const char* host :
       {"example.test", "www.example.test", "a.b.example.test", "WWW.Example.TEST"}) {
    HttpResponse r = fetch(proxy.port(), getRequest("http://" + std::string(host) + port + "/"));
    EXPECT_EQ(r.status, 200) << host << "\n" << r.raw;
  }
  for (const char* host : {"notexample.test", "example.test.other"}) {
    HttpResponse r = fetch(proxy.port(), getRequest("http://" + std::string(host) + port + "/"));
    EXPECT_EQ(r.status, 403) << host << "\n" << r.raw;
    EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny all")));
  }
  EXPECT_EQ(origin.requests().size(), 4u);
}

TEST(Access, DstdomainWithoutLeadingDotMatchesOnlyThatName) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  dns.addA("example.test", "127.0.0.1");
  dns.addA("www.example.test", "127.0.0.1");
  OriginServer origin(okOrigin());
  CuttleProcess proxy(dnsLines(dns) +
                      "acl ex dstdomain example.test\n"
                      "http_access allow ex\n"
                      "http_access deny all\n");
  ASSERT_TRUE(proxy.started());
  const std::string port = ":" + std::to_string(origin.port());
  EXPECT_EQ(fetch(proxy.port(), getRequest("http://example.test" + port + "/")).status, 200);
  EXPECT_EQ(fetch(proxy.port(), getRequest("http://www.example.test" + port + "/")).status, 403);
}

TEST(Access, DstMatchesTheResolvedAddressOfTheDestination) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  dns.addA("near.test", "127.0.0.1");
  dns.addA("far.test", "192.0.2.7");  // TEST-NET-1: never contacted, the rule denies first
  OriginServer origin(okOrigin());
  CuttleProcess proxy(dnsLines(dns) +
                      "acl loopback dst 127.0.0.0/8\n"
                      "http_access allow loopback\n"
                      "http_access deny all\n");
  ASSERT_TRUE(proxy.started());
  const std::string port = ":" + std::to_string(origin.port());
  HttpResponse near = fetch(proxy.port(), getRequest("http://near.test" + port + "/"));
  EXPECT_EQ(near.status, 200) << near.raw;
  HttpResponse far = fetch(proxy.port(), getRequest("http://far.test" + port + "/"));
  EXPECT_EQ(far.status, 403) << far.raw;
  EXPECT_THAT(far.body, HasSubstr(deniedBy(proxy, "http_access deny all")));
  // The decision needed the address: the name was resolved before the 403.
  EXPECT_GE(dns.queryCount("far.test"), 1);
  // An IP literal needs no lookup.
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/literal"))).status, 200);
  EXPECT_EQ(origin.requests().size(), 2u);
}

TEST(Access, PortMatchesTheDestinationPort) {
  OriginServer origin(okOrigin());
  const uint16_t other = closedLoopbackPort();
  CuttleProcess proxy("acl good port " + std::to_string(origin.port()) +
                      "\n"
                      "http_access allow good\n"
                      "http_access deny all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  // Denied before any connect: 403, not the 502 a closed port would give.
  const std::string url = "http://127.0.0.1:" + std::to_string(other) + "/";
  HttpResponse r = fetch(proxy.port(), getRequest(url));
  EXPECT_EQ(r.status, 403) << r.raw;
}

TEST(Access, PortRangeMatchesPortsInside) {
  OriginServer origin(okOrigin());
  const uint16_t p = origin.port();
  CuttleProcess proxy("acl range port " + std::to_string(p - 1) + "-" + std::to_string(p + 1) +
                      "\nhttp_access allow range\nhttp_access deny all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  const std::string outside = "http://127.0.0.1:" + std::to_string(p + 2) + "/";
  EXPECT_EQ(fetch(proxy.port(), getRequest(outside)).status, 403);
}

TEST(Access, MethodMatchesTheRequestMethod) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl writes method POST PUT DELETE\n"
      "http_access deny writes\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  for (std::string_view method : {"POST", "PUT", "DELETE"}) {
    const std::string req = std::string(method) + " " + origin.url("/") +
                            " HTTP/1.1\r\nHost: " + origin.authority() +
                            "\r\nContent-Length: 0\r\n\r\n";
    HttpResponse r = fetch(proxy.port(), req);
    EXPECT_EQ(r.status, 403) << method << "\n" << r.raw;
  }
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(Access, UrlRegexMatchesTheWholeUrlAndMinusIIgnoresCase) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl exe url_regex -i \\.exe$\n"
      "acl scheme url_regex ^http://127\\.0\\.0\\.1:[0-9]+/blocked\n"
      "http_access deny exe\n"
      "http_access deny scheme\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/setup.EXE"))).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/blocked/x"))).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/setup.txt"))).status, 200);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/x/blocked"))).status, 200);
}

TEST(Access, UrlpathRegexMatchesOnlyThePathAndQuery) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl cgi urlpath_regex ^/cgi-bin/\n"
      "acl query urlpath_regex \\?debug=1\n"
      "http_access deny cgi\n"
      "http_access deny query\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/cgi-bin/run"))).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/page?debug=1"))).status, 403);
  // Anchored at the path, not at the URL: these pass.
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/docs/cgi-bin/"))).status, 200);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/page?debug=0"))).status, 200);
}

TEST(Access, BrowserMatchesTheUserAgent) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl tools browser ^curl/ ^Wget/\n"
      "http_access deny tools\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"), "User-Agent: curl/8.5.0\r\n")).status,
            403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"), "User-Agent: Wget/1.21\r\n")).status,
            403);
  EXPECT_EQ(
      fetch(proxy.port(), getRequest(origin.url("/"), "User-Agent: Mozilla/5.0 curl/8\r\n")).status,
      200);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200) << "no User-Agent";
}

TEST(Access, AclValuesComeFromAQuotedFileName) {
  FakeDnsServer dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  for (const char* name : {"www.blocked.test", "other.test", "fine.test"}) {
    dns.addA(name, "127.0.0.1");
  }
  OriginServer origin(okOrigin());
  TempDir files;
  const std::string list = files.write("blocked_domains.txt",
                                       "# domains nobody may visit\n"
                                       ".blocked.test\n"
                                       "\n"
                                       "  other.test  \n");
  CuttleProcess proxy(dnsLines(dns) + "acl blocked dstdomain \"" + list +
                      "\"\n"
                      "http_access deny blocked\n"
                      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  const std::string port = ":" + std::to_string(origin.port());
  EXPECT_EQ(fetch(proxy.port(), getRequest("http://www.blocked.test" + port + "/")).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest("http://other.test" + port + "/")).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest("http://fine.test" + port + "/")).status, 200);
}

TEST(Access, SeveralAclLinesWithOneNameAddUp) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(
      "acl bad urlpath_regex ^/one\n"
      "acl bad urlpath_regex ^/two\n"
      "http_access deny bad\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/one"))).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/two"))).status, 403);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/three"))).status, 200);
}

// ---- cuttle's own endpoints ----------------------------------------------------------------

TEST(Access, DenyManagerDeniesMetricsAndStatus) {
  CuttleProcess proxy(
      "http_access deny manager\n"
      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  for (std::string_view path : {"/metrics", "/status"}) {
    HttpResponse r = fetch(proxy.port(), localRequest(proxy, path));
    EXPECT_EQ(r.status, 403) << path << "\n" << r.raw;
    EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny manager")));
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("cuttle_requests_total")));
  }
}

TEST(Access, HealthEndpointsAreAnsweredEvenWithDenyAll) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("http_access deny all\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse health = fetch(proxy.port(), localRequest(proxy, "/healthz"));
  EXPECT_EQ(health.status, 200) << health.raw;
  HttpResponse ready = fetch(proxy.port(), localRequest(proxy, "/readyz"));
  EXPECT_EQ(ready.status, 200) << ready.raw;
  HttpResponse metrics = fetch(proxy.port(), localRequest(proxy, "/metrics"));
  EXPECT_EQ(metrics.status, 403) << metrics.raw;
  HttpResponse forward = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(forward.status, 403) << forward.raw;
  EXPECT_EQ(origin.connectionCount(), 0);
}

// ---- the shipped configuration -------------------------------------------------------------

// conf/cuttle.conf as shipped, made runnable by a test: the lines that would listen on 3128,
// write /var/cache, /run or stdout are dropped (the harness supplies its own), and one acl
// line is added right after "acl SSL_ports port 443": `acl SSL_ports port <ssl_port>`
// (acl lines with one name add up, so 443 stays an SSL port). Every access rule is the
// shipped one, in the shipped order.
std::string shippedConfig(uint16_t ssl_port) {
  const std::string text = readFile(std::string(sourceDir()) + "/conf/cuttle.conf");
  EXPECT_FALSE(text.empty()) << "cannot read conf/cuttle.conf";
  std::istringstream in(text);
  std::string out;
  std::string line;
  bool ssl_line_seen = false;
  while (std::getline(in, line)) {
    const std::string directive = line.substr(0, line.find(' '));
    if (directive == "http_port" || directive == "cache_dir" || directive == "access_log" ||
        directive == "pid_filename") {
      out += "# (test) " + line + "\n";
      continue;
    }
    out += line + "\n";
    if (line.rfind("acl SSL_ports port 443", 0) == 0) {
      out += "acl SSL_ports port " + std::to_string(ssl_port) + "\n";
      ssl_line_seen = true;
    }
  }
  EXPECT_TRUE(ssl_line_seen) << "conf/cuttle.conf has no \"acl SSL_ports port 443\" line";
  return out;
}

std::string connectRequest(std::string_view authority) {
  return "CONNECT " + std::string(authority) + " HTTP/1.1\r\nHost: " + std::string(authority) +
         "\r\n\r\n";
}

// Raw echo for CONNECT tests: answers "pong" to "ping".
OriginServer::Handler pingPong() {
  return [](OriginConnection& c) {
    std::string ping;
    if (c.readRaw(4, &ping) && ping == "ping") c.write("pong");
    c.waitForPeerClose();
  };
}

TEST(Access, ShippedConfigAllowsConnectOnlyToSslPorts) {
  OriginServer ssl(pingPong());
  OriginServer plain(sentinelOrigin());
  CuttleProcess proxy(shippedConfig(ssl.port()));
  ASSERT_TRUE(proxy.started());

  RawClient tunnel(proxy.port());
  tunnel.send(connectRequest(ssl.authority()));
  HttpResponse established = readConnectResponse(tunnel.stream());
  ASSERT_EQ(established.status, 200) << established.raw;
  tunnel.send("ping");
  std::string pong;
  EXPECT_TRUE(tunnel.stream().readExactly(4, &pong, "pong through the tunnel"));
  EXPECT_EQ(pong, "pong");
  tunnel.close();

  // plain's port is a Safe_port (1025-65535) but not an SSL port.
  RawClient refused(proxy.port());
  refused.send(connectRequest(plain.authority()));
  HttpResponse r = readConnectResponse(refused.stream());
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny CONNECT !SSL_ports")));
  EXPECT_TRUE(refused.isClosedByPeer());
  expectNothingReachedOrigin(proxy, plain);
}

TEST(Access, ShippedConfigLetsConnectTo443PassTheRules) {
  CuttleProcess proxy(shippedConfig(closedLoopbackPort()));
  ASSERT_TRUE(proxy.started());
  // Whether something listens on 443 here or not, the rules must not be what refuses it:
  // 200 (a listener) or 502 (none), never 403.
  RawClient c(proxy.port());
  c.send(connectRequest("127.0.0.1:443"));
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_TRUE(r.status == 200 || r.status == 502) << r.raw;
}

TEST(Access, ShippedConfigDeniesUnsafePorts) {
  OriginServer origin(okOrigin());
  CuttleProcess proxy(shippedConfig(closedLoopbackPort()));
  ASSERT_TRUE(proxy.started());
  for (int port : {25, 22, 6}) {
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    HttpResponse r = fetch(proxy.port(), getRequest(url));
    EXPECT_EQ(r.status, 403) << port << "\n" << r.raw;
    EXPECT_THAT(r.body, HasSubstr(deniedBy(proxy, "http_access deny !Safe_ports")));
  }
  // A request from localhost to a safe port goes through ("http_access allow localhost").
  HttpResponse ok = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(ok.status, 200) << ok.raw;
}

TEST(Access, ShippedConfigServesManagerPagesToLocalhost) {
  CuttleProcess proxy(shippedConfig(closedLoopbackPort()));
  ASSERT_TRUE(proxy.started());
  HttpResponse metrics = fetch(proxy.port(), localRequest(proxy, "/metrics"));
  EXPECT_EQ(metrics.status, 200) << metrics.raw;
  EXPECT_THAT(metrics.body, HasSubstr("cuttle_requests_total"));
  HttpResponse status = fetch(proxy.port(), localRequest(proxy, "/status"));
  EXPECT_EQ(status.status, 200) << status.raw;
}

}  // namespace
}  // namespace cuttle::test
