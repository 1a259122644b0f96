// Real squid configurations: Debian's squid.conf, squid's fully commented default, the
// defaults it documents, and a hand-written configuration of the kind administrators use.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "conf/config.h"
#include "tests/conf/conf_test_util.h"
#include "tests/conf/squid_files.h"
#include "tests/support/test_paths.h"

namespace cuttle::conf {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test::dump;


bool exists(const char* path) { return std::filesystem::exists(path); }

std::string gunzip(const std::string& path) {
  std::string cmd = "gzip -dc '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) return "";
  return out;
}

// Counts the uncommented lines starting with `directive` (a simple cross-check that
// assumes no continuation lines, true of Debian's file).
int countDirective(const std::string& path, const std::string& directive) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind(directive + " ", 0) == 0 || line.rfind(directive + "\t", 0) == 0) ++n;
  }
  return n;
}

void expectOnlyIgnoredWarnings(const ParseOutcome& out) {
  for (const Diagnostic& w : out.warnings) {
    EXPECT_NE(w.message.find("ignored"), std::string::npos) << w.toString();
  }
}

// Debian's squid.conf, as the package ships it, written into `dir` (includes rooted).
std::string debianConf(test::TempDir& dir) {
  test::SquidFiles f = test::squidFiles();
  if (f.conf.empty()) return "";
  return dir.write("squid.conf", test::rootedConf(test::readWhole(f.conf), f));
}

TEST(SquidConf, DebianSquidConfLoads) {
  test::TempDir dir;
  const std::string debian = debianConf(dir);
  if (debian.empty()) GTEST_SKIP() << "Debian's squid package is neither extracted nor installed";
  ParseOutcome out = parseConfigFile(debian);
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  const Config& cfg = *out.config;
  EXPECT_EQ(static_cast<int>(cfg.refresh_patterns.size()),
            countDirective(debian, "refresh_pattern"));
  int rules = countDirective(debian, "acl") + countDirective(debian, "http_access");
  EXPECT_EQ(static_cast<int>(cfg.rules.size()), rules);
  EXPECT_EQ(static_cast<int>(cfg.http_ports.size()),
            std::max(1, countDirective(debian, "http_port")));
  expectOnlyIgnoredWarnings(out);
}

TEST(SquidConf, DebianDefaultValues) {
  // The values of Debian's squid 5 squid.conf, as shipped.
  test::TempDir dir;
  const std::string debian = debianConf(dir);
  if (debian.empty()) GTEST_SKIP() << "Debian's squid package is neither extracted nor installed";
  ParseOutcome out = parseConfigFile(debian);
  ASSERT_NE(out.config, nullptr) << dump(out.errors);
  const Config& cfg = *out.config;
  if (countDirective(debian, "http_port") != 1 || cfg.refresh_patterns.size() != 4) {
    GTEST_SKIP() << "not Debian's stock squid.conf";
  }
  EXPECT_EQ(cfg.http_ports[0].address.toString(), "[::]:3128");
  EXPECT_EQ(cfg.refresh_patterns[0].regex, "^ftp:");
  EXPECT_EQ(cfg.refresh_patterns[0].min_minutes, 1440u);
  EXPECT_EQ(cfg.refresh_patterns[0].max_minutes, 10080u);
  EXPECT_TRUE(cfg.refresh_patterns[2].case_insensitive);
  EXPECT_EQ(cfg.refresh_patterns[2].regex, "(/cgi-bin/|\\?)");
  EXPECT_EQ(cfg.refresh_patterns[3].regex, ".");
  EXPECT_EQ(cfg.refresh_patterns[3].percent, 20);
  EXPECT_EQ(cfg.rules.back().name, "http_access");
  EXPECT_EQ(cfg.rules.back().args, (std::vector<std::string>{"deny", "all"}));
  EXPECT_EQ(test::withMessage(out.warnings, "not supported by cuttle").size(), out.warnings.size());
}

TEST(SquidConf, DocumentedDefaultConfLoads) {
  test::SquidFiles f = test::squidFiles();
  if (f.documented.empty()) GTEST_SKIP() << "squid.conf.documented is neither extracted nor installed";
  if (!exists((f.root + "/etc/squid/conf.d").c_str())) GTEST_SKIP() << "it includes /etc/squid/conf.d/*.conf";
  std::string text = gunzip(f.documented);
  if (text.empty()) GTEST_SKIP() << "gzip could not read " << f.documented;
  test::TempDir dir;
  std::string path = dir.write("squid.conf", test::rootedConf(text, f));
  ParseOutcome out = parseConfigFile(path);
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  EXPECT_EQ(out.config->refresh_patterns.size(), 4u);
  EXPECT_FALSE(out.config->rules.empty());
  expectOnlyIgnoredWarnings(out);
}

// The "#Default:" lines of squid.conf.documented that are directive lines, uncommented.
std::string documentedDefaults(const std::string& text) {
  std::istringstream in(text);
  std::string line, tag, out;
  bool in_default = false;
  while (std::getline(in, line)) {
    if (line.rfind("#  TAG: ", 0) == 0) {
      std::istringstream words(line.substr(8));
      words >> tag;
      in_default = false;
    } else if (line == "#Default:") {
      in_default = true;
    } else if (in_default && line.rfind("# " + tag + " ", 0) == 0) {
      out += line.substr(2) + "\n";
    } else {
      in_default = false;
    }
  }
  return out;
}

TEST(SquidConf, SquidDocumentedDefaultsParseToCuttleDefaults) {
  test::SquidFiles f = test::squidFiles();
  if (f.documented.empty()) GTEST_SKIP() << "squid.conf.documented is neither extracted nor installed";
  std::string defaults = documentedDefaults(gunzip(f.documented));
  if (defaults.empty()) GTEST_SKIP() << "gzip could not read " << f.documented;
  ParseOutcome out = parseConfigText(defaults, "squid-defaults.conf");
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  expectOnlyIgnoredWarnings(out);
  const Config& cfg = *out.config;
  Config cuttle;  // cuttle's defaults are squid's
  EXPECT_EQ(cfg.connect_timeout, cuttle.connect_timeout);
  EXPECT_EQ(cfg.read_timeout, cuttle.read_timeout);
  EXPECT_EQ(cfg.request_timeout, cuttle.request_timeout);
  EXPECT_EQ(cfg.client_idle_pconn_timeout, cuttle.client_idle_pconn_timeout);
  EXPECT_EQ(cfg.server_idle_pconn_timeout, cuttle.server_idle_pconn_timeout);
  EXPECT_EQ(cfg.shutdown_lifetime, cuttle.shutdown_lifetime);
  EXPECT_EQ(cfg.request_header_max_size, cuttle.request_header_max_size);
  EXPECT_EQ(cfg.reply_header_max_size, cuttle.reply_header_max_size);
  EXPECT_EQ(cfg.cache_mem, cuttle.cache_mem);
  EXPECT_EQ(cfg.maximum_object_size, cuttle.maximum_object_size);
  EXPECT_EQ(cfg.maximum_object_size_in_memory, cuttle.maximum_object_size_in_memory);
  EXPECT_EQ(cfg.quick_abort_max, cuttle.quick_abort_max);
  EXPECT_EQ(cfg.positive_dns_ttl, cuttle.positive_dns_ttl);
  EXPECT_EQ(cfg.negative_dns_ttl, cuttle.negative_dns_ttl);
  EXPECT_EQ(cfg.dns_timeout, cuttle.dns_timeout);
  EXPECT_EQ(cfg.hosts_file, cuttle.hosts_file);
  EXPECT_EQ(cfg.via, cuttle.via);
  ASSERT_EQ(cfg.access_logs.size(), 1u);
  EXPECT_EQ(cfg.access_logs[0].path, "/var/log/squid/access.log");
  EXPECT_EQ(cfg.cache_log, "/var/log/squid/cache.log");
}

TEST(SquidConf, ShippedCuttleConfLoadsWithoutWarnings) {
  std::string path = std::string(cuttle::test::sourceDir()) + "/conf/cuttle.conf";
  if (!exists(path.c_str())) GTEST_SKIP() << path << " is not there";
  ParseOutcome out = parseConfigFile(path);
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  EXPECT_TRUE(out.warnings.empty()) << dump(out.warnings);
  ASSERT_NE(out.config, nullptr);
  EXPECT_FALSE(out.config->http_ports.empty());
}

TEST(SquidConf, HandWrittenOfficeProxy) {
  const char* text = R"(# Office proxy
http_port 192.168.1.1:3128
http_port 127.0.0.1:3128
visible_hostname proxy.office.example
workers 2

acl localnet src 192.168.1.0/24
acl SSL_ports port 443
acl Safe_ports port 80 443 1025-65535
acl CONNECT method CONNECT
acl blocked dstdomain "/etc/squid/blocked.domains"
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access deny blocked
http_access allow localhost manager
http_access deny manager
http_access allow localnet
http_access allow localhost
http_access deny all

cache_mem 512 MB
maximum_object_size_in_memory 1 MB
maximum_object_size 200 MB
cache_dir aufs /var/spool/squid 20000 16 256
coredump_dir /var/spool/squid

logformat timed %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru
access_log daemon:/var/log/squid/access.log timed
cache_log /var/log/squid/cache.log
logfile_rotate 10

dns_nameservers 192.168.1.53 9.9.9.9
positive_dns_ttl 2 hours
connect_timeout 20 seconds
read_timeout 5 minutes
request_body_max_size 50 MB
forwarded_for delete
httpd_suppress_version_string on
via off

refresh_pattern ^ftp:           1440    20%     10080
refresh_pattern -i \.(deb|rpm)$ 129600  100%    129600 refresh-ims
refresh_pattern -i (/cgi-bin/|\?) 0     0%      0
refresh_pattern .               0       20%     4320
)";
  ParseOutcome out = parseConfigText(text, "office.conf");
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  const Config& cfg = *out.config;
  ASSERT_EQ(cfg.http_ports.size(), 2u);
  EXPECT_EQ(cfg.http_ports[0].address.toString(), "192.168.1.1:3128");
  EXPECT_EQ(cfg.visible_hostname, "proxy.office.example");
  EXPECT_EQ(cfg.workers, 2);
  EXPECT_EQ(cfg.rules.size(), 13u);
  EXPECT_EQ(cfg.rules[4].args[2], "\"/etc/squid/blocked.domains\"");
  EXPECT_EQ(cfg.cache_mem, 512u << 20);
  EXPECT_EQ(cfg.maximum_object_size, 200u << 20);
  ASSERT_TRUE(cfg.cache_dir.has_value());
  EXPECT_EQ(cfg.cache_dir->type, "aufs");
  EXPECT_EQ(cfg.cache_dir->size_mb, 20000u);
  ASSERT_EQ(cfg.access_logs.size(), 1u);
  EXPECT_EQ(cfg.access_logs[0].path, "/var/log/squid/access.log");
  EXPECT_EQ(cfg.access_logs[0].format, "timed");
  EXPECT_EQ(cfg.logformats[0].args[1], "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru");
  EXPECT_EQ(cfg.dns_nameservers, (std::vector<std::string>{"192.168.1.53", "9.9.9.9"}));
  EXPECT_EQ(cfg.positive_dns_ttl, hours(2));
  EXPECT_EQ(cfg.connect_timeout, seconds(20));
  EXPECT_EQ(cfg.read_timeout, minutes(5));
  EXPECT_EQ(cfg.request_body_max_size, 50u << 20);
  EXPECT_FALSE(cfg.via);
  ASSERT_EQ(cfg.refresh_patterns.size(), 4u);
  EXPECT_EQ(cfg.refresh_patterns[1].options, (std::vector<std::string>{"refresh-ims"}));
  // coredump_dir, logfile_rotate, forwarded_for, httpd_suppress_version_string.
  ASSERT_EQ(out.warnings.size(), 4u) << dump(out.warnings);
  EXPECT_EQ(out.warnings[0].line, 25);
  EXPECT_EQ(out.warnings[0].directive, "coredump_dir");
  EXPECT_EQ(out.warnings[1].line, 30);
  EXPECT_EQ(out.warnings[2].directive, "forwarded_for");
  EXPECT_EQ(out.warnings[3].directive, "httpd_suppress_version_string");
}

}  // namespace
}  // namespace cuttle::conf
