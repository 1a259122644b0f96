#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::headers;
using Targets = std::vector<std::string>;

Targets targets(std::string_view url, testing::Fields fields) {
  return invalidationTargets(url, headers(fields));
}

TEST(Invalidation, UnsafeMethodsWithNonErrorStatus) {
  for (Method m : {Method::kPost, Method::kPut, Method::kDelete, Method::kPatch, Method::kPurge,
                   Method::kOther}) {
    EXPECT_TRUE(invalidates(m, 200));
    EXPECT_TRUE(invalidates(m, 204));
    EXPECT_TRUE(invalidates(m, 303));
    EXPECT_TRUE(invalidates(m, 399));
    EXPECT_FALSE(invalidates(m, 199));
    EXPECT_FALSE(invalidates(m, 400));
    EXPECT_FALSE(invalidates(m, 404));
    EXPECT_FALSE(invalidates(m, 500));
  }
}

TEST(Invalidation, SafeMethodsAndConnectNever) {
  for (Method m :
       {Method::kGet, Method::kHead, Method::kOptions, Method::kTrace, Method::kConnect}) {
    EXPECT_FALSE(invalidates(m, 200));
  }
}

TEST(Invalidation, AbsoluteSameOrigin) {
  EXPECT_EQ(targets("http://example.com/post",
                    {{"Location", "http://example.com/new"},
                     {"Content-Location", "http://EXAMPLE.com:80/other?q=1#frag"}}),
            (Targets{"http://example.com/new", "http://example.com/other?q=1"}));
}

TEST(Invalidation, OtherOriginsIgnored) {
  EXPECT_EQ(targets("http://example.com/post", {{"Location", "http://evil.com/new"},
                                                {"Location", "https://example.com/new"},
                                                {"Location", "http://example.com:8080/new"},
                                                {"Location", "//other.example.com/x"}}),
            Targets{});
}

TEST(Invalidation, RelativeReferences) {
  const std::string base = "http://a.com/b/c/d;p?q";
  EXPECT_EQ(targets(base, {{"Location", "g"}}), Targets{"http://a.com/b/c/g"});
  EXPECT_EQ(targets(base, {{"Location", "./g"}}), Targets{"http://a.com/b/c/g"});
  EXPECT_EQ(targets(base, {{"Location", "g/"}}), Targets{"http://a.com/b/c/g/"});
  EXPECT_EQ(targets(base, {{"Location", "/g"}}), Targets{"http://a.com/g"});
  EXPECT_EQ(targets(base, {{"Location", "?y"}}), Targets{"http://a.com/b/c/d;p?y"});
  EXPECT_EQ(targets(base, {{"Location", "g?y"}}), Targets{"http://a.com/b/c/g?y"});
  EXPECT_EQ(targets(base, {{"Location", "#s"}}), Targets{});  // the target itself
  EXPECT_EQ(targets(base, {{"Location", "../g"}}), Targets{"http://a.com/b/g"});
  EXPECT_EQ(targets(base, {{"Location", "../../g"}}), Targets{"http://a.com/g"});
  EXPECT_EQ(targets(base, {{"Location", "../../../g"}}), Targets{"http://a.com/g"});
  EXPECT_EQ(targets(base, {{"Location", "/./g"}}), Targets{"http://a.com/g"});
  EXPECT_EQ(targets(base, {{"Location", "/../g"}}), Targets{"http://a.com/g"});
  EXPECT_EQ(targets(base, {{"Location", "g/../h"}}), Targets{"http://a.com/b/c/h"});
  EXPECT_EQ(targets(base, {{"Location", "."}}), Targets{"http://a.com/b/c/"});
  EXPECT_EQ(targets(base, {{"Location", ".."}}), Targets{"http://a.com/b/"});
  EXPECT_EQ(targets(base, {{"Location", "//a.com/z"}}), Targets{"http://a.com/z"});
}

TEST(Invalidation, SchemeRelativeAndCaseOfScheme) {
  EXPECT_EQ(targets("https://a.com/x", {{"Location", "HTTPS://a.com/y"}}),
            Targets{"https://a.com/y"});
  EXPECT_EQ(targets("https://a.com:443/x", {{"Location", "/y"}}), Targets{"https://a.com/y"});
}

TEST(Invalidation, NonDefaultPortKept) {
  EXPECT_EQ(targets("http://a.com:8080/x", {{"Content-Location", "/y"}}),
            Targets{"http://a.com:8080/y"});
  EXPECT_EQ(targets("http://a.com:8080/x", {{"Content-Location", "http://a.com/y"}}), Targets{});
}

TEST(Invalidation, DuplicatesAndSelfRemoved) {
  EXPECT_EQ(targets("http://a.com/x", {{"Location", "/y"},
                                       {"Content-Location", "http://a.com/y"},
                                       {"Content-Location", "/x"}}),
            Targets{"http://a.com/y"});
}

TEST(Invalidation, GarbageIgnored) {
  EXPECT_EQ(
      targets("http://a.com/x",
              {{"Location", ""}, {"Location", "http://"}, {"Location", "mailto:someone@a.com"}}),
      Targets{});
  EXPECT_EQ(targets("/relative-base", {{"Location", "/y"}}), Targets{});
  EXPECT_EQ(targets("not a url", {{"Location", "/y"}}), Targets{});
}

TEST(Invalidation, EmptyBasePath) {
  EXPECT_EQ(targets("http://a.com", {{"Location", "g"}}), Targets{"http://a.com/g"});
}

}  // namespace
}  // namespace cuttle::cache
