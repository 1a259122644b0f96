#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::kT0;
using testing::object;
using testing::ObjectSpec;
using testing::request;

// Stored: strong ETag "v1", Last-Modified kT0 - 1000, Date kT0.
std::shared_ptr<StoredObject> stored(int status = 200) {
  return object({{"Date", date(kT0)}, {"ETag", "\"v1\""}, {"Last-Modified", date(kT0 - 1000)}},
                ObjectSpec{.status = status});
}

Precondition eval(testing::Fields fields, Method method = Method::kGet,
                  const StoredObject* o = nullptr) {
  auto def = stored();
  return evaluatePreconditions(request(method, fields), o ? *o : *def);
}

TEST(Preconditions, NoneProceeds) { EXPECT_EQ(eval({}), Precondition::kProceed); }

TEST(Preconditions, IfNoneMatchWeakComparison) {
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "W/\"v1\""}}), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "\"x\", W/\"v1\""}}), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "\"x\""}, {"If-None-Match", "\"v1\""}}),
            Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "\"v2\""}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-None-Match", "v1"}}), Precondition::kProceed);  // unquoted != "v1"
}

TEST(Preconditions, IfNoneMatchWeakStoredETag) {
  auto weak = object({{"ETag", "W/\"v1\""}});
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}, Method::kGet, weak.get()),
            Precondition::kNotModified);
}

TEST(Preconditions, IfNoneMatchStar) {
  EXPECT_EQ(eval({{"If-None-Match", "*"}}), Precondition::kNotModified);
  auto no_etag = object({{"Date", date(kT0)}});
  EXPECT_EQ(eval({{"If-None-Match", "*"}}, Method::kGet, no_etag.get()),
            Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}, Method::kGet, no_etag.get()),
            Precondition::kProceed);
}

TEST(Preconditions, IfNoneMatchOtherMethodsFail) {
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}, Method::kHead), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "*"}}, Method::kPut), Precondition::kFailed);
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}, Method::kPost), Precondition::kFailed);
}

TEST(Preconditions, IfModifiedSince) {
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 - 1000)}}), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 - 999)}}), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 - 1001)}}), Precondition::kProceed);
}

TEST(Preconditions, IfModifiedSinceIgnoredCases) {
  // Invalid date, several fields, other methods, or If-None-Match present.
  EXPECT_EQ(eval({{"If-Modified-Since", "yesterday"}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}, {"If-Modified-Since", date(kT0)}}),
            Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}}, Method::kPost), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}}, Method::kHead), Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-None-Match", "\"other\""}, {"If-Modified-Since", date(kT0)}}),
            Precondition::kProceed);
}

TEST(Preconditions, IfModifiedSinceWithoutLastModifiedUsesDateThenResponseTime) {
  auto with_date = object({{"Date", date(kT0)}});
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}}, Method::kGet, with_date.get()),
            Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 - 1)}}, Method::kGet, with_date.get()),
            Precondition::kProceed);
  auto bare = object({}, ObjectSpec{.request_time = kT0 + 50, .response_time = kT0 + 50});
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 + 50)}}, Method::kGet, bare.get()),
            Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0 + 49)}}, Method::kGet, bare.get()),
            Precondition::kProceed);
}

TEST(Preconditions, IfMatchStrongComparison) {
  EXPECT_EQ(eval({{"If-Match", "\"v1\""}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Match", "\"x\", \"v1\""}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Match", "*"}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Match", "W/\"v1\""}}), Precondition::kFailed);
  EXPECT_EQ(eval({{"If-Match", "\"v2\""}}), Precondition::kFailed);
  auto weak = object({{"ETag", "W/\"v1\""}});
  EXPECT_EQ(eval({{"If-Match", "W/\"v1\""}}, Method::kGet, weak.get()), Precondition::kFailed);
  auto none = object({});
  EXPECT_EQ(eval({{"If-Match", "\"v1\""}}, Method::kGet, none.get()), Precondition::kFailed);
}

TEST(Preconditions, IfUnmodifiedSince) {
  EXPECT_EQ(eval({{"If-Unmodified-Since", date(kT0 - 1000)}}), Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Unmodified-Since", date(kT0 - 1001)}}), Precondition::kFailed);
  EXPECT_EQ(eval({{"If-Unmodified-Since", "bad"}}), Precondition::kProceed);
  // Ignored when If-Match is present (it passes here).
  EXPECT_EQ(eval({{"If-Match", "\"v1\""}, {"If-Unmodified-Since", date(kT0 - 5000)}}),
            Precondition::kProceed);
  // Ignored without a Last-Modified.
  auto no_lm = object({{"Date", date(kT0)}});
  EXPECT_EQ(eval({{"If-Unmodified-Since", date(kT0 - 5000)}}, Method::kGet, no_lm.get()),
            Precondition::kProceed);
}

TEST(Preconditions, OrderIfMatchBeforeIfNoneMatch) {
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}, {"If-Match", "\"nope\""}}), Precondition::kFailed);
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}, {"If-Match", "\"v1\""}}),
            Precondition::kNotModified);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}, {"If-Unmodified-Since", date(kT0 - 2000)}}),
            Precondition::kFailed);
}

TEST(Preconditions, IgnoredForNon2xxStoredResponses) {
  auto not_found = stored(404);
  EXPECT_EQ(eval({{"If-None-Match", "\"v1\""}}, Method::kGet, not_found.get()),
            Precondition::kProceed);
  EXPECT_EQ(eval({{"If-Match", "\"zzz\""}}, Method::kGet, not_found.get()), Precondition::kProceed);
  auto redirect = stored(301);
  EXPECT_EQ(eval({{"If-Modified-Since", date(kT0)}}, Method::kGet, redirect.get()),
            Precondition::kProceed);
}

TEST(Preconditions, IfRangeLeftToRanges) {
  EXPECT_EQ(eval({{"If-Range", "\"other\""}}), Precondition::kProceed);
}

}  // namespace
}  // namespace cuttle::cache
