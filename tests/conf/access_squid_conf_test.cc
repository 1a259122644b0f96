// Real configurations through AccessRules: Debian's squid.conf must build and decide as
// squid does; cuttle's shipped conf/cuttle.conf must build.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/conf/access_test_util.h"
#include "tests/conf/squid_files.h"
#include "tests/support/test_paths.h"

namespace cuttle::conf {
namespace {

using test::dump;
using test::Req;
using test::TempDir;


std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The line number of the first line of `text` that is exactly `line`.
int lineOf(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::string l;
  int n = 0;
  while (std::getline(in, l)) {
    ++n;
    if (l == line) return n;
  }
  return 0;
}

struct Loaded {
  std::shared_ptr<Config> config;
  std::shared_ptr<const AccessRules> rules;
  std::vector<Diagnostic> warnings;
};

Loaded load(const std::string& path) {
  Loaded l;
  ParseOutcome out = parseConfigFile(path);
  EXPECT_TRUE(out.errors.empty()) << dump(out.errors);
  l.config = out.config;
  if (!l.config) return l;
  std::vector<Diagnostic> errors;
  l.rules = AccessRules::build(*l.config, &errors, &l.warnings);
  EXPECT_TRUE(errors.empty()) << dump(errors);
  return l;
}

class DebianSquidConf : public ::testing::Test {
 protected:
  void SetUp() override {
    test::SquidFiles f = test::squidFiles();
    if (f.conf.empty()) GTEST_SKIP() << "Debian's squid package is neither extracted nor installed";
    text_ = test::rootedConf(readFile(f.conf), f);
    path_ = dir_.write("squid.conf", text_);
    for (const char* rule : {"http_access deny !Safe_ports", "http_access deny CONNECT !SSL_ports",
                             "http_access allow localhost manager", "http_access deny manager",
                             "http_access allow localhost", "http_access deny all"}) {
      if (lineOf(text_, rule) == 0) GTEST_SKIP() << "not Debian's default file: no " << rule;
    }
  }
  int line(const std::string& rule) const { return lineOf(text_, rule); }

  TempDir dir_;
  std::string text_;
  std::string path_;  // the file as shipped (includes pointing into the package's root)
};

TEST_F(DebianSquidConf, BuildsWithoutWarnings) {
  Loaded l = load(path_);
  ASSERT_NE(l.rules, nullptr);
  EXPECT_TRUE(l.warnings.empty()) << dump(l.warnings);
  EXPECT_FALSE(l.rules->usesAuth());
}

TEST_F(DebianSquidConf, DecidesAsSquid) {
  Loaded l = load(path_);
  ASSERT_NE(l.rules, nullptr);
  const AccessRules& r = *l.rules;
  // localhost may browse, over IPv4, IPv6 and IPv4-mapped IPv6.
  for (const char* ip : {"127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
    AccessDecision d = r.check(Req().client(ip));
    EXPECT_EQ(d.result, AccessResult::kAllow) << ip;
    EXPECT_EQ(d.line, line("http_access allow localhost")) << ip;
  }
  EXPECT_EQ(r.check(Req().client("127.0.0.1").connect("example.com", 443)).result,
            AccessResult::kAllow);
  EXPECT_EQ(r.check(Req().client("127.0.0.1").port(8080)).result, AccessResult::kAllow);
  // Unsafe ports and CONNECT to anything but 443 are refused, even from localhost.
  AccessDecision d = r.check(Req().client("127.0.0.1").port(25));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, line("http_access deny !Safe_ports"));
  EXPECT_EQ(d.rule, "http_access deny !Safe_ports");
  d = r.check(Req().client("127.0.0.1").connect("example.com", 22));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, line("http_access deny !Safe_ports"));  // 22 is not a safe port either
  d = r.check(Req().client("127.0.0.1").connect("example.com", 8443));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, line("http_access deny CONNECT !SSL_ports"));
  // The manager only from localhost.
  d = r.check(Req().client("127.0.0.1").manager());
  EXPECT_EQ(d.result, AccessResult::kAllow);
  EXPECT_EQ(d.line, line("http_access allow localhost manager"));
  d = r.check(Req().client("10.1.2.3").manager());
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, line("http_access deny manager"));
  // Debian ships "#http_access allow localnet" commented out: localnet is denied too.
  for (const char* ip : {"10.1.2.3", "192.168.1.1", "fd00::1", "203.0.113.9", "2001:db8::1"}) {
    d = r.check(Req().client(ip));
    EXPECT_EQ(d.result, AccessResult::kDeny) << ip;
    EXPECT_EQ(d.line, line("http_access deny all")) << ip;
    EXPECT_FALSE(d.implicit);
    EXPECT_FALSE(d.challenge);
  }
  // Nothing here needs DNS or credentials.
  EXPECT_EQ(r.check(Req().client("127.0.0.1").host("no-such-host.invalid")).result,
            AccessResult::kAllow);
}

TEST_F(DebianSquidConf, WithLocalnetUncommented) {
  // The administrator's first edit: allow the local networks.
  std::string edited = text_;
  size_t at = edited.find("#http_access allow localnet");
  ASSERT_NE(at, std::string::npos);
  edited.erase(at, 1);
  TempDir dir;
  std::string path = dir.write("squid.conf", edited);
  Loaded l = load(path);
  ASSERT_NE(l.rules, nullptr);
  const AccessRules& r = *l.rules;
  int allow_localnet = lineOf(edited, "http_access allow localnet");
  for (const char* ip : {"10.1.2.3", "172.20.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1",
                         "0.0.0.5", "fd00::1", "fe80::1", "::ffff:192.168.1.1"}) {
    AccessDecision d = r.check(Req().client(ip));
    EXPECT_EQ(d.result, AccessResult::kAllow) << ip;
    EXPECT_EQ(d.line, allow_localnet) << ip;
    EXPECT_EQ(r.check(Req().client(ip).port(1025)).result, AccessResult::kAllow) << ip;
    EXPECT_EQ(r.check(Req().client(ip).connect("example.com", 443)).result, AccessResult::kAllow)
        << ip;
    EXPECT_EQ(r.check(Req().client(ip).connect("example.com", 80)).line,
              line("http_access deny CONNECT !SSL_ports"))
        << ip;
    EXPECT_EQ(r.check(Req().client(ip).port(25)).line, line("http_access deny !Safe_ports")) << ip;
    EXPECT_EQ(r.check(Req().client(ip).manager()).line, line("http_access deny manager")) << ip;
  }
  for (const char* ip : {"172.32.0.1", "100.128.0.1", "203.0.113.9", "2001:db8::1"}) {
    EXPECT_EQ(r.check(Req().client(ip)).line, line("http_access deny all")) << ip;
  }
}

TEST(CuttleConf, ShippedConfigBuilds) {
  std::string path = std::string(cuttle::test::sourceDir()) + "/conf/cuttle.conf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is missing";
  Loaded l = load(path);
  EXPECT_NE(l.rules, nullptr);
}

}  // namespace
}  // namespace cuttle::conf
