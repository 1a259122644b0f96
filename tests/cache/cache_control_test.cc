#include <gtest/gtest.h>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::headers;

CacheControl parse(testing::Fields fields) { return parseCacheControl(headers(fields)); }

TEST(CacheControlParse, EmptyWithoutField) {
  CacheControl cc = parse({{"Content-Type", "text/plain"}});
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_private);
  EXPECT_FALSE(cc.is_public);
  EXPECT_FALSE(cc.max_age.has_value());
  EXPECT_FALSE(cc.max_age_invalid);
  EXPECT_FALSE(cc.s_maxage.has_value());
}

TEST(CacheControlParse, BooleanDirectives) {
  CacheControl cc = parse({{"Cache-Control",
                            "no-store, no-cache, private, public, must-revalidate, "
                            "proxy-revalidate, must-understand, no-transform, immutable, "
                            "only-if-cached"}});
  EXPECT_TRUE(cc.no_store);
  EXPECT_TRUE(cc.no_cache);
  EXPECT_TRUE(cc.no_cache_fields.empty());
  EXPECT_TRUE(cc.is_private);
  EXPECT_TRUE(cc.private_fields.empty());
  EXPECT_TRUE(cc.is_public);
  EXPECT_TRUE(cc.must_revalidate);
  EXPECT_TRUE(cc.proxy_revalidate);
  EXPECT_TRUE(cc.must_understand);
  EXPECT_TRUE(cc.no_transform);
  EXPECT_TRUE(cc.immutable);
  EXPECT_TRUE(cc.only_if_cached);
}

TEST(CacheControlParse, NamesAreCaseInsensitive) {
  CacheControl cc = parse({{"cache-control", "No-Store, MAX-AGE=7, S-MaxAge=9, Private"}});
  EXPECT_TRUE(cc.no_store);
  EXPECT_TRUE(cc.is_private);
  EXPECT_EQ(cc.max_age, 7);
  EXPECT_EQ(cc.s_maxage, 9);
}

TEST(CacheControlParse, QuotedNumbersAccepted) {
  CacheControl cc = parse({{"Cache-Control",
                            "max-age=\"10\", s-maxage=\"20\", "
                            "stale-while-revalidate=\"30\""}});
  EXPECT_EQ(cc.max_age, 10);
  EXPECT_EQ(cc.s_maxage, 20);
  EXPECT_EQ(cc.stale_while_revalidate, 30);
  EXPECT_FALSE(cc.max_age_invalid);
}

TEST(CacheControlParse, SeveralFieldsCombine) {
  CacheControl cc = parse({{"Cache-Control", "public"},
                           {"Content-Type", "x/y"},
                           {"Cache-Control", "max-age=5"},
                           {"Cache-Control", "no-transform"}});
  EXPECT_TRUE(cc.is_public);
  EXPECT_EQ(cc.max_age, 5);
  EXPECT_TRUE(cc.no_transform);
}

TEST(CacheControlParse, UnknownDirectivesAndEmptyElementsIgnored) {
  CacheControl cc = parse({{"Cache-Control", ", community=\"UCI\", ,foo=bar,max-age=3,,"}});
  EXPECT_EQ(cc.max_age, 3);
  EXPECT_FALSE(cc.no_cache);
}

TEST(CacheControlParse, CommaInsideQuotedValueDoesNotSplit) {
  CacheControl cc = parse({{"Cache-Control", "ext=\"a, max-age=99\", max-age=4"}});
  EXPECT_EQ(cc.max_age, 4);
  EXPECT_FALSE(cc.max_age_invalid);
}

TEST(CacheControlParse, WhitespaceAroundEqualsTolerated) {
  CacheControl cc = parse({{"Cache-Control", "max-age = 12 ,\tpublic"}});
  EXPECT_EQ(cc.max_age, 12);
  EXPECT_TRUE(cc.is_public);
}

TEST(CacheControlParse, MalformedMaxAgeMarksInvalid) {
  for (std::string_view v : {"max-age=abc", "max-age=", "max-age", "max-age=-1", "max-age=1.5",
                             "max-age=\"12", "max-age=\"\"", "max-age=5s"}) {
    CacheControl cc = parse({{"Cache-Control", v}});
    EXPECT_TRUE(cc.max_age_invalid) << v;
    EXPECT_FALSE(cc.max_age.has_value()) << v;
  }
}

TEST(CacheControlParse, MalformedSMaxAgeMarksInvalid) {
  CacheControl cc = parse({{"Cache-Control", "s-maxage=soon"}});
  EXPECT_TRUE(cc.s_maxage_invalid);
  EXPECT_FALSE(cc.s_maxage.has_value());
}

TEST(CacheControlParse, DuplicateEqualMaxAgeIsFine) {
  CacheControl cc = parse({{"Cache-Control", "max-age=5"}, {"Cache-Control", "max-age=5"}});
  EXPECT_EQ(cc.max_age, 5);
  EXPECT_FALSE(cc.max_age_invalid);
}

TEST(CacheControlParse, ConflictingMaxAgeIsInvalidFirstKept) {
  CacheControl cc = parse({{"Cache-Control", "max-age=5, max-age=50"}});
  EXPECT_EQ(cc.max_age, 5);
  EXPECT_TRUE(cc.max_age_invalid);
  CacheControl s = parse({{"Cache-Control", "s-maxage=5"}, {"Cache-Control", "s-maxage=6"}});
  EXPECT_TRUE(s.s_maxage_invalid);
}

TEST(CacheControlParse, DeltaSecondsOverflowClamped) {
  CacheControl cc = parse({{"Cache-Control",
                            "max-age=2147483649, s-maxage=99999999999999999999999999, "
                            "min-fresh=2147483648, max-stale=2147483647"}});
  EXPECT_EQ(cc.max_age, kDeltaSecondsMax);
  EXPECT_EQ(cc.s_maxage, kDeltaSecondsMax);
  EXPECT_EQ(cc.min_fresh, 2147483648);
  EXPECT_EQ(cc.max_stale, 2147483647);
  EXPECT_FALSE(cc.max_age_invalid);
  EXPECT_FALSE(cc.s_maxage_invalid);
}

TEST(CacheControlParse, ZeroAndLeadingZeros) {
  EXPECT_EQ(parse({{"Cache-Control", "max-age=0"}}).max_age, 0);
  EXPECT_EQ(parse({{"Cache-Control", "max-age=007"}}).max_age, 7);
}

TEST(CacheControlParse, MaxStaleWithAndWithoutValue) {
  EXPECT_EQ(parse({{"Cache-Control", "max-stale"}}).max_stale, CacheControl::kAnyStale);
  EXPECT_EQ(parse({{"Cache-Control", "max-stale=30"}}).max_stale, 30);
  EXPECT_FALSE(parse({{"Cache-Control", "max-stale=x"}}).max_stale.has_value());
  // First valid occurrence wins.
  EXPECT_EQ(parse({{"Cache-Control", "max-stale=10, max-stale"}}).max_stale, 10);
}

TEST(CacheControlParse, LenientDirectivesIgnoreMalformedValues) {
  CacheControl cc =
      parse({{"Cache-Control", "min-fresh=x, stale-while-revalidate, stale-if-error=-3"}});
  EXPECT_FALSE(cc.min_fresh.has_value());
  EXPECT_FALSE(cc.stale_while_revalidate.has_value());
  EXPECT_FALSE(cc.stale_if_error.has_value());
  CacheControl first = parse({{"Cache-Control", "stale-if-error=60, stale-if-error=5"}});
  EXPECT_EQ(first.stale_if_error, 60);
}

TEST(CacheControlParse, QualifiedNoCacheAndPrivate) {
  CacheControl cc = parse(
      {{"Cache-Control", "no-cache=\"Set-Cookie, X-Secret\", private=\"Authorization-Info\""}});
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_private);
  EXPECT_EQ(cc.no_cache_fields, (std::vector<std::string>{"set-cookie", "x-secret"}));
  EXPECT_EQ(cc.private_fields, (std::vector<std::string>{"authorization-info"}));
}

TEST(CacheControlParse, QualifiedTokenFormAccepted) {
  CacheControl cc = parse({{"Cache-Control", "no-cache=Set-Cookie"}});
  EXPECT_FALSE(cc.no_cache);
  EXPECT_EQ(cc.no_cache_fields, (std::vector<std::string>{"set-cookie"}));
}

TEST(CacheControlParse, EmptyOrMalformedQualifiedListIsUnqualified) {
  EXPECT_TRUE(parse({{"Cache-Control", "no-cache=\"\""}}).no_cache);
  EXPECT_TRUE(parse({{"Cache-Control", "private=\"\""}}).is_private);
  EXPECT_TRUE(parse({{"Cache-Control", "private=\"a b\""}}).is_private);
  EXPECT_TRUE(parse({{"Cache-Control", "no-cache=\"unterminated"}}).no_cache);
}

TEST(CacheControlParse, UnqualifiedBesideQualifiedWins) {
  CacheControl cc = parse({{"Cache-Control", "no-cache=\"Foo\", no-cache"}});
  EXPECT_TRUE(cc.no_cache);
  EXPECT_EQ(cc.no_cache_fields, (std::vector<std::string>{"foo"}));
}

TEST(CacheControlParse, NonTokenNamesIgnored) {
  CacheControl cc = parse({{"Cache-Control", "\"max-age\"=5, no store"}});
  EXPECT_FALSE(cc.max_age.has_value());
  EXPECT_FALSE(cc.no_store);
}

TEST(PolicyHelpers, ParseDeltaSeconds) {
  using detail::parseDeltaSeconds;
  EXPECT_EQ(parseDeltaSeconds("0"), 0);
  EXPECT_EQ(parseDeltaSeconds("\"42\""), 42);
  EXPECT_EQ(parseDeltaSeconds("2147483648"), kDeltaSecondsMax);
  EXPECT_EQ(parseDeltaSeconds("2147483647"), 2147483647);
  EXPECT_EQ(parseDeltaSeconds("18446744073709551616"), kDeltaSecondsMax);
  EXPECT_FALSE(parseDeltaSeconds("").has_value());
  EXPECT_FALSE(parseDeltaSeconds("+1").has_value());
  EXPECT_FALSE(parseDeltaSeconds(" 1").has_value());
  EXPECT_FALSE(parseDeltaSeconds("\"1\"x").has_value());
}

TEST(PolicyHelpers, ParseEntityTag) {
  using detail::parseEntityTag;
  auto strong = parseEntityTag("\"abc\"");
  ASSERT_TRUE(strong);
  EXPECT_FALSE(strong->weak);
  EXPECT_EQ(strong->opaque, "\"abc\"");
  auto weak = parseEntityTag(" W/\"abc\" ");
  ASSERT_TRUE(weak);
  EXPECT_TRUE(weak->weak);
  EXPECT_EQ(weak->opaque, "\"abc\"");
  EXPECT_TRUE(detail::weakMatch(*strong, *weak));
  EXPECT_FALSE(detail::strongMatch(*strong, *weak));
  EXPECT_TRUE(detail::strongMatch(*strong, *strong));
  EXPECT_TRUE(parseEntityTag("\"\""));        // empty opaque tag is valid
  EXPECT_TRUE(parseEntityTag("unquoted"));    // tolerated as strong
  EXPECT_FALSE(parseEntityTag("w/\"abc\""));  // "W/" is case-sensitive
  EXPECT_FALSE(parseEntityTag("\"a\"b\""));
  EXPECT_FALSE(parseEntityTag("\"abc"));
  EXPECT_FALSE(parseEntityTag("W/abc"));
  EXPECT_FALSE(parseEntityTag(""));
}

TEST(PolicyHelpers, Unquote) {
  EXPECT_EQ(detail::unquote("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(detail::unquote("token"), "token");
  EXPECT_FALSE(detail::unquote("\"open").has_value());
  EXPECT_FALSE(detail::unquote("\"a\"b").has_value());
}

TEST(PolicyHelpers, RequestNoCacheAndPragma) {
  auto check = [](testing::Fields f) {
    HeaderList h = headers(f);
    return detail::requestNoCache(parseCacheControl(h), h);
  };
  EXPECT_TRUE(check({{"Cache-Control", "no-cache"}}));
  EXPECT_TRUE(check({{"Pragma", "no-cache"}}));
  EXPECT_TRUE(check({{"Pragma", "foo, No-Cache"}}));
  // 5.4: with Cache-Control present, Pragma is ignored.
  EXPECT_FALSE(check({{"Cache-Control", "max-stale"}, {"Pragma", "no-cache"}}));
  EXPECT_FALSE(check({{"Pragma", "nocache"}}));
  EXPECT_FALSE(check({}));
}

}  // namespace
}  // namespace cuttle::cache
