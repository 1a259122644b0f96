#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::headers;

std::string key(std::string_view vary, testing::Fields request) {
  return secondaryKey(vary, headers(request));
}

TEST(VaryKey, NormalizeNoVary) { EXPECT_EQ(normalizeVary(headers({{"ETag", "\"x\""}})), ""); }

TEST(VaryKey, NormalizeLowerSortDedupAcrossFields) {
  EXPECT_EQ(normalizeVary(headers({{"Vary", "User-Agent, Accept-Encoding"},
                                   {"vary", " accept-encoding ,Accept"},
                                   {"Vary", ""}})),
            "accept, accept-encoding, user-agent");
}

TEST(VaryKey, NormalizeStar) {
  EXPECT_EQ(normalizeVary(headers({{"Vary", "Accept, *"}})), "*");
  EXPECT_EQ(normalizeVary(headers({{"Vary", "*"}})), "*");
}

TEST(VaryKey, EmptyVaryGivesEmptyKey) { EXPECT_EQ(key("", {{"Accept", "x"}}), ""); }

TEST(VaryKey, PresentAbsentAndEmptyAreDistinct) {
  const std::string absent = key("accept-encoding", {});
  const std::string empty = key("accept-encoding", {{"Accept-Encoding", ""}});
  const std::string gzip = key("accept-encoding", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(absent, "accept-encoding\n");
  EXPECT_EQ(empty, "accept-encoding:\n");
  EXPECT_EQ(gzip, "accept-encoding:gzip\n");
}

TEST(VaryKey, SeveralNamesInVaryOrder) {
  EXPECT_EQ(key("accept, user-agent", {{"User-Agent", "UA/1"}, {"Accept", "text/html"}}),
            "accept:text/html\nuser-agent:UA/1\n");
}

TEST(VaryKey, FieldNameLookupIsCaseInsensitive) {
  EXPECT_EQ(key("x-variant", {{"X-VARIANT", "A"}}), "x-variant:A\n");
}

TEST(VaryKey, WhitespaceAroundCommasNormalised) {
  EXPECT_EQ(key("accept-encoding", {{"Accept-Encoding", "gzip,  br , deflate"}}),
            key("accept-encoding", {{"Accept-Encoding", "gzip,br,deflate"}}));
  EXPECT_EQ(key("x-list", {{"X-List", "a ,\tb"}}), "x-list:a,b\n");
  EXPECT_EQ(key("x-list", {{"X-List", "  a b  "}}), "x-list:a b\n");  // inner OWS kept
}

TEST(VaryKey, SeveralLinesCombineLikeOneList) {
  EXPECT_EQ(key("accept-encoding", {{"Accept-Encoding", "gzip"}, {"Accept-Encoding", "br"}}),
            key("accept-encoding", {{"Accept-Encoding", "gzip, br"}}));
  EXPECT_EQ(key("x-custom", {{"X-Custom", "a"}, {"X-Custom", "b"}}),
            key("x-custom", {{"X-Custom", "a, b"}}));
}

TEST(VaryKey, CaseInsensitiveValuesLowered) {
  EXPECT_EQ(key("accept-encoding", {{"Accept-Encoding", "GZIP, Br"}}), "accept-encoding:gzip,br\n");
  EXPECT_EQ(key("accept-language", {{"Accept-Language", "en-US"}}), "accept-language:en-us\n");
  // Other fields keep their case.
  EXPECT_EQ(key("user-agent", {{"User-Agent", "Mozilla"}}), "user-agent:Mozilla\n");
  EXPECT_NE(key("cookie", {{"Cookie", "a=B"}}), key("cookie", {{"Cookie", "a=b"}}));
}

TEST(VaryKey, ParameterListsDropEmptyElementsAndSemicolonSpace) {
  EXPECT_EQ(key("accept", {{"Accept", "text/html ; q=0.9, , */*;q=0.1"}}),
            "accept:text/html;q=0.9,*/*;q=0.1\n");
}

TEST(VaryKey, QuotedStringsUntouched) {
  EXPECT_EQ(key("x-q", {{"X-Q", "\"a , b\" , c"}}), "x-q:\"a , b\",c\n");
}

TEST(VaryKey, DifferentValuesDifferentKeys) {
  EXPECT_NE(key("accept-encoding", {{"Accept-Encoding", "gzip"}}),
            key("accept-encoding", {{"Accept-Encoding", "br"}}));
  EXPECT_NE(key("accept-encoding", {{"Accept-Encoding", "gzip, br"}}),
            key("accept-encoding", {{"Accept-Encoding", "br, gzip"}}));
}

TEST(VaryKey, UnnormalisedVaryNamesAccepted) {
  EXPECT_EQ(key("Accept-Encoding", {{"accept-encoding", "GZIP"}}), "accept-encoding:gzip\n");
}

TEST(VaryKey, MatchesSeveralVariantsPerUrl) {
  const std::string vary = normalizeVary(headers({{"Vary", "Accept-Encoding"}}));
  const std::string gzip = key(vary, {{"Accept-Encoding", "gzip"}});
  const std::string identity = key(vary, {});
  EXPECT_TRUE(varyMatches(vary, gzip, headers({{"Accept-Encoding", "GZIP "}})));
  EXPECT_FALSE(varyMatches(vary, gzip, headers({})));
  EXPECT_TRUE(varyMatches(vary, identity, headers({{"Accept", "x"}})));
  EXPECT_FALSE(varyMatches(vary, identity, headers({{"Accept-Encoding", ""}})));
}

TEST(VaryKey, StarNeverMatches) {
  EXPECT_EQ(secondaryKey("*", headers({})), "*");
  EXPECT_FALSE(varyMatches("*", "*", headers({})));
  EXPECT_FALSE(varyMatches("*", "", headers({})));
}

TEST(VaryKey, NoVaryMatchesEverything) {
  EXPECT_TRUE(varyMatches("", "", headers({{"Accept", "x"}})));
}

}  // namespace
}  // namespace cuttle::cache
