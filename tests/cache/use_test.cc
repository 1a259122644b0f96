#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::get;
using testing::kT0;
using testing::object;

const RefreshRules kNoRules;

// A response stored at kT0 (Date = kT0, no Age): its current age at kT0 + n is n.
std::shared_ptr<StoredObject> stored(std::string_view cache_control, bool etag = true) {
  const std::string d = date(kT0);
  if (etag) return object({{"Date", d}, {"Cache-Control", cache_control}, {"ETag", "\"v1\""}});
  return object({{"Date", d}, {"Cache-Control", cache_control}});
}

UseDecision decide(const StoredObject& o, int64_t age, testing::Fields request = {},
                   const RefreshRules& rules = kNoRules) {
  return decideUse(get(request), o, kT0 + age, rules);
}

TEST(DecideUse, Fresh) {
  auto o = stored("max-age=100");
  UseDecision d = decide(*o, 50);
  EXPECT_EQ(d.use, Use::kFresh);
  EXPECT_EQ(d.age, 50);
  EXPECT_EQ(d.freshness.lifetime, 100);
  EXPECT_FALSE(d.freshness.heuristic);
  EXPECT_FALSE(d.stale);
  EXPECT_EQ(d.detail, "fresh");
}

TEST(DecideUse, BoundaryAgeEqualToLifetimeIsStale) {
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 99).use, Use::kFresh);
  UseDecision d = decide(*o, 100);
  EXPECT_EQ(d.use, Use::kMustValidate);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.detail, "stale");
}

TEST(DecideUse, StaleWithoutValidatorIsUnusable) {
  auto o = stored("max-age=100", /*etag=*/false);
  UseDecision d = decide(*o, 101);
  EXPECT_EQ(d.use, Use::kUnusable);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.detail, "stale, no validator");
}

TEST(DecideUse, LastModifiedIsAValidator) {
  auto o = object(
      {{"Date", date(kT0)}, {"Cache-Control", "max-age=10"}, {"Last-Modified", date(kT0 - 5)}});
  EXPECT_EQ(decide(*o, 20).use, Use::kMustValidate);
}

TEST(DecideUse, MaxAgeZeroIsImmediatelyStale) {
  auto o = stored("max-age=0");
  EXPECT_EQ(decide(*o, 0).use, Use::kMustValidate);
}

TEST(DecideUse, RequestNoCache) {
  auto o = stored("max-age=100");
  UseDecision d = decide(*o, 1, {{"Cache-Control", "no-cache"}});
  EXPECT_EQ(d.use, Use::kMustValidate);
  EXPECT_EQ(d.detail, "request no-cache");
  EXPECT_FALSE(d.stale);
  // Even without a validator: validation is then a plain fetch.
  EXPECT_EQ(decide(*stored("max-age=100", false), 1, {{"Cache-Control", "no-cache"}}).use,
            Use::kMustValidate);
}

TEST(DecideUse, PragmaNoCacheOnlyWithoutCacheControl) {
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 1, {{"Pragma", "no-cache"}}).detail, "request no-cache");
  EXPECT_EQ(decide(*o, 1, {{"Pragma", "no-cache"}, {"Cache-Control", "max-stale=5"}}).use,
            Use::kFresh);
}

TEST(DecideUse, IgnoreReloadRuleIgnoresRequestNoCache) {
  RefreshRules rules;
  RefreshRule r;
  r.pattern = std::regex("example\\.com");
  r.ignore_reload = true;
  rules.rules.push_back(r);
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 1, {{"Cache-Control", "no-cache"}}, rules).use, Use::kFresh);
  EXPECT_EQ(decide(*o, 1, {{"Pragma", "no-cache"}}, rules).use, Use::kFresh);
}

TEST(DecideUse, ResponseNoCache) {
  UseDecision d = decide(*stored("no-cache, max-age=100"), 1);
  EXPECT_EQ(d.use, Use::kMustValidate);
  EXPECT_EQ(d.detail, "response no-cache");
  // The qualified form only withholds fields (not stored): the response is usable.
  EXPECT_EQ(decide(*stored("no-cache=\"Set-Cookie\", max-age=100"), 1).use, Use::kFresh);
}

TEST(DecideUse, RequestMaxAge) {
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 50, {{"Cache-Control", "max-age=50"}}).use, Use::kFresh);
  UseDecision d = decide(*o, 50, {{"Cache-Control", "max-age=49"}});
  EXPECT_EQ(d.use, Use::kMustValidate);
  EXPECT_EQ(d.detail, "max-age exceeded");
  EXPECT_EQ(decide(*o, 0, {{"Cache-Control", "max-age=0"}}).use, Use::kFresh);
  EXPECT_EQ(decide(*o, 1, {{"Cache-Control", "max-age=0"}}).use, Use::kMustValidate);
  EXPECT_EQ(decide(*o, 0, {{"Cache-Control", "max-age=zero"}}).detail, "max-age exceeded");
}

TEST(DecideUse, RequestMaxAgeWithMaxStale) {
  auto o = stored("max-age=100");
  UseDecision d = decide(*o, 110, {{"Cache-Control", "max-age=1000, max-stale=20"}});
  EXPECT_EQ(d.use, Use::kFresh);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.detail, "max-stale");
  EXPECT_EQ(decide(*o, 110, {{"Cache-Control", "max-age=105, max-stale=20"}}).detail,
            "max-age exceeded");
}

TEST(DecideUse, MinFresh) {
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 50, {{"Cache-Control", "min-fresh=50"}}).use, Use::kFresh);
  UseDecision d = decide(*o, 50, {{"Cache-Control", "min-fresh=51"}});
  EXPECT_EQ(d.use, Use::kMustValidate);
  EXPECT_EQ(d.detail, "min-fresh");
  EXPECT_EQ(decide(*o, 0, {{"Cache-Control", "min-fresh=0"}}).use, Use::kFresh);
}

TEST(DecideUse, MaxStaleAny) {
  UseDecision d = decide(*stored("max-age=100"), 1000000, {{"Cache-Control", "max-stale"}});
  EXPECT_EQ(d.use, Use::kFresh);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.age, 1000000);
}

TEST(DecideUse, MaxStaleValueBoundary) {
  auto o = stored("max-age=100");
  EXPECT_EQ(decide(*o, 110, {{"Cache-Control", "max-stale=10"}}).use, Use::kFresh);
  EXPECT_EQ(decide(*o, 111, {{"Cache-Control", "max-stale=10"}}).use, Use::kMustValidate);
  EXPECT_EQ(decide(*stored("max-age=100", false), 111, {{"Cache-Control", "max-stale=10"}}).use,
            Use::kUnusable);
}

TEST(DecideUse, RevalidationDirectivesForbidServingStale) {
  for (auto [cc, name] : {std::pair{"max-age=100, must-revalidate", "must-revalidate"},
                          std::pair{"max-age=100, proxy-revalidate", "proxy-revalidate"},
                          std::pair{"s-maxage=100", "s-maxage"},
                          std::pair{"s-maxage=100, max-age=9999", "s-maxage"}}) {
    auto o = stored(cc);
    EXPECT_EQ(decide(*o, 50).use, Use::kFresh) << cc;
    UseDecision d = decide(*o, 101, {{"Cache-Control", "max-stale"}});
    EXPECT_EQ(d.use, Use::kMustValidate) << cc;
    EXPECT_EQ(d.detail, name) << cc;
    // Even without a validator: never served stale.
    EXPECT_EQ(decide(*stored(cc, false), 101).use, Use::kMustValidate) << cc;
  }
}

TEST(DecideUse, StaleWhileRevalidateWindow) {
  auto o = stored("max-age=100, stale-while-revalidate=50");
  EXPECT_EQ(decide(*o, 99).use, Use::kFresh);
  UseDecision d = decide(*o, 150);
  EXPECT_EQ(d.use, Use::kStaleWhileRevalidate);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.detail, "stale-while-revalidate");
  EXPECT_EQ(decide(*o, 100).use, Use::kStaleWhileRevalidate);
  EXPECT_EQ(decide(*o, 151).use, Use::kMustValidate);
}

TEST(DecideUse, StaleWhileRevalidateYieldsToStricterRules) {
  EXPECT_EQ(decide(*stored("max-age=100, stale-while-revalidate=50, must-revalidate"), 120).use,
            Use::kMustValidate);
  EXPECT_EQ(decide(*stored("s-maxage=100, stale-while-revalidate=50"), 120).use,
            Use::kMustValidate);
  auto o = stored("max-age=100, stale-while-revalidate=50");
  EXPECT_EQ(decide(*o, 120, {{"Cache-Control", "no-cache"}}).use, Use::kMustValidate);
  EXPECT_EQ(decide(*o, 120, {{"Cache-Control", "max-age=110"}}).use, Use::kMustValidate);
  EXPECT_EQ(decide(*o, 120, {{"Cache-Control", "min-fresh=1"}}).use, Use::kMustValidate);
}

TEST(DecideUse, StaleWhileRevalidateWorksWithoutValidator) {
  EXPECT_EQ(decide(*stored("max-age=10, stale-while-revalidate=50", false), 30).use,
            Use::kStaleWhileRevalidate);
}

TEST(DecideUse, HeuristicFreshness) {
  auto o = object({{"Date", date(kT0)}, {"Last-Modified", date(kT0 - 10000)}});
  UseDecision d = decide(*o, 999);
  EXPECT_EQ(d.use, Use::kFresh);
  EXPECT_TRUE(d.freshness.heuristic);
  EXPECT_EQ(d.freshness.lifetime, 1000);
  EXPECT_EQ(decide(*o, 1000).use, Use::kMustValidate);
}

TEST(DecideUse, AgeIncludesUpstreamAge) {
  auto o = object(
      {{"Date", date(kT0)}, {"Age", "60"}, {"Cache-Control", "max-age=100"}, {"ETag", "\"e\""}});
  UseDecision d = decide(*o, 30);
  EXPECT_EQ(d.age, 90);
  EXPECT_EQ(d.use, Use::kFresh);
  EXPECT_EQ(decide(*o, 40).use, Use::kMustValidate);
}

TEST(DecideUse, ClockSkewDateInFuture) {
  // Origin clock one hour ahead: apparent age 0, the response is still fresh.
  auto o = object({{"Date", date(kT0 + 3600)}, {"Cache-Control", "max-age=100"}});
  EXPECT_EQ(decide(*o, 50).use, Use::kFresh);
  EXPECT_EQ(decide(*o, 50).age, 50);
}

// ---- stale-if-error -------------------------------------------------------------------

bool onError(const StoredObject& o, int64_t age, testing::Fields request = {}) {
  return mayServeStaleOnError(get(request), o, kT0 + age, kNoRules);
}

TEST(StaleOnError, ResponseAllowanceBoundary) {
  auto o = stored("max-age=100, stale-if-error=60");
  EXPECT_TRUE(onError(*o, 50));   // fresh
  EXPECT_TRUE(onError(*o, 160));  // exactly 60 s stale
  EXPECT_FALSE(onError(*o, 161));
}

TEST(StaleOnError, RequestAllowance) {
  auto o = stored("max-age=100, stale-if-error=10");
  EXPECT_TRUE(onError(*o, 150, {{"Cache-Control", "stale-if-error=50"}}));
  EXPECT_FALSE(onError(*o, 151, {{"Cache-Control", "stale-if-error=50"}}));
  auto plain = stored("max-age=100");
  EXPECT_TRUE(onError(*plain, 130, {{"Cache-Control", "stale-if-error=30"}}));
}

TEST(StaleOnError, NeverWithoutPermission) {
  EXPECT_FALSE(onError(*stored("max-age=100"), 101));
  EXPECT_FALSE(onError(*stored("max-age=100"), 10));
}

TEST(StaleOnError, ForbiddenByRevalidationDirectives) {
  for (std::string_view cc :
       {"max-age=100, stale-if-error=999, must-revalidate",
        "max-age=100, stale-if-error=999, proxy-revalidate", "s-maxage=100, stale-if-error=999",
        "max-age=100, stale-if-error=999, no-cache"}) {
    EXPECT_FALSE(onError(*stored(cc), 120)) << cc;
    EXPECT_FALSE(onError(*stored(cc), 120, {{"Cache-Control", "stale-if-error=999"}})) << cc;
  }
}

}  // namespace
}  // namespace cuttle::cache
