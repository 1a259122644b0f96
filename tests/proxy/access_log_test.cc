#include "proxy/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace cuttle::proxy {
namespace {

AccessRecord sampleRecord() {
  AccessRecord r;
  r.start_ms = 1700000000123;  // 2023-11-14 22:13:20.123 UTC
  r.elapsed_ms = 45;
  r.client = *SocketAddress::parseIp("192.0.2.1", 5555);
  r.result = "TCP_MISS";
  r.status = 200;
  r.bytes_sent = 1234;
  r.bytes_received = 99;
  r.method = "GET";
  r.url = "http://a.example/x?y=1";
  r.hierarchy = "HIER_DIRECT";
  r.peer = "192.0.2.9";
  r.content_type = "text/html";
  r.referer = "http://ref.example/";
  r.user_agent = "curl/7.88.1";
  return r;
}

std::string squid(const AccessRecord& r) {
  std::string out;
  AccessLog::formatSquid(r, out);
  return out;
}

std::string common(const AccessRecord& r, bool combined = false) {
  std::string out;
  AccessLog::formatCommon(r, combined, out);
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A directory of the test's own, removed with its files at the end.
class TempDir {
 public:
  TempDir() {
    std::string templ = testing::TempDir() + "cuttle_access_log_XXXXXX";
    char* made = mkdtemp(templ.data());
    EXPECT_NE(made, nullptr);
    path_ = templ;
  }
  ~TempDir() {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

// ---- squid native format --------------------------------------------------------------------

TEST(AccessLog, SquidFormatExactLine) {
  // %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
  EXPECT_EQ(squid(sampleRecord()),
            "1700000000.123     45 192.0.2.1 TCP_MISS/200 1234 GET http://a.example/x?y=1 - "
            "HIER_DIRECT/192.0.2.9 text/html\n");
}

TEST(AccessLog, SquidFormatPaddingAndPlaceholders) {
  AccessRecord r;
  r.start_ms = 5;  // 0.005 s
  r.elapsed_ms = 1234567;
  // Empty client, method, content type and user: squid's placeholders.
  r.user = "";
  r.result = "NONE";
  EXPECT_EQ(squid(r), "0.005 1234567 - NONE/000 0 NONE - - HIER_NONE/- -\n");
}

TEST(AccessLog, SquidFormatIpv6ClientAndUser) {
  AccessRecord r = sampleRecord();
  r.client = *SocketAddress::parseIp("2001:db8::1", 40000);
  r.user = "alice";
  r.result = "TCP_DENIED";
  r.status = 403;
  r.elapsed_ms = 0;
  r.content_type = "";
  EXPECT_EQ(
      squid(r),
      "1700000000.123      0 2001:db8::1 TCP_DENIED/403 1234 GET http://a.example/x?y=1 alice "
      "HIER_DIRECT/192.0.2.9 -\n");
}

TEST(AccessLog, SquidFormatKeepsUrlsOnOneField) {
  AccessRecord r = sampleRecord();
  r.url = "http://a/\"quoted\"\n\x01";
  const std::string line = squid(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // one line
  EXPECT_NE(line.find(" http://a/%quoted%%% "), std::string::npos) << line;
}

TEST(AccessLog, SquidFormatAppends) {
  std::string out = "previous\n";
  AccessLog::formatSquid(sampleRecord(), out);
  EXPECT_EQ(out.rfind("previous\n1700000000.123 ", 0), 0u);
}

// ---- common and combined ----------------------------------------------------------------------

TEST(AccessLog, CommonFormatExactLine) {
  EXPECT_EQ(common(sampleRecord()),
            "192.0.2.1 - - [14/Nov/2023:22:13:20 +0000] \"GET http://a.example/x?y=1 HTTP/1.1\" "
            "200 1234 TCP_MISS:HIER_DIRECT\n");
}

TEST(AccessLog, CombinedFormatExactLine) {
  EXPECT_EQ(common(sampleRecord(), true),
            "192.0.2.1 - - [14/Nov/2023:22:13:20 +0000] \"GET http://a.example/x?y=1 HTTP/1.1\" "
            "200 1234 \"http://ref.example/\" \"curl/7.88.1\" TCP_MISS:HIER_DIRECT\n");
}

TEST(AccessLog, CombinedFormatPlaceholdersAndQuoting) {
  AccessRecord r = sampleRecord();
  r.client = SocketAddress();
  r.user = "bob";
  r.referer = "";
  r.user_agent = "evil\" agent\r\n";
  r.start_ms = 0;
  EXPECT_EQ(common(r, true),
            "- - bob [01/Jan/1970:00:00:00 +0000] \"GET http://a.example/x?y=1 HTTP/1.1\" "
            "200 1234 \"-\" \"evil% agent%%\" TCP_MISS:HIER_DIRECT\n");
}

// ---- files -----------------------------------------------------------------------------------

TEST(AccessLog, NoneIsDisabledAndDropsEverything) {
  // "access_log none" leaves the list of logs empty.
  auto log = AccessLog::open({});
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE((*log)->enabled());
  (*log)->write(sampleRecord());
  (*log)->flush();  // returns at once
  EXPECT_EQ((*log)->dropped(), 0u);
}

TEST(AccessLog, WritesLinesToItsFiles) {
  TempDir dir;
  const std::string squid_path = dir.file("access.log");
  const std::string combined_path = dir.file("combined.log");
  std::vector<conf::AccessLogSpec> specs(2);
  specs[0].path = squid_path;
  specs[0].format = "squid";
  specs[1].path = combined_path;
  specs[1].format = "combined";
  AccessRecord first = sampleRecord();
  AccessRecord second = sampleRecord();
  second.status = 404;
  second.url = "http://a.example/missing";
  {
    auto log = AccessLog::open(specs);
    ASSERT_TRUE(log.ok()) << log.error().cause;
    EXPECT_TRUE((*log)->enabled());
    (*log)->write(first);
    (*log)->write(second);
    (*log)->flush();
    EXPECT_EQ(readFile(squid_path), squid(first) + squid(second));
    EXPECT_EQ(readFile(combined_path), common(first, true) + common(second, true));
    EXPECT_EQ((*log)->dropped(), 0u);
  }
  // Closing writes nothing more: no line is lost or repeated.
  EXPECT_EQ(readFile(squid_path), squid(first) + squid(second));
}

TEST(AccessLog, DestructionWritesWhatIsBuffered) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0].path = path;
  {
    auto log = AccessLog::open(specs);
    ASSERT_TRUE(log.ok()) << log.error().cause;
    for (int i = 0; i < 100; ++i) (*log)->write(sampleRecord());
  }
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += squid(sampleRecord());
  EXPECT_EQ(readFile(path), expected);
}

TEST(AccessLog, AppendsToAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  {
    std::ofstream pre(path);
    pre << "old line\n";
  }
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0].path = path;
  specs[0].format = "common";
  auto log = AccessLog::open(specs);
  ASSERT_TRUE(log.ok()) << log.error().cause;
  (*log)->write(sampleRecord());
  (*log)->flush();
  EXPECT_EQ(readFile(path), "old line\n" + common(sampleRecord()));
}

TEST(AccessLog, UnopenableFileIsAConfigErrorNamingIt) {
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0].path = "/nonexistent-dir-for-cuttle-tests/access.log";
  auto log = AccessLog::open(specs);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().side, Side::kConfig);
  EXPECT_NE(log.error().cause.find("/nonexistent-dir-for-cuttle-tests/access.log"),
            std::string::npos)
      << log.error().cause;
}

// ---- logformat ----------------------------------------------------------------------------------

// The line a logformat specification gives for r, without its newline.
std::string formatted(std::string_view spec, const AccessRecord& r) {
  auto f = LogFormat::compile(spec, nullptr);
  EXPECT_TRUE(f.ok()) << spec << ": " << (f.ok() ? "" : f.error().cause);
  if (!f.ok()) return "<error>";
  std::string out;
  f->format(r, out);
  EXPECT_EQ(out.back(), '\n');
  out.pop_back();
  return out;
}

std::string compileError(std::string_view spec) {
  auto f = LogFormat::compile(spec, nullptr);
  EXPECT_FALSE(f.ok()) << spec << " compiled";
  return f.ok() ? "" : f.error().cause;
}

// Sets TZ for the scope of a test (local-time codes), restoring it after.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

TEST(LogFormat, TheExampleFormatGivesItsExactLine) {
  EXPECT_EQ(formatted("%ts.%03tu %>a %Ss/%03>Hs %rm %ru %{User-Agent}>h", sampleRecord()),
            "1700000000.123 192.0.2.1 TCP_MISS/200 GET http://a.example/x?y=1 curl/7.88.1");
}

TEST(LogFormat, SquidsDefinitionOfTheNativeFormatMatchesTheBuiltIn) {
  // squid.conf.documented: logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un
  // %Sh/%<a %mt
  const char* kNative = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt";
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted(kNative, r) + "\n", squid(r));
  r.user = "alice";
  r.status = 0;
  r.peer = "-";
  r.content_type = "";
  r.start_ms = 1700000000007;
  EXPECT_EQ(formatted(kNative, r) + "\n", squid(r));
}

TEST(LogFormat, PercentAndLiteralText) {
  EXPECT_EQ(formatted("[%ts] 100%% done", sampleRecord()), "[1700000000] 100% done");
  EXPECT_EQ(formatted("no codes", sampleRecord()), "no codes");
  EXPECT_EQ(formatted("", sampleRecord()), "");
}

TEST(LogFormat, ClientAndLocalAddresses) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%>a %>A %>p", r), "192.0.2.1 192.0.2.1 5555");
  EXPECT_EQ(formatted("%la %lp %>la %>lp", r), "- - - -");  // unknown: '-'
  r.local_port = 3128;
  EXPECT_EQ(formatted("%la %lp", r), "- 3128");
  r.local = *SocketAddress::parseIp("127.0.0.1", 3129);
  EXPECT_EQ(formatted("%la:%lp", r), "127.0.0.1:3128");
  r.local_port = 0;
  EXPECT_EQ(formatted("%la:%lp", r), "127.0.0.1:3129");
  r.client = *SocketAddress::parseIp("2001:db8::1", 40000);
  EXPECT_EQ(formatted("%>a %>p", r), "2001:db8::1 40000");
  r.client = SocketAddress();
  EXPECT_EQ(formatted("%>a %>p", r), "- -");
}

TEST(LogFormat, ServerAddress) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%<a %<A", r), "192.0.2.9 192.0.2.9");
  r.peer = "-";
  EXPECT_EQ(formatted("%<a", r), "-");
}

TEST(LogFormat, TimesOfTheRequestStart) {
  AccessRecord r = sampleRecord();  // 2023-11-14 22:13:20.123 UTC
  EXPECT_EQ(formatted("%ts %tu %03tu", r), "1700000000 123 123");
  r.start_ms = 1700000000007;
  EXPECT_EQ(formatted("%ts.%tu %ts.%03tu", r), "1700000000.7 1700000000.007");
  EXPECT_EQ(formatted("%tg", r), "14/Nov/2023:22:13:20 +0000");
  EXPECT_EQ(formatted("%{%Y-%m-%dT%H:%M:%SZ}tg", r), "2023-11-14T22:13:20Z");
  EXPECT_EQ(formatted("%tg{%H:%M}", r), "22:13") << "squid also takes the argument after the code";
  EXPECT_EQ(formatted("%tS %.1tS %.0tS %.5tS", r),
            "1700000000.007 1700000000.0 1700000000 1700000000.00700");
}

TEST(LogFormat, LocalTimeUsesTheTimeZone) {
  ScopedTimeZone tz("IST-5:30");
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%tl", r), "15/Nov/2023:03:43:20 +0530");
  EXPECT_EQ(formatted("[%{%d/%b/%Y %H.%M}tl]", r), "[15/Nov/2023 03.43]");
}

TEST(LogFormat, ResponseTimeWithWidthZerosAndPrecision) {
  AccessRecord r = sampleRecord();  // 45 ms
  EXPECT_EQ(formatted("%tr|%6tr|%-6tr|%06tr|%1tr", r), "45|    45|45    |000045|45");
  // squid: .precision gives milliseconds with decimals (cuttle's clock has no finer ones).
  EXPECT_EQ(formatted("%.3tr|%09.3tr", r), "45.000|00045.000");
}

TEST(LogFormat, Statuses) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%>Hs %Hs %<Hs", r), "200 200 -");
  r.upstream_status = 304;
  EXPECT_EQ(formatted("%<Hs", r), "304");
  r.status = 0;  // nothing sent: squid's NONE/000
  EXPECT_EQ(formatted("%>Hs %03>Hs", r), "0 000");
  r.status = 5;
  EXPECT_EQ(formatted("%3>Hs|%-3>Hs|%03>Hs", r), "  5|5  |005");
}

TEST(LogFormat, Sizes) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%<st %>st %st", r), "1234 99 1333");
  EXPECT_EQ(formatted("%08<st", r), "00001234");
  EXPECT_EQ(formatted("%.2<st", r), "1234") << "precision never truncates a number";
}

TEST(LogFormat, RequestLine) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%rm %ru %rp %rv", r), "GET http://a.example/x?y=1 /x?y=1 -");
  EXPECT_EQ(formatted("%>rm %>ru %>rp", r), "GET http://a.example/x?y=1 /x?y=1");
  r.version_major = 1;
  r.version_minor = 0;
  EXPECT_EQ(formatted("HTTP/%rv", r), "HTTP/1.0");
  r.url = "http://a.example";
  EXPECT_EQ(formatted("%rp", r), "/");
  r.url = "/origin/form";
  EXPECT_EQ(formatted("%rp", r), "/origin/form");
  r.url = "a.example:443";  // CONNECT
  EXPECT_EQ(formatted("%rp %ru", r), "- a.example:443");
  r.method = "";
  r.url = "";
  EXPECT_EQ(formatted("%rm %ru", r), "NONE -");
}

TEST(LogFormat, UserResultHierarchyAndType) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%un %Ss %Sh %mt", r), "- TCP_MISS HIER_DIRECT text/html");
  r.user = "alice";
  EXPECT_EQ(formatted("%un %ul", r), "alice alice");
  r.user = "bob smith";
  EXPECT_EQ(formatted("%un", r), "bob%20smith") << "squid URL-encodes user names";
  r.user = "";
  r.content_type = "";
  r.result = "TCP_DENIED";
  r.hierarchy = "HIER_NONE";
  EXPECT_EQ(formatted("%un %Ss %Sh %mt", r), "- TCP_DENIED HIER_NONE -");
}

TEST(LogFormat, RequestHeadersByName) {
  HeaderList headers;
  headers.add("Host", "a.example");
  headers.add("User-Agent", "Mozilla/5.0 (X11)");
  headers.add("X-Forwarded-For", "192.0.2.7");
  headers.add("x-forwarded-for", "192.0.2.8");
  headers.add("Cookie", "a=1; session=xyz; b=2");
  headers.add("Empty", "");
  AccessRecord r = sampleRecord();
  r.request_headers = &headers;
  // Without an encoding, squid URL-encodes header values (leaving '%' alone).
  EXPECT_EQ(formatted("%{User-Agent}>h", r), "Mozilla/5.0%20(X11)");
  EXPECT_EQ(formatted("%'{User-Agent}>h", r), "Mozilla/5.0 (X11)");
  EXPECT_EQ(formatted("\"%\"{user-agent}>h\"", r), "\"Mozilla/5.0 (X11)\"");
  // Repeated fields are joined with ", " as squid does.
  EXPECT_EQ(formatted("%'{X-Forwarded-For}>h", r), "192.0.2.7, 192.0.2.8");
  EXPECT_EQ(formatted("%{Cookie:;session}>h|%{Cookie:;nope}>h", r), "xyz|-");
  EXPECT_EQ(formatted("%{Missing}>h %{Empty}>h %{Referer}>h", r), "- - -")
      << "the header list, not the Referer field, is what counts once it is given";
  EXPECT_EQ(formatted("%{Host}http::>h %http::>h{Host}", r), "a.example a.example");
}

TEST(LogFormat, AllRequestHeaders) {
  HeaderList headers;
  headers.add("Host", "a.example");
  headers.add("Accept", "*/*");
  AccessRecord r = sampleRecord();
  r.request_headers = &headers;
  EXPECT_EQ(formatted("%>h", r), "Host:%20a.example%0D%0AAccept:%20*/*%0D%0A");
  EXPECT_EQ(formatted("%\">h", r), "Host: a.example\\r\\nAccept: */*\\r\\n");
}

TEST(LogFormat, RefererAndUserAgentWithoutAHeaderList) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%{Referer}>h %{User-Agent}>h %{Accept}>h", r),
            "http://ref.example/ curl/7.88.1 -");
}

TEST(LogFormat, ResponseHeaders) {
  HeaderList reply;
  reply.add("Content-Length", "42");
  reply.add("Cache-Control", "max-age=60, private");
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%{Content-Length}<h", r), "-") << "no response headers recorded";
  r.response_headers = &reply;
  EXPECT_EQ(formatted("%{Content-Length}<h %{Cache-Control:max-age}<h", r), "42 60");
}

TEST(LogFormat, Encodings) {
  HeaderList headers;
  headers.add("X", "say \"hi\" \\ 50% [ok]\t{x}");
  AccessRecord r = sampleRecord();
  r.request_headers = &headers;
  EXPECT_EQ(formatted("%\"{X}>h", r), "say \\\"hi\\\" \\\\ 50% [ok]\\t{x}");
  EXPECT_EQ(formatted("%[{X}>h", r), "say \"hi\" %5C 50%25 %5Bok%5D%09{x}");
  EXPECT_EQ(formatted("%#{X}>h", r), "say%20%22hi%22%20%5C%2050%25%20%5Bok%5D%09%7Bx%7D");
  EXPECT_EQ(formatted("%{X}>h", r), "say%20%22hi%22%20%5C%2050%%20%5Bok%5D%09%7Bx%7D");
  EXPECT_EQ(formatted("%'{X}>h", r), "say \"hi\" \\ 50% [ok]\t{x}");
  EXPECT_EQ(formatted("%/{X}>h", r), "\"say \\\"hi\\\" \\\\ 50% [ok]\t{x}\"");
  EXPECT_EQ(formatted("%/Ss", r), "TCP_MISS") << "shell quoting only wraps values with spaces";
}

TEST(LogFormat, WidthAlignmentAndTruncationOfStrings) {
  AccessRecord r = sampleRecord();
  EXPECT_EQ(formatted("%12Ss|%-12Ss|%012Ss|", r), "    TCP_MISS|TCP_MISS    |    TCP_MISS|");
  EXPECT_EQ(formatted("%.3Ss|%6.3Ss|%-6.3Ss|%.20Ss", r), "TCP|   TCP|TCP   |TCP_MISS");
  EXPECT_EQ(formatted("%4Ss", r), "TCP_MISS") << "a width is a minimum";
  r.content_type = "";
  EXPECT_EQ(formatted("%5mt|", r), "-|") << "squid pads no placeholder";
}

TEST(LogFormat, CodesSquidKnowsButCuttleDoesNotRecordAreDashesWithAWarning) {
  std::vector<std::string> warnings;
  auto f = LogFormat::compile("%<p %sn %err_code %ssl::>cert_subject %icap::tr %>eui x", &warnings);
  ASSERT_TRUE(f.ok()) << f.error().cause;
  std::string out;
  f->format(sampleRecord(), out);
  EXPECT_EQ(out, "- - - - - - x\n");
  ASSERT_EQ(warnings.size(), 6u);
  EXPECT_NE(warnings[0].find("'%<p'"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[3].find("'%ssl::>cert_subject'"), std::string::npos) << warnings[3];
}

TEST(LogFormat, UnknownCodesAndBadModifiersAreErrors) {
  EXPECT_NE(compileError("%ts %xyz %rm").find("unknown format code '%xyz'"), std::string::npos);
  EXPECT_NE(compileError("%>Q").find("'%>Q'"), std::string::npos);
  EXPECT_NE(compileError("%ts %").find("'%' at the end"), std::string::npos);
  EXPECT_NE(compileError("%{Referer>h").find("missing '}'"), std::string::npos);
  EXPECT_NE(compileError("%.Ss").find("precision"), std::string::npos);
  EXPECT_NE(compileError("%ssl::").find("unknown format code"), std::string::npos);
}

TEST(LogFormat, BuiltInsByName) {
  ScopedTimeZone tz("UTC0");
  HeaderList headers;
  headers.add("Referer", "http://ref.example/");
  headers.add("User-Agent", "Mozilla/5.0 (X11)");
  AccessRecord r = sampleRecord();
  r.request_headers = &headers;
  auto line = [&r](std::string_view name) {
    std::optional<LogFormat> f = LogFormat::builtin(name);
    EXPECT_TRUE(f.has_value()) << name;
    std::string out;
    if (f) f->format(r, out);
    return out;
  };
  EXPECT_EQ(line("squid"), squid(r));
  EXPECT_EQ(line("icap_squid"), squid(r));
  EXPECT_EQ(line("common"), common(r));
  EXPECT_EQ(line("combined"), common(r, true));
  // squid: logformat referrer %tl %>a %{Referer}>h %ru
  EXPECT_EQ(line("referrer"),
            "14/Nov/2023:22:13:20 +0000 192.0.2.1 http://ref.example/ http://a.example/x?y=1\n");
  // squid: logformat useragent %>a [%tl] "%{User-Agent}>h"
  EXPECT_EQ(line("useragent"), "192.0.2.1 [14/Nov/2023:22:13:20 +0000] \"Mozilla/5.0%20(X11)\"\n");
  EXPECT_FALSE(LogFormat::builtin("mine").has_value());
}

conf::RawDirective logformat(std::string name, std::string spec, int line = 7) {
  conf::RawDirective d;
  d.name = "logformat";
  d.args = {std::move(name), std::move(spec)};
  d.file = "/etc/cuttle/cuttle.conf";
  d.line = line;
  return d;
}

TEST(AccessLog, WritesALogformatAndTheBuiltInsSideBySide) {
  TempDir dir;
  std::vector<conf::AccessLogSpec> specs(3);
  specs[0] = {dir.file("mine.log"), "mine"};
  specs[1] = {dir.file("squid.log"), "squid"};
  specs[2] = {dir.file("combined.log"), "combined"};
  std::vector<conf::RawDirective> formats = {
      logformat("mine", "%ts %>a %Ss/%03>Hs %{User-Agent}>h")};
  AccessRecord r = sampleRecord();
  {
    auto log = AccessLog::open(specs, formats);
    ASSERT_TRUE(log.ok()) << log.error().cause;
    (*log)->write(r);
    (*log)->write(r);
  }
  EXPECT_EQ(readFile(specs[0].path),
            "1700000000 192.0.2.1 TCP_MISS/200 curl/7.88.1\n1700000000 192.0.2.1 TCP_MISS/200 "
            "curl/7.88.1\n");
  EXPECT_EQ(readFile(specs[1].path), squid(r) + squid(r));
  EXPECT_EQ(readFile(specs[2].path), common(r, true) + common(r, true));
}

TEST(AccessLog, ALogformatNamedLikeABuiltInReplacesIt) {
  TempDir dir;
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0] = {dir.file("access.log"), "squid"};
  auto log = AccessLog::open(specs, {logformat("squid", "%rm %ru")});
  ASSERT_TRUE(log.ok()) << log.error().cause;
  (*log)->write(sampleRecord());
  (*log)->flush();
  EXPECT_EQ(readFile(specs[0].path), "GET http://a.example/x?y=1\n");
}

TEST(AccessLog, UnknownCodeRefusesTheLogNamingFileAndLine) {
  TempDir dir;
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0] = {dir.file("never.log"), "squid"};
  // Every logformat is compiled, used or not, as squid does.
  auto log = AccessLog::open(specs, {logformat("good", "%ts"), logformat("bad", "%ts %bogus", 12)});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().side, Side::kConfig);
  EXPECT_NE(log.error().cause.find("invalid logformat"), std::string::npos) << log.error().cause;
  EXPECT_NE(
      log.error().cause.find("/etc/cuttle/cuttle.conf:12: logformat: bad: unknown format code "
                             "'%bogus'"),
      std::string::npos)
      << log.error().cause;
  EXPECT_FALSE(::access(specs[0].path.c_str(), F_OK) == 0) << "nothing opened";
}

TEST(AccessLog, UnknownFormatNameIsAnError) {
  std::vector<conf::AccessLogSpec> specs(1);
  specs[0] = {"/dev/null", "nosuchformat"};
  auto log = AccessLog::open(specs);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().cause.find("nosuchformat"), std::string::npos) << log.error().cause;
}

TEST(AccessLog, OpenReportsUnrecordedCodesAsWarnings) {
  std::vector<conf::Diagnostic> warnings;
  auto log = AccessLog::open({}, {logformat("m", "%ts %<p", 3)}, &warnings);
  ASSERT_TRUE(log.ok()) << log.error().cause;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].file, "/etc/cuttle/cuttle.conf");
  EXPECT_EQ(warnings[0].line, 3);
  EXPECT_EQ(warnings[0].directive, "logformat");
}

TEST(AccessLog, CheckFormatsListsEveryBadLogformat) {
  conf::Config config;
  config.logformats = {logformat("a", "%ts %nope", 4), logformat("b", "%rm"),
                       logformat("c", "%{x", 9), logformat("d", "%<p", 10)};
  std::vector<conf::Diagnostic> errors;
  std::vector<conf::Diagnostic> warnings;
  EXPECT_FALSE(AccessLog::checkFormats(config, &errors, &warnings));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].directive, "logformat");
  EXPECT_NE(errors[0].message.find("'%nope'"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].line, 9);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].line, 10);
  errors.clear();
  config.logformats = {logformat("b", "%rm")};
  EXPECT_TRUE(AccessLog::checkFormats(config, &errors, &warnings));
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace cuttle::proxy
