#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::headers;
using testing::kT0;

struct Case {
  Method method = Method::kGet;
  testing::Fields request = {};
  int status = 200;
  testing::Fields response = {};
  std::optional<uint64_t> length = std::nullopt;
  StoreLimits limits = {};
};

NotStored check(const Case& c) {
  HeaderList req = headers(c.request);
  HeaderList res = headers(c.response);
  return checkStorable(c.method, req, c.status, res, c.length, c.limits);
}

NotStored check(testing::Fields response, int status = 200) {
  return check(Case{.status = status, .response = response});
}

TEST(StorableCheck, PlainHeuristicallyCacheable200) {
  EXPECT_EQ(check({{"Content-Type", "text/plain"}}), NotStored::kStored);
}

TEST(StorableCheck, OnlyGetCreatesEntries) {
  for (Method m : {Method::kHead, Method::kPost, Method::kPut, Method::kDelete, Method::kOptions,
                   Method::kOther}) {
    EXPECT_EQ(check(Case{.method = m, .response = {{"Cache-Control", "max-age=60"}}}),
              NotStored::kMethod);
  }
}

TEST(StorableCheck, RequestNoStore) {
  EXPECT_EQ(check(Case{.request = {{"Cache-Control", "no-store"}},
                       .response = {{"Cache-Control", "max-age=60"}}}),
            NotStored::kRequestNoStore);
}

TEST(StorableCheck, PartialContentNeverStored) {
  EXPECT_EQ(check({{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/10"}}, 206),
            NotStored::kPartialContent);
}

TEST(StorableCheck, HeuristicallyCacheableStatusesWithoutExplicitFreshness) {
  for (int status : {200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501}) {
    EXPECT_EQ(check({{"Last-Modified", date(kT0 - 100)}}, status), NotStored::kStored) << status;
  }
}

TEST(StorableCheck, OtherUnderstoodStatusesNeedExplicitFreshness) {
  for (int status : {302, 303, 307, 400, 401, 403, 451, 500, 502, 503, 504}) {
    EXPECT_EQ(check({{"Last-Modified", date(kT0 - 100)}}, status), NotStored::kStatusNotCacheable)
        << status;
    EXPECT_EQ(check({{"Cache-Control", "max-age=60"}}, status), NotStored::kStored) << status;
    EXPECT_EQ(check({{"Expires", date(kT0 + 60)}}, status), NotStored::kStored) << status;
    EXPECT_EQ(check({{"Cache-Control", "s-maxage=60"}}, status), NotStored::kStored) << status;
    EXPECT_EQ(check({{"Cache-Control", "public"}}, status), NotStored::kStored) << status;
  }
}

TEST(StorableCheck, UnrecognisedOrExcludedStatusesNeverStored) {
  // RFC 9110 15: an unrecognised status is never cached, explicit freshness or not.
  for (int status : {100, 101, 201, 202, 299, 304, 305, 407, 412, 416, 429, 471, 599}) {
    EXPECT_EQ(check({{"Cache-Control", "max-age=60, public"}}, status),
              NotStored::kStatusNotCacheable)
        << status;
  }
}

TEST(StorableCheck, ResponseNoStore) {
  EXPECT_EQ(check({{"Cache-Control", "max-age=60, no-store"}}), NotStored::kResponseNoStore);
  EXPECT_EQ(check({{"Cache-Control", "NO-STORE"}}), NotStored::kResponseNoStore);
}

TEST(StorableCheck, MustUnderstandWithUnderstoodStatusIgnoresNoStore) {
  EXPECT_EQ(check({{"Cache-Control", "must-understand, no-store, max-age=60"}}),
            NotStored::kStored);
}

TEST(StorableCheck, MustUnderstandWithStatusNotUnderstood) {
  EXPECT_EQ(check({{"Cache-Control", "must-understand, no-store, max-age=60"}}, 299),
            NotStored::kMustUnderstand);
  EXPECT_EQ(check({{"Cache-Control", "must-understand, max-age=60"}}, 416),
            NotStored::kMustUnderstand);
}

TEST(StorableCheck, PrivateUnqualifiedNeverStoredQualifiedIs) {
  EXPECT_EQ(check({{"Cache-Control", "private, max-age=60"}}), NotStored::kPrivate);
  EXPECT_EQ(check({{"Cache-Control", "private=\"Set-Cookie\", max-age=60"}}), NotStored::kStored);
}

TEST(StorableCheck, AuthorizationNeedsExplicitPermission) {
  Case c{.request = {{"Authorization", "Basic Zm9vOmJhcg=="}},
         .response = {{"Cache-Control", "max-age=60"}}};
  EXPECT_EQ(check(c), NotStored::kAuthorization);
  for (std::string_view cc : {"max-age=60, public", "s-maxage=60", "max-age=60, must-revalidate"}) {
    Case ok{.request = {{"Authorization", "Basic Zm9vOmJhcg=="}},
            .response = {{"Cache-Control", cc}, {"ETag", "\"x\""}}};
    EXPECT_EQ(check(ok), NotStored::kStored) << cc;
  }
  // proxy-revalidate is not one of the directives of 3.5.
  Case proxy{.request = {{"Authorization", "Bearer t"}},
             .response = {{"Cache-Control", "max-age=60, proxy-revalidate"}}};
  EXPECT_EQ(check(proxy), NotStored::kAuthorization);
}

TEST(StorableCheck, VaryStar) {
  EXPECT_EQ(check({{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding, *"}}),
            NotStored::kVaryStar);
  EXPECT_EQ(check({{"Cache-Control", "max-age=60"}, {"Vary", "Accept"}, {"Vary", "*"}}),
            NotStored::kVaryStar);
  EXPECT_EQ(check({{"Cache-Control", "max-age=60"}, {"Vary", "Accept"}}), NotStored::kStored);
}

TEST(StorableCheck, ZeroExplicitFreshnessWithoutValidator) {
  for (std::string_view cc :
       {"max-age=0", "s-maxage=0", "max-age=abc", "no-cache", "no-cache, max-age=600"}) {
    EXPECT_EQ(check({{"Cache-Control", cc}}), NotStored::kNoFreshnessNoValidator) << cc;
    EXPECT_EQ(check({{"Cache-Control", cc}, {"ETag", "\"v1\""}}), NotStored::kStored) << cc;
    EXPECT_EQ(check({{"Cache-Control", cc}, {"Last-Modified", date(kT0 - 10)}}), NotStored::kStored)
        << cc;
  }
}

TEST(StorableCheck, InvalidOrPastExpiresWithoutValidator) {
  EXPECT_EQ(check({{"Expires", "0"}}), NotStored::kNoFreshnessNoValidator);
  EXPECT_EQ(check({{"Date", date(kT0)}, {"Expires", date(kT0)}}),
            NotStored::kNoFreshnessNoValidator);
  EXPECT_EQ(check({{"Date", date(kT0)}, {"Expires", date(kT0 + 1)}}), NotStored::kStored);
  // Without Date the response time decides later: stored.
  EXPECT_EQ(check({{"Expires", date(kT0)}}), NotStored::kStored);
  // max-age overrides Expires (5.3).
  EXPECT_EQ(check({{"Expires", "0"}, {"Cache-Control", "max-age=60"}}), NotStored::kStored);
}

TEST(StorableCheck, StaleExtensionsGiveZeroFreshnessAUse) {
  EXPECT_EQ(check({{"Cache-Control", "max-age=0, stale-while-revalidate=30"}}), NotStored::kStored);
  EXPECT_EQ(check({{"Cache-Control", "max-age=0, stale-if-error=300"}}), NotStored::kStored);
}

TEST(StorableCheck, NoCacheQualifiedIsNotAlwaysValidate) {
  EXPECT_EQ(check({{"Cache-Control", "no-cache=\"Set-Cookie\", max-age=60"}}), NotStored::kStored);
}

TEST(StorableCheck, SizeLimits) {
  StoreLimits limits{.max_object_size = 1000, .min_object_size = 10};
  auto sized = [&](std::optional<uint64_t> n) {
    return check(
        Case{.response = {{"Cache-Control", "max-age=60"}}, .length = n, .limits = limits});
  };
  EXPECT_EQ(sized(1000), NotStored::kStored);
  EXPECT_EQ(sized(1001), NotStored::kTooLarge);
  EXPECT_EQ(sized(10), NotStored::kStored);
  EXPECT_EQ(sized(9), NotStored::kTooSmall);
  EXPECT_EQ(sized(std::nullopt), NotStored::kStored);  // checked again by the caller
}

TEST(StorableCheck, ReasonOrderFirstFailingRuleWins) {
  // no-store and private and Vary: * together: no-store is reported.
  EXPECT_EQ(check({{"Cache-Control", "no-store, private"}, {"Vary", "*"}}),
            NotStored::kResponseNoStore);
  // A request no-store beats everything about the response.
  EXPECT_EQ(check(Case{.request = {{"Cache-Control", "no-store"}},
                       .status = 206,
                       .response = {{"Cache-Control", "private"}}}),
            NotStored::kRequestNoStore);
}

TEST(StorableCheck, HeuristicallyCacheableWithoutLastModifiedIsStored) {
  // Refresh rules (not an argument) may give it a freshness: not rejected here.
  EXPECT_EQ(check({}), NotStored::kStored);
}

TEST(StorableCheck, Names) {
  EXPECT_EQ(notStoredName(NotStored::kStored), "stored");
  EXPECT_EQ(notStoredName(NotStored::kMethod), "method");
  EXPECT_EQ(notStoredName(NotStored::kStatusNotCacheable), "status");
  EXPECT_EQ(notStoredName(NotStored::kPartialContent), "partial-content");
  EXPECT_EQ(notStoredName(NotStored::kRequestNoStore), "request-no-store");
  EXPECT_EQ(notStoredName(NotStored::kResponseNoStore), "no-store");
  EXPECT_EQ(notStoredName(NotStored::kPrivate), "private");
  EXPECT_EQ(notStoredName(NotStored::kAuthorization), "authorization");
  EXPECT_EQ(notStoredName(NotStored::kVaryStar), "vary-star");
  EXPECT_EQ(notStoredName(NotStored::kMustUnderstand), "must-understand");
  EXPECT_EQ(notStoredName(NotStored::kNoFreshnessNoValidator), "no-freshness-no-validator");
  EXPECT_EQ(notStoredName(NotStored::kTooLarge), "too-large");
  EXPECT_EQ(notStoredName(NotStored::kTooSmall), "too-small");
  EXPECT_EQ(notStoredName(NotStored::kIncomplete), "incomplete");
  EXPECT_EQ(notStoredName(NotStored::kConfigDenied), "config-denied");
}

TEST(StorableCheck, StatusTables) {
  for (int s = 100; s < 600; ++s) {
    const bool heuristic = s == 200 || s == 203 || s == 204 || s == 206 || s == 300 || s == 301 ||
                           s == 308 || s == 404 || s == 405 || s == 410 || s == 414 || s == 501;
    EXPECT_EQ(isHeuristicallyCacheable(s), heuristic) << s;
    // Every heuristically cacheable status except 206 is understood.
    if (heuristic && s != 206) {
      EXPECT_TRUE(isUnderstoodStatus(s)) << s;
    }
  }
  EXPECT_FALSE(isUnderstoodStatus(206));
  EXPECT_FALSE(isUnderstoodStatus(304));
}

TEST(StoredFields, DropsHopByHopFramingAndConnectionNamed) {
  HeaderList h = headers({{"Date", "d"},
                          {"Connection", "X-Hop, close"},
                          {"Keep-Alive", "timeout=5"},
                          {"Transfer-Encoding", "chunked"},
                          {"Content-Length", "10"},
                          {"X-Hop", "1"},
                          {"x-hop", "2"},
                          {"Proxy-Connection", "keep-alive"},
                          {"Upgrade", "h2c"},
                          {"Trailer", "X-T"},
                          {"Proxy-Authenticate", "Basic"},
                          {"Set-Cookie", "a=1"},
                          {"Set-Cookie", "b=2"},
                          {"Age", "12"},
                          {"X-Keep", "v"}});
  EXPECT_EQ(storedFields(h),
            "Date: d\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nAge: 12\r\nX-Keep: v\r\n");
}

TEST(StoredFields, DropsFieldsNamedByQualifiedNoCacheAndPrivate) {
  HeaderList h = headers({{"Cache-Control", "no-cache=\"set-cookie\", private=\"X-User\""},
                          {"Set-Cookie", "a=1"},
                          {"X-User", "bob"},
                          {"X-Other", "ok"}});
  EXPECT_EQ(storedFields(h),
            "Cache-Control: no-cache=\"set-cookie\", private=\"X-User\"\r\nX-Other: ok\r\n");
}

TEST(StoredFields, KeepsOrderSpellingAndDuplicates) {
  HeaderList h = headers({{"content-TYPE", "text/html"}, {"Vary", "A"}, {"Vary", "B"}});
  EXPECT_EQ(storedFields(h), "content-TYPE: text/html\r\nVary: A\r\nVary: B\r\n");
  // The result parses back as a StoredObject.
  auto o = testing::objectFromLines(storedFields(h));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->headers().size(), 3u);
}

}  // namespace
}  // namespace cuttle::cache
