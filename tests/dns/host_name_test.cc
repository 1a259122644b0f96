#include "dns/host_name.h"

#include <gtest/gtest.h>

namespace cuttle::dns {
namespace {

TEST(HostNameTest, LowercasesAndDropsOneTrailingDot) {
  EXPECT_EQ(normalizeHostName("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(normalizeHostName("example.com."), "example.com");
  EXPECT_EQ(normalizeHostName("under_score-dash.test"), "under_score-dash.test");
  EXPECT_EQ(normalizeHostName("localhost"), "localhost");
}

TEST(HostNameTest, RejectsBadNames) {
  for (const char* bad : {"", ".", "..", "a..b", ".a", "a.b..", "a b", "a/b", "a:b", "ex%41",
                          "caf\xc3\xa9.test", "a\nb"}) {
    EXPECT_FALSE(normalizeHostName(bad)) << bad;
  }
}

TEST(HostNameTest, LengthLimits) {
  std::string label63(63, 'a');
  EXPECT_TRUE(normalizeHostName(label63 + ".test"));
  EXPECT_FALSE(normalizeHostName(label63 + "a.test"));
  std::string name253;
  while (name253.size() < 253) name253 += "abc.";
  name253.resize(253);
  if (name253.back() == '.') name253.back() = 'x';
  EXPECT_TRUE(normalizeHostName(name253));
  EXPECT_TRUE(normalizeHostName(name253 + "."));  // the trailing dot does not count
  EXPECT_FALSE(normalizeHostName(name253 + "x"));
}

}  // namespace
}  // namespace cuttle::dns
