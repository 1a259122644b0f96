// Freshness and validation through the real binary (RFC 9111 4.2, 4.3, 5.2.1, 5.4): stale
// responses are revalidated with the stored validators; a 304 refreshes the stored headers
// (never Content-Length) and the stored body is served; a 200 replaces the entry. Request
// directives no-cache, max-age, only-if-cached and Pragma.
//
// No fake clock in e2e: the responses are stale on arrival (max-age=0, Expires in the past,
// Age above max-age).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kHit = std::string(kVisibleHostname) + "; hit";

// An origin whose first answer to a path is `first`; later requests get `later(request)`.
OriginServer::Handler firstThen(std::string first, Responder later) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return scripted(
      [=](const HttpRequest& req) { return count->fetch_add(1) == 0 ? first : later(req); });
}

std::string notModified(std::string_view fields) {
  return "HTTP/1.1 304 Not Modified\r\n" + std::string(fields) + "\r\n";
}

// ---- revalidation of stale responses -----------------------------------------------------------

TEST(CacheRevalidation, StaleEntryIsValidatedWithIfNoneMatchAnd304ServesTheStoredBody) {
  OriginServer origin(
      firstThen(okResponse("stored body",
                           "Cache-Control: max-age=0\r\nETag: \"v1\"\r\nX-Version: 1\r\n"
                           "Content-Type: text/plain\r\n"),
                [](const HttpRequest&) {
                  // A broken origin sending Content-Length: 0 with its 304: RFC 9111 3.2 says a
                  // cache never takes Content-Length from a 304.
                  return notModified(
                      "ETag: \"v1\"\r\nCache-Control: max-age=3600\r\nX-Version: 2\r\n"
                      "Content-Length: 0\r\n");
                }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/v");
  HttpResponse first = get(proxy, url);
  EXPECT_EQ(first.body, "stored body");
  EXPECT_EQ(first.headers.get("Cache-Status"),
            std::string(kVisibleHostname) + "; fwd=uri-miss; stored");

  HttpResponse second = get(proxy, url);
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_TRUE(second.complete) << second.raw;
  EXPECT_EQ(second.body, "stored body");
  EXPECT_EQ(second.headers.get("Content-Length"), "11") << second.head;
  EXPECT_EQ(second.headers.get("X-Version"), "2") << "the 304's fields update the stored ones";
  EXPECT_EQ(second.headers.count("X-Version"), 1u) << second.head;
  EXPECT_EQ(second.headers.get("Cache-Control"), "max-age=3600") << second.head;
  EXPECT_EQ(second.headers.get("Content-Type"), "text/plain") << second.head;
  EXPECT_TRUE(isDeltaSeconds(second.headers.get("Age"))) << second.head;

  std::vector<HttpRequest> reqs = requestsFor(origin, "/v");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"v1\"") << reqs[1].head;

  // Refreshed by the 304 (max-age=3600): now a hit, with the updated fields.
  HttpResponse third = get(proxy, url);
  EXPECT_EQ(third.body, "stored body");
  EXPECT_EQ(third.headers.get("X-Version"), "2");
  EXPECT_EQ(third.headers.get("Content-Length"), "11") << third.head;
  EXPECT_THAT(third.headers.get("Cache-Status"), StartsWith(kHit)) << third.head;
  EXPECT_EQ(countRequests(origin, "/v"), 2u);
  std::vector<std::string> log = waitForAccessResults(proxy, 3);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "TCP_MISS/200");
  EXPECT_EQ(log[1], "TCP_REFRESH_UNMODIFIED/200");
}

TEST(CacheRevalidation, ExpiresInThePastIsValidatedWithIfModifiedSince) {
  const int64_t now = unixNow();
  const std::string last_modified = httpDate(now - 86400);
  OriginServer origin(firstThen(
      okResponse("dated", "Date: " + httpDate(now) + "\r\nExpires: " + httpDate(now - 3600) +
                              "\r\nLast-Modified: " + last_modified + "\r\n"),
      [&](const HttpRequest&) {
        return notModified("Date: " + httpDate(unixNow()) + "\r\nLast-Modified: " + last_modified +
                           "\r\nCache-Control: max-age=3600\r\n");
      }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/d")).body, "dated");
  HttpResponse second = get(proxy, origin.url("/d"));
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "dated");
  std::vector<HttpRequest> reqs = requestsFor(origin, "/d");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].headers.get("If-Modified-Since"), last_modified) << reqs[1].head;
  EXPECT_FALSE(reqs[1].headers.has("If-None-Match")) << reqs[1].head;
  // Refreshed (the 304's max-age=3600 replaced the stored freshness).
  HttpResponse third = get(proxy, origin.url("/d"));
  EXPECT_EQ(third.body, "dated");
  EXPECT_THAT(third.headers.get("Cache-Status"), StartsWith(kHit)) << third.head;
  EXPECT_EQ(countRequests(origin, "/d"), 2u);
}

// RFC 9110 15.4.5 lists the fields a 304 must carry: Date, ETag (when a 200 would have
// one), Content-Location, Vary, Cache-Control, Expires; not Last-Modified. So for a
// resource without ETag a correct origin (Apache httpd, for one) answers cuttle's
// If-Modified-Since with a 304 that carries no validator at all. cuttle sent that
// conditional for its one stored response, on behalf of a client that sent none: the
// client must get the stored body (or a fresh full response), never an error.
TEST(CacheRevalidation, NotModifiedWithoutValidatorsAnswersAnIfModifiedSinceValidation) {
  const int64_t now = unixNow();
  const std::string last_modified = httpDate(now - 86400);
  OriginServer origin(firstThen(okResponse("dated", "Date: " + httpDate(now) +
                                                        "\r\nCache-Control: max-age=0\r\n"
                                                        "Last-Modified: " +
                                                        last_modified + "\r\n"),
                                [&](const HttpRequest& req) {
                                  if (req.headers.get("If-Modified-Since") == last_modified) {
                                    return notModified("Date: " + httpDate(unixNow()) + "\r\n");
                                  }
                                  return okResponse("dated",
                                                    "Last-Modified: " + last_modified + "\r\n");
                                }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/d")).body, "dated");
  HttpResponse second = get(proxy, origin.url("/d"));
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "dated");
  std::vector<HttpRequest> reqs = requestsFor(origin, "/d");
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].headers.get("If-Modified-Since"), last_modified) << reqs[1].head;
}

TEST(CacheRevalidation, AgeAboveMaxAgeIsStaleOnArrival) {
  OriginServer origin(firstThen(
      okResponse("old already", "Cache-Control: max-age=60\r\nAge: 120\r\nETag: \"a\"\r\n"),
      [](const HttpRequest&) { return notModified("ETag: \"a\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/old")).body, "old already");
  HttpResponse second = get(proxy, origin.url("/old"));
  EXPECT_EQ(second.body, "old already") << second.raw;
  std::vector<HttpRequest> reqs = requestsFor(origin, "/old");
  ASSERT_EQ(reqs.size(), 2u) << "a response older than its max-age was served without validation";
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"a\"") << reqs[1].head;
}

TEST(CacheRevalidation, ClientConditionalsAreReplacedByTheStoredValidators) {
  OriginServer origin(
      firstThen(okResponse("mine", "Cache-Control: max-age=0\r\nETag: \"stored\"\r\n"),
                [](const HttpRequest&) { return notModified("ETag: \"stored\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/m")).body, "mine");
  HttpResponse second = get(proxy, origin.url("/m"), "If-None-Match: \"client\"\r\n");
  // The client's tag does not match the stored response: it gets the whole body.
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "mine");
  std::vector<HttpRequest> reqs = requestsFor(origin, "/m");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"stored\"") << reqs[1].head;
}

TEST(CacheRevalidation, A200ReplacesTheStoredEntry) {
  OriginServer origin(firstThen(
      okResponse("version one", "Cache-Control: max-age=0\r\nETag: \"v1\"\r\n"),
      [](const HttpRequest&) {
        return okResponse("version two!", "Cache-Control: max-age=3600\r\nETag: \"v2\"\r\n");
      }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/r")).body, "version one");
  HttpResponse second = get(proxy, origin.url("/r"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "version two!");
  EXPECT_EQ(second.headers.get("ETag"), "\"v2\"");
  EXPECT_THAT(second.headers.get("Cache-Status"), HasSubstr("; stored")) << second.head;
  HttpResponse third = get(proxy, origin.url("/r"));
  EXPECT_EQ(third.body, "version two!");
  EXPECT_EQ(third.headers.get("Content-Length"), "12");
  EXPECT_THAT(third.headers.get("Cache-Status"), StartsWith(kHit)) << third.head;
  EXPECT_EQ(countRequests(origin, "/r"), 2u);
  std::vector<std::string> log = waitForAccessResults(proxy, 3);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1], "TCP_REFRESH_MODIFIED/200");
}

TEST(CacheRevalidation, A304ForAnotherRepresentationIsNotApplied) {
  // RFC 9111 4.3.4: a 304 whose strong ETag names no stored response updates nothing. The
  // client must not be given the stored body as if it had been validated.
  OriginServer origin(
      firstThen(okResponse("tagged one", "Cache-Control: max-age=0\r\nETag: \"one\"\r\n"),
                [](const HttpRequest&) { return notModified("ETag: \"two\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/x")).body, "tagged one");
  HttpResponse second = get(proxy, origin.url("/x"));
  EXPECT_NE(second.status, 0) << "no answer: " << second.raw;
  EXPECT_FALSE(second.status == 200 && second.headers.get("ETag") == "\"two\"") << second.head;
}

TEST(CacheRevalidation, ResponseNoCacheIsValidatedOnEveryUse) {
  // RFC 9111 5.2.2.4: stored, but never used without validation, whatever max-age says.
  OriginServer origin(firstThen(
      okResponse("validate me", "Cache-Control: no-cache, max-age=3600\r\nETag: \"n\"\r\n"),
      [](const HttpRequest&) { return notModified("ETag: \"n\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(proxy, origin.url("/n")).body, "validate me");
  std::vector<HttpRequest> reqs = requestsFor(origin, "/n");
  ASSERT_EQ(reqs.size(), 3u) << "a no-cache response was used without validation";
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"n\"");
  EXPECT_EQ(reqs[2].headers.get("If-None-Match"), "\"n\"");
}

TEST(CacheRevalidation, SMaxageOverridesMaxAgeInASharedCache) {
  // RFC 9111 5.2.2.10: s-maxage is the shared cache's lifetime, in both directions.
  OriginServer longer(OriginServer::always(
      okResponse("shared longer", "Cache-Control: max-age=0, s-maxage=3600\r\n")));
  OriginServer shorter(firstThen(
      okResponse("shared shorter", "Cache-Control: max-age=3600, s-maxage=0\r\nETag: \"s\"\r\n"),
      [](const HttpRequest&) { return notModified("ETag: \"s\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, longer.url("/l")).body, "shared longer");
  HttpResponse l = get(proxy, longer.url("/l"));
  EXPECT_EQ(l.body, "shared longer");
  EXPECT_THAT(l.headers.get("Cache-Status"), StartsWith(kHit)) << l.head;
  EXPECT_EQ(countRequests(longer, "/l"), 1u);
  EXPECT_EQ(get(proxy, shorter.url("/s")).body, "shared shorter");
  EXPECT_EQ(get(proxy, shorter.url("/s")).body, "shared shorter");
  std::vector<HttpRequest> reqs = requestsFor(shorter, "/s");
  ASSERT_EQ(reqs.size(), 2u) << "s-maxage=0 was not honoured over max-age";
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"s\"");
}

// ---- request directives ------------------------------------------------------------------------

struct RequestRevalidates {
  const char* name;
  std::string fields;
};
void PrintTo(const RequestRevalidates& c, std::ostream* os) { *os << c.name; }

class CacheRequestRevalidates : public ::testing::TestWithParam<RequestRevalidates> {};

// A fresh entry, then a request that refuses it unvalidated: the origin sees a conditional
// request, answers 304, the client gets the stored body.
TEST_P(CacheRequestRevalidates, FreshEntryIsValidatedAtTheOrigin) {
  // Age: 10 so that max-age=0 excludes it (5.2.1.1: an age equal to max-age is acceptable).
  OriginServer origin(firstThen(
      okResponse("fresh body", "Cache-Control: max-age=3600\r\nETag: \"f\"\r\nAge: 10\r\n"),
      [](const HttpRequest&) { return notModified("ETag: \"f\"\r\n"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/f")).body, "fresh body");
  HttpResponse hit = get(proxy, origin.url("/f"));
  EXPECT_THAT(hit.headers.get("Cache-Status"), StartsWith(kHit));
  HttpResponse r = get(proxy, origin.url("/f"), GetParam().fields);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "fresh body");
  std::vector<HttpRequest> reqs = requestsFor(origin, "/f");
  ASSERT_EQ(reqs.size(), 2u) << "the request directive did not make cuttle validate";
  EXPECT_EQ(reqs[1].headers.get("If-None-Match"), "\"f\"") << reqs[1].head;
}

INSTANTIATE_TEST_SUITE_P(
    Cache, CacheRequestRevalidates,
    ::testing::Values(RequestRevalidates{"NoCache", "Cache-Control: no-cache\r\n"},
                      RequestRevalidates{"MaxAgeZero", "Cache-Control: max-age=0\r\n"},
                      RequestRevalidates{"PragmaNoCache", "Pragma: no-cache\r\n"},
                      RequestRevalidates{"MinFreshBeyondLifetime",
                                         "Cache-Control: min-fresh=7200\r\n"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(CacheRequestDirectives, PragmaIsIgnoredWhenCacheControlIsPresent) {
  // RFC 9111 5.4: with an understood Cache-Control in the request, Pragma is ignored.
  OriginServer origin(
      OriginServer::always(okResponse("body", "Cache-Control: max-age=3600\r\nETag: \"p\"\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/p")).body, "body");
  HttpResponse r =
      get(proxy, origin.url("/p"), "Pragma: no-cache\r\nCache-Control: max-age=3600\r\n");
  EXPECT_EQ(r.body, "body");
  EXPECT_THAT(r.headers.get("Cache-Status"), StartsWith(kHit)) << r.head;
  EXPECT_EQ(countRequests(origin, "/p"), 1u);
}

TEST(CacheRequestDirectives, OnlyIfCachedOnAnEmptyCacheIs504WithoutTheOrigin) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, origin.url("/nothing"), "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 504) << r.raw;
  EXPECT_TRUE(r.complete) << r.raw;
  expectNothingReachedOrigin(proxy, origin);
}

TEST(CacheRequestDirectives, OnlyIfCachedOnAFreshEntryIsAHit) {
  OriginServer origin(OriginServer::always(okResponse("here", "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/h")).body, "here");
  HttpResponse r = get(proxy, origin.url("/h"), "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "here");
  EXPECT_EQ(countRequests(origin, "/h"), 1u);
}

TEST(CacheRequestDirectives, OnlyIfCachedOnAStaleEntryIs504WithoutTheOrigin) {
  OriginServer origin(
      OriginServer::always(okResponse("stale", "Cache-Control: max-age=0\r\nETag: \"s\"\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/s")).body, "stale");
  HttpResponse r = get(proxy, origin.url("/s"), "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 504) << r.raw;
  EXPECT_EQ(countRequests(origin, "/s"), 1u);
}

TEST(CacheRequestDirectives, MaxStaleAcceptsAStaleEntryWithoutTheOrigin) {
  OriginServer origin(
      OriginServer::always(okResponse("stale ok", "Cache-Control: max-age=0\r\nETag: \"s\"\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/s")).body, "stale ok");
  HttpResponse r = get(proxy, origin.url("/s"), "Cache-Control: max-stale\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "stale ok");
  EXPECT_EQ(countRequests(origin, "/s"), 1u);
}

// ---- client conditionals on a fresh entry (RFC 9110 13.2.2) ----------------------------------

class CacheConditionals : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(proxy_.started());
    HttpResponse first = get(proxy_, url_);
    ASSERT_EQ(first.status, 200);
    ASSERT_EQ(first.body, kBody);
  }
  void TearDown() override {
    EXPECT_EQ(countRequests(origin_, "/c"), 1u) << "a conditional reached the origin";
  }
  HttpResponse ask(std::string_view fields) { return get(proxy_, url_, fields); }

  static constexpr std::string_view kBody = "conditional body";
  const int64_t now_ = unixNow();
  const std::string last_modified_ = httpDate(now_ - 86400);
  OriginServer origin_{OriginServer::always(
      okResponse(kBody, "Cache-Control: max-age=3600\r\nETag: \"v1\"\r\nDate: " + httpDate(now_) +
                            "\r\nLast-Modified: " + last_modified_ + "\r\n"))};
  CuttleProcess proxy_{""};
  const std::string url_ = origin_.url("/c");
};

TEST_F(CacheConditionals, IfNoneMatchMatchingGives304) {
  HttpResponse r = ask("If-None-Match: \"v1\"\r\n");
  EXPECT_EQ(r.status, 304) << r.raw;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.headers.get("ETag"), "\"v1\"") << r.head;
  EXPECT_THAT(waitForAccessResults(proxy_, 2), ElementsAre("TCP_MISS/200", "TCP_IMS_HIT/304"));
}

TEST_F(CacheConditionals, IfNoneMatchUsesWeakComparison) {
  HttpResponse r = ask("If-None-Match: \"x\", W/\"v1\"\r\n");
  EXPECT_EQ(r.status, 304) << r.raw;
}

TEST_F(CacheConditionals, IfNoneMatchStarGives304) {
  HttpResponse r = ask("If-None-Match: *\r\n");
  EXPECT_EQ(r.status, 304) << r.raw;
}

TEST_F(CacheConditionals, IfNoneMatchNotMatchingGivesTheBody) {
  HttpResponse r = ask("If-None-Match: \"v0\"\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, kBody);
}

TEST_F(CacheConditionals, IfModifiedSinceNotModifiedGives304) {
  HttpResponse r = ask("If-Modified-Since: " + last_modified_ + "\r\n");
  EXPECT_EQ(r.status, 304) << r.raw;
}

TEST_F(CacheConditionals, IfModifiedSinceBeforeLastModifiedGivesTheBody) {
  HttpResponse r = ask("If-Modified-Since: " + httpDate(now_ - 2 * 86400) + "\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, kBody);
}

TEST_F(CacheConditionals, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  // RFC 9110 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
  HttpResponse r = ask("If-None-Match: \"v0\"\r\nIf-Modified-Since: " + last_modified_ + "\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
}

TEST_F(CacheConditionals, IfMatchFailingGives412) {
  HttpResponse r = ask("If-Match: \"other\"\r\n");
  EXPECT_EQ(r.status, 412) << r.raw;
  EXPECT_TRUE(r.complete) << r.raw;
  EXPECT_EQ(r.body.find(kBody), std::string::npos) << r.raw;
}

TEST_F(CacheConditionals, IfMatchMatchingGivesTheBody) {
  HttpResponse r = ask("If-Match: \"v1\"\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, kBody);
}

TEST_F(CacheConditionals, IfUnmodifiedSinceFailingGives412) {
  HttpResponse r = ask("If-Unmodified-Since: " + httpDate(now_ - 2 * 86400) + "\r\n");
  EXPECT_EQ(r.status, 412) << r.raw;
}

// ---- stale-if-error and stale-while-revalidate (RFC 5861) --------------------------------------

TEST(CacheStaleIfError, StaleResponseIsServedWhenTheOriginAnswers500) {
  OriginServer origin(firstThen(
      okResponse("old but good", "Cache-Control: max-age=0, stale-if-error=60\r\nETag: \"e\"\r\n"),
      [](const HttpRequest&) { return response(500, "Internal Server Error", "", "broken"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/sie")).body, "old but good");
  HttpResponse r = get(proxy, origin.url("/sie"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "old but good");
  EXPECT_TRUE(isDeltaSeconds(r.headers.get("Age"))) << r.head;
  EXPECT_EQ(countRequests(origin, "/sie"), 2u);
  std::vector<std::string> log = waitForAccessResults(proxy, 2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], "TCP_REFRESH_FAIL_OLD/200");
}

TEST(CacheStaleIfError, StaleResponseIsServedWhenTheOriginRefusesConnections) {
  auto origin = std::make_unique<OriginServer>(OriginServer::always(okResponse(
      "old but good", "Cache-Control: max-age=0, stale-if-error=60\r\nETag: \"e\"\r\n")));
  const std::string url = origin->url("/sie");
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, url).body, "old but good");
  origin->stop();  // nothing listens on the port any more
  HttpResponse r = get(proxy, url);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "old but good");
}

TEST(CacheStaleIfError, WithoutStaleIfErrorTheErrorIsPassedOn) {
  OriginServer origin(firstThen(
      okResponse("old", "Cache-Control: max-age=0\r\nETag: \"e\"\r\n"),
      [](const HttpRequest&) { return response(500, "Internal Server Error", "", "broken"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/e")).body, "old");
  HttpResponse r = get(proxy, origin.url("/e"));
  EXPECT_EQ(r.status, 500) << r.raw;
  EXPECT_EQ(r.body, "broken");
}

TEST(CacheStaleIfError, MustRevalidateForbidsServingStale) {
  // RFC 9111 5.2.2.2: must-revalidate wins over stale-if-error.
  OriginServer origin(firstThen(
      okResponse("old",
                 "Cache-Control: max-age=0, must-revalidate, stale-if-error=60\r\n"
                 "ETag: \"e\"\r\n"),
      [](const HttpRequest&) { return response(500, "Internal Server Error", "", "broken"); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/mr")).body, "old");
  HttpResponse r = get(proxy, origin.url("/mr"));
  EXPECT_NE(r.status, 200) << r.raw;
  EXPECT_NE(r.body, "old");
}

TEST(CacheStaleWhileRevalidate, StaleIsServedAtOnceAndOneRevalidationReachesTheOrigin) {
  Gate release;
  std::atomic<int> served{0};
  OriginServer origin(scripted([&](const HttpRequest&) {
    if (served.fetch_add(1) == 0) {
      return okResponse("version one",
                        "Cache-Control: max-age=0, stale-while-revalidate=60\r\nETag: \"v1\"\r\n");
    }
    release.wait();  // the background revalidation is held here
    return okResponse("version two", "Cache-Control: max-age=3600\r\nETag: \"v2\"\r\n");
  }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/swr");
  EXPECT_EQ(get(proxy, url).body, "version one");
  // Answered while the origin still holds the revalidation: served stale, at once.
  HttpResponse stale = get(proxy, url);
  EXPECT_EQ(stale.status, 200) << stale.raw;
  EXPECT_EQ(stale.body, "version one");
  EXPECT_THAT(stale.headers.get("Cache-Status"), StartsWith(kHit)) << stale.head;
  ASSERT_TRUE(origin.waitForRequests(2)) << "no background revalidation";
  EXPECT_EQ(requestsFor(origin, "/swr")[1].headers.get("If-None-Match"), "\"v1\"");
  // More requests while it is in flight: still stale, no second revalidation.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(proxy, url).body, "version one");
  EXPECT_EQ(countRequests(origin, "/swr"), 2u);
  release.open();
  // The revalidation's 200 replaces the entry (bounded wait: it completes in the background).
  HttpResponse now;
  EXPECT_TRUE(pollUntil([&] {
    now = get(proxy, url, "Cache-Control: only-if-cached\r\n");
    return now.body == "version two";
  })) << "the background revalidation never updated the entry: "
      << now.raw;
  EXPECT_EQ(countRequests(origin, "/swr"), 2u) << "more than one revalidation";
}

}  // namespace
}  // namespace cuttle::test
