// Tests conf/config.cc and conf/directives.cc: each directive, the defaults, the
// diagnostics and cuttle_strict.
#include "conf/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <string>
#include <vector>

#include "tests/conf/conf_test_util.h"

namespace cuttle::conf {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test::dump;
using test::parseOk;
using test::parseOneError;
using test::withMessage;

std::string hostName() {
  char buf[HOST_NAME_MAX + 1] = {0};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

TEST(Config, DefaultsWhenEmpty) {
  ParseOutcome out;
  auto cfg = parseOk("", &out);
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_EQ(cfg->file, "test.conf");
  ASSERT_EQ(cfg->http_ports.size(), 1u);
  EXPECT_EQ(cfg->http_ports[0].address.toString(), "[::]:3128");
  EXPECT_TRUE(cfg->http_ports[0].any_address);
  ASSERT_EQ(cfg->access_logs.size(), 1u);
  EXPECT_EQ(cfg->access_logs[0].path, "/dev/stdout");
  EXPECT_EQ(cfg->access_logs[0].format, "squid");
  EXPECT_EQ(cfg->visible_hostname, hostName());
  EXPECT_FALSE(cfg->visible_hostname.empty());
  EXPECT_EQ(cfg->workers, 0);
  EXPECT_EQ(cfg->max_connections, 16384u);
  EXPECT_TRUE(cfg->via);
  EXPECT_EQ(cfg->connect_timeout, minutes(1));
  EXPECT_EQ(cfg->read_timeout, minutes(15));
  EXPECT_EQ(cfg->request_header_max_size, 65536u);
  EXPECT_EQ(cfg->cache_mem, 256u * 1024 * 1024);
  EXPECT_FALSE(cfg->cache_dir.has_value());
  EXPECT_TRUE(cfg->dns_nameservers.empty());
  EXPECT_EQ(cfg->hosts_file, "/etc/hosts");
  EXPECT_EQ(cfg->cache_log, "stderr");
  EXPECT_TRUE(cfg->rules.empty());
  EXPECT_TRUE(cfg->refresh_patterns.empty());
}

TEST(Config, HttpPortForms) {
  ParseOutcome out;
  auto cfg = parseOk(
      "http_port 3128\n"
      "http_port 127.0.0.1:8080\n"
      "http_port [::1]:8081\n"
      "http_port 0.0.0.0:8082 transparent name=x\n",
      &out);
  ASSERT_EQ(cfg->http_ports.size(), 4u);
  EXPECT_EQ(cfg->http_ports[0].address.toString(), "[::]:3128");
  EXPECT_TRUE(cfg->http_ports[0].any_address);
  EXPECT_EQ(cfg->http_ports[0].text, "3128");
  EXPECT_EQ(cfg->http_ports[1].address.toString(), "127.0.0.1:8080");
  EXPECT_FALSE(cfg->http_ports[1].any_address);
  EXPECT_EQ(cfg->http_ports[2].address.toString(), "[::1]:8081");
  EXPECT_EQ(cfg->http_ports[3].address.toString(), "0.0.0.0:8082");
  auto ignored = withMessage(out.warnings, "not supported by cuttle");
  ASSERT_EQ(ignored.size(), 2u) << dump(out.warnings);
  EXPECT_EQ(ignored[0].toString(),
            "test.conf:4: http_port: option 'transparent' is not supported by cuttle, ignored");
  EXPECT_EQ(ignored[1].message, "option 'name=x' is not supported by cuttle, ignored");
}

TEST(Config, HttpPortErrors) {
  EXPECT_EQ(parseOneError("http_port 65536\n", 1, "http_port").message,
            "port out of range in '65536'");
  EXPECT_EQ(parseOneError("\nhttp_port 127.0.0.1:70000\n", 2, "http_port").message,
            "port out of range in '127.0.0.1:70000'");
  parseOneError("http_port proxy.example:3128\n", 1, "http_port");
  parseOneError("http_port -1\n", 1, "http_port");
  parseOneError("http_port\n", 1, "http_port");
  Diagnostic dup = parseOneError("http_port 3128\nhttp_port [::]:3128\n", 2, "http_port");
  EXPECT_EQ(dup.message, "duplicate http_port [::]:3128 (already given as '3128')");
}

TEST(Config, WorkersAndMaxConnections) {
  auto cfg = parseOk("workers 4\nmax_connections 1000\n");
  EXPECT_EQ(cfg->workers, 4);
  EXPECT_EQ(cfg->max_connections, 1000u);
  EXPECT_EQ(parseOk("workers 128\n")->workers, 128);
  EXPECT_EQ(parseOneError("workers 129\n", 1, "workers").message,
            "value 129 out of range (0 to 128)");
  EXPECT_EQ(parseOneError("workers -1\n", 1, "workers").message,
            "negative value '-1' is not allowed");
  EXPECT_EQ(parseOneError("workers two\n", 1, "workers").message, "'two' is not an integer");
  EXPECT_EQ(parseOneError("workers 1 2\n", 1, "workers").message, "unexpected argument '2'");
  parseOneError("max_connections 0\n", 1, "max_connections");
  parseOneError("max_connections 4294967296\n", 1, "max_connections");
}

TEST(Config, IdentityDirectives) {
  auto cfg = parseOk("visible_hostname proxy.example.net\nvia off\n");
  EXPECT_EQ(cfg->visible_hostname, "proxy.example.net");
  EXPECT_FALSE(cfg->via);
  EXPECT_TRUE(parseOk("via off\nvia on\n")->via);
  EXPECT_EQ(parseOneError("via maybe\n", 1, "via").message, "expected 'on' or 'off', got 'maybe'");
  parseOneError("visible_hostname\n", 1, "visible_hostname");
}

TEST(Config, EveryTimeout) {
  auto cfg = parseOk(
      "connect_timeout 30 seconds\n"
      "read_timeout 2 minutes\n"
      "request_timeout 1 hour\n"
      "client_idle_pconn_timeout 500 milliseconds\n"
      "server_idle_pconn_timeout 90 seconds\n"
      "shutdown_lifetime 0 seconds\n");
  EXPECT_EQ(cfg->connect_timeout, seconds(30));
  EXPECT_EQ(cfg->read_timeout, minutes(2));
  EXPECT_EQ(cfg->request_timeout, hours(1));
  EXPECT_EQ(cfg->client_idle_pconn_timeout, milliseconds(500));
  EXPECT_EQ(cfg->server_idle_pconn_timeout, seconds(90));
  EXPECT_EQ(cfg->shutdown_lifetime, seconds(0));
}

TEST(Config, MissingTimeUnitWarnsAndAssumesSeconds) {
  ParseOutcome out;
  auto cfg = parseOk("\nread_timeout 45\nshutdown_lifetime 0\n", &out);
  EXPECT_EQ(cfg->read_timeout, seconds(45));
  EXPECT_EQ(cfg->shutdown_lifetime, seconds(0));
  ASSERT_EQ(out.warnings.size(), 1u) << dump(out.warnings);  // none for 0, as squid
  EXPECT_EQ(out.warnings[0].toString(),
            "test.conf:2: read_timeout: no unit given, assuming 45 seconds");
  EXPECT_EQ(cfg->warnings.size(), 1u);
}

TEST(Config, BadTimeValues) {
  EXPECT_EQ(parseOneError("connect_timeout -5 seconds\n", 1, "connect_timeout").message,
            "negative value '-5' is not allowed");
  EXPECT_EQ(parseOneError("read_timeout soon\n", 1, "read_timeout").message,
            "'soon' is not a number");
  EXPECT_NE(parseOneError("request_timeout 5 parsecs\n", 1, "request_timeout")
                .message.find("unknown time unit 'parsecs'"),
            std::string::npos);
  parseOneError("dns_timeout 5 seconds extra\n", 1, "dns_timeout");
  parseOneError("dns_timeout\n", 1, "dns_timeout");
}

TEST(Config, SizeLimits) {
  ParseOutcome out;
  auto cfg = parseOk(
      "request_header_max_size 32 KB\n"
      "reply_header_max_size 128 KBytes\n"
      "request_body_max_size 10 MB\n"
      "max_uri_length 16384\n",
      &out);
  EXPECT_EQ(cfg->request_header_max_size, 32u * 1024);
  EXPECT_EQ(cfg->reply_header_max_size, 128u * 1024);
  EXPECT_EQ(cfg->request_body_max_size, 10u * 1024 * 1024);
  EXPECT_EQ(cfg->max_uri_length, 16384u);
  EXPECT_TRUE(out.warnings.empty()) << dump(out.warnings);  // cuttle's own: no unit warning
}

TEST(Config, MaxUriLengthMustBePositive) {
  EXPECT_EQ(parseOneError("max_uri_length 0\n", 1, "max_uri_length").message,
            "value must be at least 1 bytes");
  EXPECT_EQ(parseOk("max_uri_length 1 KB\n")->max_uri_length, 1024u);
}

TEST(Config, RequestBodyMaxSizeUnlimited) {
  EXPECT_EQ(
      parseOk("request_body_max_size 5 MB\nrequest_body_max_size none\n")->request_body_max_size,
      0u);
  EXPECT_EQ(parseOk("request_body_max_size 5 MB\nrequest_body_max_size 0\n")->request_body_max_size,
            0u);
  EXPECT_EQ(
      parseOk("request_body_max_size 5 MB\nrequest_body_max_size -1\n")->request_body_max_size, 0u);
}

TEST(Config, MissingSizeUnitIsBytesAsSquid) {
  ParseOutcome out;
  auto cfg = parseOk("request_header_max_size 4096\nquick_abort_max 32\n", &out);
  EXPECT_EQ(cfg->request_header_max_size, 4096u);
  EXPECT_EQ(cfg->quick_abort_max, 32u * 1024);  // squid's kb_int64_t
  ASSERT_EQ(out.warnings.size(), 2u) << dump(out.warnings);
  EXPECT_EQ(out.warnings[0].message, "no unit given, assuming 4096 bytes");
  EXPECT_EQ(out.warnings[1].message, "no unit given, assuming 32 KB");
}

TEST(Config, BadSizeValues) {
  EXPECT_EQ(parseOneError("cache_mem 64 TB\n", 1, "cache_mem").message,
            "unknown size unit 'TB' (expected bytes, KB, MB or GB)");
  parseOneError("cache_mem -64 MB\n", 1, "cache_mem");
  parseOneError("cache_mem none\n", 1, "cache_mem");
  parseOneError("reply_header_max_size big\n", 1, "reply_header_max_size");
  parseOneError("maximum_object_size 4 MB extra\n", 1, "maximum_object_size");
  parseOneError("minimum_object_size 17179869184 GB\n", 1, "minimum_object_size");
}

TEST(Config, DnsDirectives) {
  auto cfg = parseOk(
      "dns_nameservers 192.0.2.1 2001:db8::1\n"
      "dns_nameservers 192.0.2.2:5353 [2001:db8::2]:53 [::1]\n"
      "hosts_file none\n"
      "positive_dns_ttl 1 hour\n"
      "negative_dns_ttl 30 seconds\n"
      "dns_timeout 5 seconds\n");
  EXPECT_EQ(cfg->dns_nameservers,
            (std::vector<std::string>{"192.0.2.1", "2001:db8::1", "192.0.2.2:5353",
                                      "[2001:db8::2]:53", "::1"}));
  EXPECT_EQ(cfg->hosts_file, "none");
  EXPECT_EQ(cfg->positive_dns_ttl, hours(1));
  EXPECT_EQ(cfg->negative_dns_ttl, seconds(30));
  EXPECT_EQ(cfg->dns_timeout, seconds(5));
  EXPECT_EQ(parseOneError("dns_nameservers 192.0.2.1 ns1.example\n", 1, "dns_nameservers").message,
            "'ns1.example' is not IP, IPv4:PORT or [IPv6]:PORT");
  parseOneError("dns_nameservers 192.0.2.1:0\n", 1, "dns_nameservers");
  parseOneError("dns_nameservers\n", 1, "dns_nameservers");
}

TEST(Config, AccessLogForms) {
  auto cfg = parseOk(
      "logformat mine %ts.%03tu   %>a %rm \"%ru\"\n"
      "access_log stdio:/var/log/cuttle/access.log\n"
      "access_log daemon:/var/log/cuttle/d.log combined\n"
      "access_log /var/log/cuttle/plain.log common\n"
      "access_log /var/log/cuttle/mine.log logformat=mine\n"
      "access_log /dev/stderr mine\n");
  ASSERT_EQ(cfg->access_logs.size(), 5u);  // the first one replaced the default
  EXPECT_EQ(cfg->access_logs[0].path, "/var/log/cuttle/access.log");
  EXPECT_EQ(cfg->access_logs[0].format, "squid");
  EXPECT_EQ(cfg->access_logs[1].path, "/var/log/cuttle/d.log");
  EXPECT_EQ(cfg->access_logs[1].format, "combined");
  EXPECT_EQ(cfg->access_logs[2].path, "/var/log/cuttle/plain.log");
  EXPECT_EQ(cfg->access_logs[2].format, "common");
  EXPECT_EQ(cfg->access_logs[3].format, "mine");
  EXPECT_EQ(cfg->access_logs[4].path, "/dev/stderr");
  ASSERT_EQ(cfg->logformats.size(), 1u);
  EXPECT_EQ(cfg->logformats[0].name, "logformat");
  EXPECT_EQ(cfg->logformats[0].args,
            (std::vector<std::string>{"mine", "%ts.%03tu   %>a %rm \"%ru\""}));
  EXPECT_EQ(cfg->logformats[0].line, 1);
}

TEST(Config, AccessLogNone) {
  EXPECT_TRUE(parseOk("access_log none\n")->access_logs.empty());
  auto cfg = parseOk("access_log /a.log\naccess_log none\naccess_log /b.log\n");
  ASSERT_EQ(cfg->access_logs.size(), 1u);
  EXPECT_EQ(cfg->access_logs[0].path, "/b.log");
}

TEST(Config, AccessLogWarningsAndErrors) {
  ParseOutcome out;
  auto cfg = parseOk(
      "access_log syslog:daemon.info squid\n"
      "access_log /x.log squid localnet buffer-size=64KB\n",
      &out);
  ASSERT_EQ(cfg->access_logs.size(), 1u);
  ASSERT_EQ(out.warnings.size(), 3u) << dump(out.warnings);
  EXPECT_EQ(out.warnings[0].line, 1);
  EXPECT_EQ(out.warnings[1].message,
            "ACL condition 'localnet' on access_log is not supported, ignored");
  EXPECT_EQ(out.warnings[2].message,
            "option 'buffer-size=64KB' is not supported by cuttle, ignored");
  EXPECT_EQ(parseOneError("access_log /x.log fancy\n", 1, "access_log").message,
            "unknown log format 'fancy' (define it with logformat before use)");
  parseOneError("access_log relative.log\n", 1, "access_log");
  EXPECT_EQ(parseOneError("access_log stdio:\n", 1, "access_log").message,
            "missing path after 'stdio:'");
  parseOneError("access_log\n", 1, "access_log");
  parseOneError("logformat x %a\nlogformat x %b\n", 2, "logformat");
  parseOneError("logformat lonely\n", 1, "logformat");
}

TEST(Config, CacheLog) {
  EXPECT_EQ(parseOk("cache_log /var/log/cuttle/cache.log\n")->cache_log,
            "/var/log/cuttle/cache.log");
}

TEST(Config, CacheDir) {
  ParseOutcome out;
  auto cfg = parseOk(
      "cache_dir ufs /var/spool/squid 100 16 256\n"
      "cache_dir rock /var/spool/rock 2000 max-size=32768\n",
      &out);
  ASSERT_TRUE(cfg->cache_dir.has_value());
  EXPECT_EQ(cfg->cache_dir->type, "ufs");
  EXPECT_EQ(cfg->cache_dir->path, "/var/spool/squid");
  EXPECT_EQ(cfg->cache_dir->size_mb, 100u);
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0].line, 2);
  auto lmdb = parseOk("cache_dir lmdb /var/cache/cuttle 4096\n");
  EXPECT_EQ(lmdb->cache_dir->type, "lmdb");
  EXPECT_EQ(lmdb->cache_dir->size_mb, 4096u);
  EXPECT_FALSE(parseOk("cache_dir null /tmp\n")->cache_dir.has_value());
  parseOneError("cache_dir ufs /var/spool/squid\n", 1, "cache_dir");
  parseOneError("cache_dir ufs /var/spool/squid big 16 256\n", 1, "cache_dir");
  parseOneError("cache_dir ufs /var/spool/squid -100\n", 1, "cache_dir");
}

TEST(Config, CacheSizes) {
  auto cfg = parseOk(
      "cache_mem 512 MB\n"
      "maximum_object_size 1 GB\n"
      "minimum_object_size 1 KB\n"
      "maximum_object_size_in_memory 2 MB\n"
      "quick_abort_max 64 KB\n");
  EXPECT_EQ(cfg->cache_mem, 512u * 1024 * 1024);
  EXPECT_EQ(cfg->maximum_object_size, 1024u * 1024 * 1024);
  EXPECT_EQ(cfg->minimum_object_size, 1024u);
  EXPECT_EQ(cfg->maximum_object_size_in_memory, 2u * 1024 * 1024);
  EXPECT_EQ(cfg->quick_abort_max, 64u * 1024);
  EXPECT_EQ(parseOk("maximum_object_size none\n")->maximum_object_size, UINT64_MAX);
}

TEST(Config, RangeOffsetLimit) {
  EXPECT_EQ(parseOk("range_offset_limit none\n")->range_offset_limit, UINT64_MAX);
  EXPECT_EQ(parseOk("range_offset_limit -1\n")->range_offset_limit, UINT64_MAX);
  EXPECT_EQ(parseOk("range_offset_limit 200 MB\n")->range_offset_limit, 200u * 1024 * 1024);
  ParseOutcome out;
  auto cfg = parseOk("range_offset_limit 10 MB video\n", &out);
  EXPECT_EQ(cfg->range_offset_limit, 10u * 1024 * 1024);
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_NE(out.warnings[0].message.find("'video'"), std::string::npos);
  parseOneError("range_offset_limit -2\n", 1, "range_offset_limit");
}

TEST(Config, RefreshPatterns) {
  auto cfg = parseOk(
      "refresh_pattern ^ftp:\t\t1440\t20%\t10080\n"
      "refresh_pattern -i (/cgi-bin/|\\?) 0\t0%\t0\n"
      "refresh_pattern \\.(deb|rpm)$ 129600 100% 129600 override-expire ignore-reload "
      "max-stale=60\n"
      "refresh_pattern . 0 20 4320\n");
  ASSERT_EQ(cfg->refresh_patterns.size(), 4u);
  const RefreshPattern& ftp = cfg->refresh_patterns[0];
  EXPECT_FALSE(ftp.case_insensitive);
  EXPECT_EQ(ftp.regex, "^ftp:");
  EXPECT_EQ(ftp.min_minutes, 1440u);
  EXPECT_EQ(ftp.percent, 20);
  EXPECT_EQ(ftp.max_minutes, 10080u);
  EXPECT_EQ(ftp.line, 1);
  EXPECT_TRUE(cfg->refresh_patterns[1].case_insensitive);
  EXPECT_EQ(cfg->refresh_patterns[1].regex, "(/cgi-bin/|\\?)");
  EXPECT_EQ(cfg->refresh_patterns[1].percent, 0);
  EXPECT_EQ(cfg->refresh_patterns[2].options,
            (std::vector<std::string>{"override-expire", "ignore-reload", "max-stale=60"}));
  EXPECT_EQ(cfg->refresh_patterns[2].percent, 100);
  EXPECT_EQ(cfg->refresh_patterns[3].percent, 20);
  EXPECT_EQ(cfg->refresh_patterns[3].line, 4);
}

TEST(Config, RefreshPatternErrors) {
  EXPECT_NE(parseOneError("via on\nrefresh_pattern ([a-z 0 20% 60\n", 2, "refresh_pattern")
                .message.find("invalid regular expression '([a-z'"),
            std::string::npos);
  parseOneError("refresh_pattern . 0 20%\n", 1, "refresh_pattern");
  parseOneError("refresh_pattern -i . 0 20%\n", 1, "refresh_pattern");
  parseOneError("refresh_pattern . -1 20% 60\n", 1, "refresh_pattern");
  parseOneError("refresh_pattern . 0 lots 60\n", 1, "refresh_pattern");
  ParseOutcome out;
  parseOk("refresh_pattern . 0 20% 60 make-it-fast\n", &out);
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0].message, "unknown refresh_pattern option 'make-it-fast'");
}

TEST(Config, RulesAreKeptInOrder) {
  auto cfg = parseOk(
      "acl localnet src 10.0.0.0/8\n"
      "acl Safe_ports port 80\t\t# http\n"
      "http_access deny !Safe_ports\n"
      "http_reply_access allow all\n"
      "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/squid/passwd\n"
      "never_direct allow all\n"
      "always_direct deny all\n"
      "cache_peer parent.example parent 3128 0 no-query\n"
      "http_upgrade_request_protocols WebSocket allow all\n"
      "cache deny all\n"
      "deny_info ERR_ACCESS_DENIED all\n"
      "icp_access deny all\n"
      "htcp_access deny all\n"
      "snmp_access deny all\n");
  const auto& r = cfg->rules;
  ASSERT_EQ(r.size(), 14u);
  const char* names[] = {"acl",
                         "acl",
                         "http_access",
                         "http_reply_access",
                         "auth_param",
                         "never_direct",
                         "always_direct",
                         "cache_peer",
                         "http_upgrade_request_protocols",
                         "cache",
                         "deny_info",
                         "icp_access",
                         "htcp_access",
                         "snmp_access"};
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].name, names[i]);
    EXPECT_EQ(r[i].line, static_cast<int>(i + 1));
    EXPECT_EQ(r[i].file, "test.conf");
  }
  EXPECT_EQ(r[1].args, (std::vector<std::string>{"Safe_ports", "port", "80"}));
  EXPECT_EQ(r[2].args, (std::vector<std::string>{"deny", "!Safe_ports"}));
  parseOneError("http_access\n", 1, "http_access");
}

TEST(Config, UnsupportedAndUnknownDirectivesWarn) {
  ParseOutcome out;
  parseOk(
      "coredump_dir /var/spool/squid\n"
      "cache_effective_user proxy\n"
      "dns_v4_first on\n"
      "frobnicate yes\n",
      &out);
  ASSERT_EQ(out.warnings.size(), 4u) << dump(out.warnings);
  EXPECT_EQ(out.warnings[0].toString(),
            "test.conf:1: coredump_dir: directive not supported by cuttle, ignored");
  EXPECT_EQ(out.warnings[1].line, 2);
  EXPECT_EQ(out.warnings[1].directive, "cache_effective_user");
  EXPECT_NE(out.warnings[2].message.find("obsolete"), std::string::npos);
  EXPECT_EQ(out.warnings[3].toString(), "test.conf:4: frobnicate: unknown directive, ignored");
}

TEST(Config, CuttleStrictTurnsIgnoredIntoErrorsWhereverItIs) {
  ParseOutcome out = parseConfigText(
      "coredump_dir /var/spool/squid\n"
      "read_timeout 30\n"
      "frobnicate yes\n"
      "http_port 3128 intercept\n"
      "cuttle_strict on\n",
      "strict.conf");
  EXPECT_EQ(out.config, nullptr);
  ASSERT_EQ(out.errors.size(), 3u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].line, 1);
  EXPECT_EQ(out.errors[0].directive, "coredump_dir");
  EXPECT_EQ(out.errors[1].line, 3);
  EXPECT_EQ(out.errors[2].line, 4);
  // The missing unit is not something cuttle ignores: it stays a warning.
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0].directive, "read_timeout");

  EXPECT_NE(parseOk("cuttle_strict on\ncuttle_strict off\ncoredump_dir /x\n"), nullptr);
  EXPECT_EQ(parseOneError("cuttle_strict yes\n", 1, "cuttle_strict").message,
            "expected 'on' or 'off', got 'yes'");
}

TEST(Config, CuttleStrictInAnIncludedFileAppliesToAll) {
  test::TempDir dir;
  dir.write("strict.conf", "cuttle_strict on\n");
  std::string top = dir.write("top.conf", "coredump_dir /var/spool/squid\ninclude strict.conf\n");
  ParseOutcome out = parseConfigFile(top);
  ASSERT_EQ(out.errors.size(), 1u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].file, top);
  EXPECT_EQ(out.errors[0].line, 1);
}

TEST(Config, AllErrorsAreCollectedWithTheirLines) {
  ParseOutcome out = parseConfigText(
      "workers 500\n"
      "via on\n"
      "connect_timeout x\n"
      "# comment\n"
      "cache_mem 1 XB\n"
      "http_port 99999\n",
      "many.conf");
  EXPECT_EQ(out.config, nullptr);
  ASSERT_EQ(out.errors.size(), 4u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].line, 1);
  EXPECT_EQ(out.errors[1].line, 3);
  EXPECT_EQ(out.errors[2].line, 5);
  EXPECT_EQ(out.errors[3].line, 6);
  EXPECT_EQ(out.errors[3].toString(), "many.conf:6: http_port: port out of range in '99999'");
}

TEST(Config, DiagnosticToString) {
  EXPECT_EQ((Diagnostic{"a.conf", 3, "via", "bad"}).toString(), "a.conf:3: via: bad");
  EXPECT_EQ((Diagnostic{"a.conf", 0, "", "unreadable"}).toString(), "a.conf: unreadable");
}

}  // namespace
}  // namespace cuttle::conf
