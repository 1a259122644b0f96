#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::headers;
using testing::kT0;
using testing::object;

std::string validators(const StoredObject& o) {
  std::string out;
  appendValidators(o, out);
  return out;
}

TEST(Validators, ETagAndLastModified) {
  const std::string lm = date(kT0 - 100);
  auto o = object({{"ETag", "\"abc\""}, {"Last-Modified", lm}, {"Date", date(kT0)}});
  EXPECT_EQ(validators(*o), "If-None-Match: \"abc\"\r\nIf-Modified-Since: " + lm + "\r\n");
}

TEST(Validators, WeakETagKeepsPrefix) {
  auto o = object({{"ETag", "W/\"abc\""}});
  EXPECT_EQ(validators(*o), "If-None-Match: W/\"abc\"\r\n");
}

TEST(Validators, LastModifiedSentExactlyAsReceived) {
  // An RFC 850 date is valid; servers comparing text need it unchanged.
  auto o = object({{"Last-Modified", "Sunday, 06-Nov-94 08:49:37 GMT"}});
  EXPECT_EQ(validators(*o), "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n");
}

TEST(Validators, DateFallbackOnlyWithoutAnyValidator) {
  const std::string d = date(kT0);
  EXPECT_EQ(validators(*object({{"Date", d}})), "If-Modified-Since: " + d + "\r\n");
  EXPECT_EQ(validators(*object({{"Date", d}, {"ETag", "\"e\""}})), "If-None-Match: \"e\"\r\n");
  EXPECT_EQ(validators(*object({{"Date", "bogus"}})), "");
  EXPECT_EQ(validators(*object({})), "");
}

TEST(Validators, InvalidLastModifiedFallsBackToDate) {
  const std::string d = date(kT0);
  EXPECT_EQ(validators(*object({{"Date", d}, {"Last-Modified", "bogus"}})),
            "If-Modified-Since: " + d + "\r\n");
}

TEST(Validators, SeveralVariantsAllETagsNoDate) {
  auto a = object({{"ETag", "\"a\""}, {"Last-Modified", date(kT0)}});
  auto b = object({{"ETag", "W/\"b\""}});
  auto c = object({{"ETag", "\"a\""}});
  auto d = object({{"Last-Modified", date(kT0)}});
  std::string out = "X: y\r\n";
  appendValidators({a.get(), b.get(), c.get(), d.get()}, out);
  EXPECT_EQ(out, "X: y\r\nIf-None-Match: \"a\", W/\"b\"\r\n");
  std::string none;
  appendValidators(std::vector<const StoredObject*>{}, none);
  EXPECT_EQ(none, "");
}

TEST(Validators, HasValidator) {
  EXPECT_TRUE(hasValidator(headers({{"ETag", "\"x\""}})));
  EXPECT_TRUE(hasValidator(headers({{"ETag", "W/\"x\""}})));
  EXPECT_TRUE(hasValidator(headers({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}})));
  EXPECT_FALSE(hasValidator(headers({{"Last-Modified", "0"}})));
  EXPECT_FALSE(hasValidator(headers({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}})));
  EXPECT_FALSE(hasValidator(headers({{"ETag", ""}})));
  EXPECT_FALSE(hasValidator(headers({})));
}

TEST(Validators, ConditionalFields) {
  for (HeaderId id : {HeaderId::kIfMatch, HeaderId::kIfNoneMatch, HeaderId::kIfModifiedSince,
                      HeaderId::kIfUnmodifiedSince, HeaderId::kIfRange}) {
    EXPECT_TRUE(isConditionalField(id));
  }
  EXPECT_FALSE(isConditionalField(HeaderId::kRange));
  EXPECT_FALSE(isConditionalField(HeaderId::kETag));
}

// ---- 304 selection (4.3.4) -------------------------------------------------------------

bool matches(testing::Fields stored, testing::Fields not_modified) {
  return notModifiedMatches(*object(stored), headers(not_modified));
}

TEST(NotModified, StrongETag) {
  EXPECT_TRUE(matches({{"ETag", "\"a\""}}, {{"ETag", "\"a\""}}));
  EXPECT_FALSE(matches({{"ETag", "\"a\""}}, {{"ETag", "\"b\""}}));
  EXPECT_FALSE(matches({{"ETag", "W/\"a\""}}, {{"ETag", "\"a\""}}));  // strong comparison
  EXPECT_FALSE(matches({}, {{"ETag", "\"a\""}}));
  // A strong ETag decides alone.
  EXPECT_TRUE(matches({{"ETag", "\"a\""}, {"Last-Modified", date(kT0)}},
                      {{"ETag", "\"a\""}, {"Last-Modified", date(kT0 + 1)}}));
}

TEST(NotModified, WeakValidators) {
  EXPECT_TRUE(matches({{"ETag", "W/\"a\""}}, {{"ETag", "W/\"a\""}}));
  EXPECT_TRUE(matches({{"ETag", "\"a\""}}, {{"ETag", "W/\"a\""}}));
  EXPECT_FALSE(matches({{"ETag", "W/\"a\""}}, {{"ETag", "W/\"b\""}}));
  EXPECT_TRUE(matches({{"Last-Modified", date(kT0)}}, {{"Last-Modified", date(kT0)}}));
  EXPECT_FALSE(matches({{"Last-Modified", date(kT0)}}, {{"Last-Modified", date(kT0 + 1)}}));
  EXPECT_FALSE(matches({}, {{"Last-Modified", date(kT0)}}));
  // Every supplied validator must correspond.
  EXPECT_FALSE(matches({{"ETag", "W/\"a\""}, {"Last-Modified", date(kT0)}},
                       {{"ETag", "W/\"a\""}, {"Last-Modified", date(kT0 - 5)}}));
  EXPECT_TRUE(matches({{"ETag", "W/\"a\""}, {"Last-Modified", date(kT0)}},
                      {{"ETag", "W/\"a\""}, {"Last-Modified", date(kT0)}}));
}

TEST(NotModified, NoValidatorsOnlyForStoredWithoutValidators) {
  EXPECT_TRUE(matches({{"Date", date(kT0)}}, {{"Date", date(kT0 + 50)}}));
  EXPECT_FALSE(matches({{"ETag", "\"a\""}}, {{"Date", date(kT0 + 50)}}));
  EXPECT_FALSE(matches({{"Last-Modified", date(kT0)}}, {}));
}

// ---- 304 merge (3.2) -------------------------------------------------------------------

std::string merge(std::string stored_lines, testing::Fields not_modified) {
  auto o = testing::objectFromLines(std::move(stored_lines));
  EXPECT_NE(o, nullptr);
  return mergeNotModified(*o, headers(not_modified));
}

TEST(NotModified, MergeReplacesInPlaceAndAppendsNew) {
  EXPECT_EQ(merge("Date: old\r\nContent-Type: text/html\r\nCache-Control: max-age=10\r\n"
                  "ETag: \"a\"\r\n",
                  {{"Date", "new"}, {"Cache-Control", "max-age=600"}, {"X-New", "1"}}),
            "Date: new\r\nContent-Type: text/html\r\nCache-Control: max-age=600\r\n"
            "ETag: \"a\"\r\nX-New: 1\r\n");
}

TEST(NotModified, MergeReplacesAllLinesOfAName) {
  EXPECT_EQ(merge("Set-Cookie: a=1\r\nX: 1\r\nSet-Cookie: b=2\r\n",
                  {{"Set-Cookie", "c=3"}, {"Set-Cookie", "d=4"}}),
            "Set-Cookie: c=3\r\nSet-Cookie: d=4\r\nX: 1\r\n");
}

TEST(NotModified, MergeNeverTakesFramingOrContentFields) {
  EXPECT_EQ(merge("Content-Type: text/html\r\nContent-Encoding: gzip\r\n",
                  {{"Content-Length", "0"},
                   {"Transfer-Encoding", "chunked"},
                   {"Content-Range", "bytes 0-1/2"},
                   {"Content-Encoding", "br"},
                   {"Connection", "keep-alive, X-Hop"},
                   {"X-Hop", "1"},
                   {"Keep-Alive", "timeout=5"},
                   {"Content-Type", "text/plain"}}),
            "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n");
}

TEST(NotModified, MergeAgeComesFromThe304OrGoes) {
  EXPECT_EQ(merge("Age: 100\r\nX: 1\r\n", {{"Age", "3"}}), "Age: 3\r\nX: 1\r\n");
  EXPECT_EQ(merge("Age: 100\r\nX: 1\r\n", {{"Date", "d"}}), "X: 1\r\nDate: d\r\n");
}

TEST(NotModified, MergeNameMatchingIsCaseInsensitive) {
  EXPECT_EQ(merge("x-thing: old\r\n", {{"X-Thing", "new"}}), "X-Thing: new\r\n");
}

TEST(NotModified, MergeAppliesNewQualifiedNoCache) {
  EXPECT_EQ(merge("Set-Cookie: a=1\r\nCache-Control: max-age=1\r\n",
                  {{"Cache-Control", "max-age=60, no-cache=\"Set-Cookie\""}}),
            "Cache-Control: max-age=60, no-cache=\"Set-Cookie\"\r\n");
}

TEST(NotModified, MergeResultParses) {
  auto o = testing::objectFromLines(
      merge("Date: a\r\nETag: \"x\"\r\n", {{"Date", date(kT0)}, {"Expires", date(kT0 + 60)}}));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->headers().get(HeaderId::kExpires), date(kT0 + 60));
  EXPECT_EQ(o->headers().get(HeaderId::kETag), "\"x\"");
}

}  // namespace
}  // namespace cuttle::cache
