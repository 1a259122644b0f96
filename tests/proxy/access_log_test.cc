#include "proxy/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
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

}  // namespace
}  // namespace cuttle::proxy
