#include "dns/hosts_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cuttle::dns {
namespace {

using ::testing::ElementsAre;

SocketAddress ip(const char* text) { return *SocketAddress::parseIp(text); }

TEST(HostsFileTest, ParsesNamesAliasesAndComments) {
  HostsFile hosts = HostsFile::parse(
      "# comment line\n"
      "   \n"
      "127.0.0.1\tlocalhost loopback\r\n"
      "::1 localhost ip6-localhost # v6\n"
      "192.0.2.1 Web.Example.test. web\n"
      "#192.0.2.99 commented.test\n");
  ASSERT_NE(hosts.find("localhost"), nullptr);
  EXPECT_THAT(*hosts.find("localhost"), ElementsAre(ip("127.0.0.1"), ip("::1")));
  EXPECT_THAT(*hosts.find("loopback"), ElementsAre(ip("127.0.0.1")));
  EXPECT_THAT(*hosts.find("ip6-localhost"), ElementsAre(ip("::1")));
  EXPECT_THAT(*hosts.find("web.example.test"), ElementsAre(ip("192.0.2.1")));
  EXPECT_THAT(*hosts.find("web"), ElementsAre(ip("192.0.2.1")));
  EXPECT_EQ(hosts.find("commented.test"), nullptr);
  EXPECT_EQ(hosts.find("v6"), nullptr);
}

TEST(HostsFileTest, KeepsFileOrderWithoutDuplicates) {
  HostsFile hosts = HostsFile::parse(
      "192.0.2.2 multi\n"
      "2001:db8::2 multi\n"
      "192.0.2.2 multi\n"
      "192.0.2.3 multi");  // no final newline
  EXPECT_THAT(*hosts.find("multi"),
              ElementsAre(ip("192.0.2.2"), ip("2001:db8::2"), ip("192.0.2.3")));
}

TEST(HostsFileTest, SkipsBadLinesAndNames) {
  HostsFile hosts = HostsFile::parse(
      "not-an-ip name1\n"
      "[::1] name2\n"
      "fe80::1%eth0 name3\n"
      "192.0.2.4 bad$name good\n"
      "192.0.2.5\n");
  EXPECT_EQ(hosts.find("name1"), nullptr);
  EXPECT_EQ(hosts.find("name2"), nullptr);
  EXPECT_EQ(hosts.find("name3"), nullptr);
  EXPECT_THAT(*hosts.find("good"), ElementsAre(ip("192.0.2.4")));
  EXPECT_EQ(hosts.size(), 1u);
}

TEST(HostsFileTest, MissingFileIsEmpty) {
  EXPECT_EQ(HostsFile::load("/nonexistent/cuttle/hosts").size(), 0u);
}

}  // namespace
}  // namespace cuttle::dns
