#include <gtest/gtest.h>

#include "cache/policy.h"
#include "conf/config.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::kT0;
using testing::object;
using testing::ObjectSpec;

const RefreshRules kNoRules;

int64_t lifetime(testing::Fields fields, ObjectSpec spec = {},
                 const RefreshRules& rules = kNoRules) {
  return freshnessLifetime(*object(fields, spec), rules).lifetime;
}

RefreshRule rule(std::string pattern, int64_t min, int percent, int64_t max,
                 bool override_expire = false) {
  RefreshRule r;
  r.pattern = std::regex(pattern);
  r.min_seconds = min;
  r.percent = percent;
  r.max_seconds = max;
  r.override_expire = override_expire;
  return r;
}

// ---- explicit freshness ---------------------------------------------------------------

TEST(FreshnessLifetime, MaxAge) {
  Freshness f = freshnessLifetime(*object({{"Cache-Control", "max-age=600"}}), kNoRules);
  EXPECT_EQ(f.lifetime, 600);
  EXPECT_FALSE(f.heuristic);
}

TEST(FreshnessLifetime, SMaxAgeBeatsMaxAgeAndExpires) {
  EXPECT_EQ(lifetime({{"Cache-Control", "max-age=600, s-maxage=30"},
                      {"Date", date(kT0)},
                      {"Expires", date(kT0 + 9000)}}),
            30);
}

TEST(FreshnessLifetime, MaxAgeBeatsExpires) {
  EXPECT_EQ(
      lifetime(
          {{"Date", date(kT0)}, {"Expires", date(kT0 + 9000)}, {"Cache-Control", "max-age=5"}}),
      5);
  // Even an invalid Expires is ignored when max-age is present (5.3).
  EXPECT_EQ(lifetime({{"Expires", "0"}, {"Cache-Control", "max-age=5"}}), 5);
}

TEST(FreshnessLifetime, ExpiresMinusDate) {
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 3600)}}), 3600);
  // The response time does not matter when Date is present.
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 3600)}},
                     ObjectSpec{.request_time = kT0 + 100, .response_time = kT0 + 100}),
            3600);
}

TEST(FreshnessLifetime, ExpiresWithoutDateUsesResponseTime) {
  EXPECT_EQ(lifetime({{"Expires", date(kT0 + 3600)}},
                     ObjectSpec{.request_time = kT0 + 590, .response_time = kT0 + 600}),
            3000);
  EXPECT_EQ(lifetime({{"Date", "garbage"}, {"Expires", date(kT0 + 3600)}},
                     ObjectSpec{.request_time = kT0, .response_time = kT0 + 600}),
            3000);
}

TEST(FreshnessLifetime, ExpiresInThePastOrInvalidIsStale) {
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 - 10)}}), 0);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", "0"}}), 0);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", "-1"}}), 0);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", ""}}), 0);
  // An invalid Expires is explicit freshness: no heuristic from Last-Modified.
  Freshness f = freshnessLifetime(
      *object({{"Date", date(kT0)}, {"Expires", "0"}, {"Last-Modified", date(kT0 - 86400)}}),
      kNoRules);
  EXPECT_EQ(f.lifetime, 0);
  EXPECT_FALSE(f.heuristic);
}

TEST(FreshnessLifetime, ExpiresOtherDateFormats) {
  EXPECT_EQ(lifetime({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                      {"Expires", "Sunday, 06-Nov-94 08:50:37 GMT"}}),
            60);
  EXPECT_EQ(lifetime({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                      {"Expires", "Sun Nov  6 08:51:37 1994"}}),
            120);
}

TEST(FreshnessLifetime, ConflictingExpiresIsStaleEqualOnesAreFine) {
  EXPECT_EQ(
      lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 60)}, {"Expires", date(kT0 + 120)}}),
      0);
  EXPECT_EQ(
      lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 60)}, {"Expires", date(kT0 + 60)}}),
      60);
}

TEST(FreshnessLifetime, InvalidMaxAgeIsStaleWithoutHeuristics) {
  Freshness f = freshnessLifetime(*object({{"Cache-Control", "max-age=abc"},
                                           {"Last-Modified", date(kT0 - 86400)},
                                           {"Date", date(kT0)},
                                           {"Expires", date(kT0 + 999)}}),
                                  kNoRules);
  EXPECT_EQ(f.lifetime, 0);
  EXPECT_FALSE(f.heuristic);
  EXPECT_EQ(lifetime({{"Cache-Control", "max-age=10, max-age=20"}}), 0);
}

TEST(FreshnessLifetime, InvalidSMaxAgeIsStaleEvenWithMaxAge) {
  EXPECT_EQ(lifetime({{"Cache-Control", "s-maxage=x, max-age=600"}}), 0);
}

TEST(FreshnessLifetime, HugeMaxAgeClamped) {
  EXPECT_EQ(lifetime({{"Cache-Control", "max-age=99999999999999999999"}}), kDeltaSecondsMax);
}

// ---- heuristics ----------------------------------------------------------------------

TEST(FreshnessLifetime, DefaultHeuristicTenPercentOfLastModifiedAge) {
  Freshness f = freshnessLifetime(
      *object({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 10000)}}), kNoRules);
  EXPECT_EQ(f.lifetime, 1000);
  EXPECT_TRUE(f.heuristic);
}

TEST(FreshnessLifetime, DefaultHeuristicCappedAtOneDay) {
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 864000)}}), 86400);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 864010)}}), 86400);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 863990)}}), 86399);
}

TEST(FreshnessLifetime, DefaultHeuristicNeedsLastModified) {
  Freshness f = freshnessLifetime(*object({{"Date", date(kT0)}}), kNoRules);
  EXPECT_EQ(f.lifetime, 0);
  EXPECT_TRUE(f.heuristic);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", "yesterday"}}), 0);
}

TEST(FreshnessLifetime, HeuristicUsesResponseTimeWithoutDate) {
  EXPECT_EQ(lifetime({{"Last-Modified", date(kT0 - 1000)}},
                     ObjectSpec{.request_time = kT0, .response_time = kT0 + 1000}),
            200);
}

TEST(FreshnessLifetime, LastModifiedInTheFutureGivesNoHeuristic) {
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 + 500)}}), 0);
}

TEST(FreshnessLifetime, HeuristicOnlyForHeuristicallyCacheableOrPublic) {
  const std::string now = date(kT0), modified = date(kT0 - 10000);
  testing::Fields lm = {{"Date", now}, {"Last-Modified", modified}};
  EXPECT_EQ(lifetime(lm, ObjectSpec{.status = 302}), 0);
  EXPECT_EQ(lifetime(lm, ObjectSpec{.status = 404}), 1000);
  EXPECT_EQ(
      lifetime(
          {{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 10000)}, {"Cache-Control", "public"}},
          ObjectSpec{.status = 302}),
      1000);
}

TEST(RefreshRules, FirstMatchingRuleWins) {
  RefreshRules rules;
  rules.rules.push_back(rule("\\.gif$", 0, 50, 100000));
  rules.rules.push_back(rule(".", 0, 20, 100000));
  const std::string now = date(kT0), modified = date(kT0 - 10000);
  testing::Fields lm = {{"Date", now}, {"Last-Modified", modified}};
  EXPECT_EQ(lifetime(lm, ObjectSpec{.url = "http://x/a.gif"}, rules), 5000);
  EXPECT_EQ(lifetime(lm, ObjectSpec{.url = "http://x/a.png"}, rules), 2000);
  EXPECT_EQ(matchRefreshRule(rules, "http://x/a.gif"), &rules.rules[0]);
  EXPECT_EQ(matchRefreshRule(rules, "http://x/a.png"), &rules.rules[1]);
  EXPECT_EQ(matchRefreshRule(RefreshRules{}, "http://x/"), nullptr);
}

TEST(RefreshRules, ClampedToMinAndMax) {
  RefreshRules rules;
  rules.rules.push_back(rule("^http://x/", 600, 10, 1500));
  ObjectSpec spec{.url = "http://x/y"};
  // 10% of 1000 = 100 -> min 600.
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 1000)}}, spec, rules), 600);
  // 10% of 10000 = 1000: inside.
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 10000)}}, spec, rules),
            1000);
  // 10% of 100000 = 10000 -> max 1500.
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 100000)}}, spec, rules),
            1500);
}

TEST(RefreshRules, WithoutLastModifiedTheMinApplies) {
  RefreshRules rules;
  rules.rules.push_back(rule("x", 900, 20, 4320 * 60));
  Freshness f =
      freshnessLifetime(*object({{"Date", date(kT0)}}, ObjectSpec{.url = "http://x/"}), rules);
  EXPECT_EQ(f.lifetime, 900);
  EXPECT_TRUE(f.heuristic);
}

TEST(RefreshRules, RulesDoNotOverrideExplicitFreshness) {
  RefreshRules rules;
  rules.rules.push_back(rule(".", 900, 20, 4320 * 60));
  EXPECT_EQ(lifetime({{"Cache-Control", "max-age=10"}}, {}, rules), 10);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 10)}}, {}, rules), 10);
}

TEST(RefreshRules, OverrideExpireRaisesShorterExplicitLifetimeToMin) {
  RefreshRules rules;
  rules.rules.push_back(rule(".", 900, 20, 4320 * 60, /*override_expire=*/true));
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 10)}}, {}, rules), 900);
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", "0"}}, {}, rules), 900);
  EXPECT_EQ(lifetime({{"Cache-Control", "max-age=10"}}, {}, rules), 900);
  // A longer explicit lifetime stays; s-maxage is never overridden.
  EXPECT_EQ(lifetime({{"Date", date(kT0)}, {"Expires", date(kT0 + 5000)}}, {}, rules), 5000);
  EXPECT_EQ(lifetime({{"Cache-Control", "s-maxage=10"}}, {}, rules), 10);
}

TEST(RefreshRules, FromConfig) {
  std::vector<conf::RefreshPattern> patterns(3);
  patterns[0].regex = "\\.JPG$";
  patterns[0].case_insensitive = true;
  patterns[0].min_minutes = 1;
  patterns[0].percent = 50;
  patterns[0].max_minutes = 10;
  patterns[0].options = {"override-expire", "ignore-reload", "ignore-no-store"};
  patterns[1].regex = "([";  // does not compile: skipped
  patterns[2].regex = ".";
  RefreshRules rules = refreshRulesFromConfig(patterns);
  ASSERT_EQ(rules.rules.size(), 2u);
  EXPECT_EQ(rules.rules[0].min_seconds, 60);
  EXPECT_EQ(rules.rules[0].max_seconds, 600);
  EXPECT_EQ(rules.rules[0].percent, 50);
  EXPECT_TRUE(rules.rules[0].override_expire);
  EXPECT_TRUE(rules.rules[0].ignore_reload);
  EXPECT_FALSE(rules.rules[1].override_expire);
  EXPECT_EQ(rules.rules[1].max_seconds, 4320 * 60);
  EXPECT_EQ(matchRefreshRule(rules, "http://x/a.jpg"), &rules.rules[0]);
  EXPECT_EQ(matchRefreshRule(rules, "http://x/a.png"), &rules.rules[1]);
}

// ---- current_age ----------------------------------------------------------------------

int64_t age(testing::Fields fields, int64_t request_time, int64_t response_time, int64_t now) {
  return currentAge(
      *object(fields, ObjectSpec{.request_time = request_time, .response_time = response_time}),
      now);
}

TEST(CurrentAge, FreshFromOriginIsZeroAtArrival) {
  EXPECT_EQ(age({{"Date", date(kT0)}}, kT0, kT0, kT0), 0);
}

TEST(CurrentAge, ResidentTimeAdds) {
  EXPECT_EQ(age({{"Date", date(kT0)}}, kT0, kT0, kT0 + 42), 42);
}

TEST(CurrentAge, ApparentAgeFromDate) {
  // Date 100 s before the response arrived: apparent_age = 100.
  EXPECT_EQ(age({{"Date", date(kT0 - 100)}}, kT0, kT0, kT0 + 5), 105);
}

TEST(CurrentAge, AgeHeaderPlusResponseDelay) {
  // corrected_age_value = 30 + (response_time - request_time = 2) = 32 > apparent 0.
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "30"}}, kT0 - 2, kT0, kT0 + 10), 42);
}

TEST(CurrentAge, LargerOfApparentAndCorrected) {
  // apparent 50 > corrected 10 + 1.
  EXPECT_EQ(age({{"Date", date(kT0 - 50)}, {"Age", "10"}}, kT0 - 1, kT0, kT0), 50);
  // corrected 60 + 1 > apparent 50.
  EXPECT_EQ(age({{"Date", date(kT0 - 50)}, {"Age", "60"}}, kT0 - 1, kT0, kT0), 61);
}

TEST(CurrentAge, DateInTheFutureClockSkew) {
  // The origin's clock is ahead: apparent_age is 0, not negative.
  EXPECT_EQ(age({{"Date", date(kT0 + 3600)}}, kT0, kT0, kT0 + 7), 7);
}

TEST(CurrentAge, MissingOrInvalidDateUsesResponseTime) {
  EXPECT_EQ(age({}, kT0 - 3, kT0, kT0 + 10), 13);
  EXPECT_EQ(age({{"Date", "not a date"}}, kT0, kT0, kT0 + 10), 10);
}

TEST(CurrentAge, InvalidAgeIgnored) {
  for (std::string_view v : {"abc", "-5", "1.5", "\"10\"", "", "10, 20"}) {
    EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", v}}, kT0, kT0, kT0 + 1), 1) << v;
  }
}

TEST(CurrentAge, HugeAgeClamped) {
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "99999999999999999999999"}}, kT0, kT0, kT0 + 100),
            kDeltaSecondsMax);
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "2147483647"}}, kT0, kT0, kT0 + 100),
            kDeltaSecondsMax);
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "2147483000"}}, kT0, kT0, kT0 + 100), 2147483100);
}

TEST(CurrentAge, NowBeforeResponseTimeCountsZeroResidentTime) {
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "5"}}, kT0, kT0, kT0 - 100), 5);
}

TEST(CurrentAge, ResponseBeforeRequestCountsZeroDelay) {
  EXPECT_EQ(age({{"Date", date(kT0)}, {"Age", "5"}}, kT0 + 10, kT0, kT0), 5);
}

TEST(CurrentAge, UpstreamAgeSurvivesStoredFields) {
  // The Age received from upstream is stored (storedFields) and counted (4.2.3).
  HeaderList received = testing::headers({{"Date", date(kT0)}, {"Age", "30"},
                                          {"Content-Length", "3"}, {"Connection", "close"}});
  auto o = testing::objectFromLines(storedFields(received),
                                    ObjectSpec{.request_time = kT0, .response_time = kT0});
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(currentAge(*o, kT0 + 5), 35);
}

TEST(CurrentAge, VeryOldDateClamped) {
  EXPECT_EQ(age({{"Date", "Mon, 01 Jan 1900 00:00:00 GMT"}}, kT0, kT0, kT0), kDeltaSecondsMax);
}

}  // namespace
}  // namespace cuttle::cache
