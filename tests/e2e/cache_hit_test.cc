// Cache hits through the real binary (RFC 9111 3, 4.2, 4.2.3; RFC 9211 Cache-Status): a
// response fresh by max-age, Expires or Last-Modified heuristics is served again without
// reaching the origin, with a computed Age, the stored fields and the same bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

const std::string kMissStored = std::string(kVisibleHostname) + "; fwd=uri-miss; stored";
const std::string kHit = std::string(kVisibleHostname) + "; hit";

// Requests `url` twice (first on one connection, then on a new one) and checks the first is
// a stored miss and the second a hit with the same status, body and Age; returns the hit.
HttpResponse expectMissThenHit(CuttleProcess& proxy, OriginServer& origin, const std::string& url,
                               std::string_view expected_body) {
  HttpResponse first = get(proxy, url);
  EXPECT_EQ(first.status, 200) << first.raw;
  EXPECT_TRUE(first.complete) << first.raw;
  EXPECT_EQ(first.body, expected_body);
  EXPECT_EQ(first.headers.get("Cache-Status"), kMissStored) << first.head;
  HttpResponse second = get(proxy, url);
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_TRUE(second.complete) << second.raw;
  EXPECT_EQ(second.body, expected_body);
  EXPECT_THAT(second.headers.get("Cache-Status"), StartsWith(kHit)) << second.head;
  EXPECT_EQ(second.headers.count("Age"), 1u) << second.head;
  EXPECT_TRUE(isDeltaSeconds(second.headers.get("Age"))) << second.head;
  EXPECT_EQ(origin.requests().size(), 1u) << "the hit reached the origin: " << origin.receivedAll();
  EXPECT_EQ(origin.connectionCount(), 1);
  return second;
}

TEST(CacheHit, MaxAgeResponseIsServedAgainWithoutTheOrigin) {
  OriginServer origin(
      OriginServer::canned({{"/a", okResponse("cached body",
                                              "Cache-Control: max-age=3600\r\nETag: \"e1\"\r\n"
                                              "Content-Type: text/plain\r\nX-Origin: yes\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/a"), "cached body");
  // The stored fields come back as the origin sent them; the length is the body's.
  EXPECT_EQ(hit.headers.get("ETag"), "\"e1\"");
  EXPECT_EQ(hit.headers.get("Content-Type"), "text/plain");
  EXPECT_EQ(hit.headers.get("X-Origin"), "yes");
  EXPECT_EQ(hit.headers.get("Cache-Control"), "max-age=3600");
  EXPECT_EQ(hit.headers.get("Content-Length"), "11");
  EXPECT_EQ(hit.body_kind, BodyKind::kLength);
  EXPECT_THAT(waitForAccessResults(proxy, 2), ElementsAre("TCP_MISS/200", "TCP_MEM_HIT/200"));
}

TEST(CacheHit, HitsOnOneKeepAliveConnectionKeepItUsable) {
  OriginServer origin(
      OriginServer::canned({{"/a", okResponse("aaa", "Cache-Control: max-age=3600\r\n")},
                            {"/b", okResponse("bbbb", "Cache-Control: max-age=3600\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  // Pipelined: miss, miss, hit, hit.
  c.send(getRequest(origin.url("/a")) + getRequest(origin.url("/b")));
  EXPECT_EQ(c.readResponse().body, "aaa");
  EXPECT_EQ(c.readResponse().body, "bbbb");
  c.send(getRequest(origin.url("/a")) + getRequest(origin.url("/b")));
  HttpResponse a = c.readResponse();
  HttpResponse b = c.readResponse();
  EXPECT_EQ(a.body, "aaa") << a.raw;
  EXPECT_EQ(b.body, "bbbb") << b.raw;
  EXPECT_THAT(a.headers.get("Cache-Status"), StartsWith(kHit));
  EXPECT_THAT(b.headers.get("Cache-Status"), StartsWith(kHit));
  EXPECT_EQ(origin.requests().size(), 2u);
}

TEST(CacheHit, EveryWorkerServesTheStoredObject) {
  OriginServer origin(
      OriginServer::always(okResponse("shared by workers", "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy("workers 2\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/w")).body, "shared by workers");
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = get(proxy, origin.url("/w"));
    EXPECT_EQ(r.body, "shared by workers");
    EXPECT_THAT(r.headers.get("Cache-Status"), StartsWith(kHit)) << r.head;
  }
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(CacheHit, ExpiresInTheFutureMakesItFresh) {
  const int64_t now = unixNow();
  OriginServer origin(OriginServer::canned(
      {{"/e", okResponse("expires", "Date: " + httpDate(now) +
                                        "\r\nExpires: " + httpDate(now + 3600) + "\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  expectMissThenHit(proxy, origin, origin.url("/e"), "expires");
}

TEST(CacheHit, LastModifiedHeuristicMakesItFresh) {
  // RFC 9111 4.2.2: 10% of the time since Last-Modified (ten days ago: a day, at the cap).
  const int64_t now = unixNow();
  OriginServer origin(OriginServer::canned(
      {{"/h", okResponse("heuristic", "Date: " + httpDate(now) + "\r\nLast-Modified: " +
                                          httpDate(now - 10 * 86400) + "\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  expectMissThenHit(proxy, origin, origin.url("/h"), "heuristic");
}

TEST(CacheHit, ChunkedResponseIsStoredAndServedWhole) {
  OriginServer origin(
      OriginServer::canned({{"/c", chunkedResponse({"first ", "second ", "third"},
                                                   "Cache-Control: max-age=3600\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/c"), "first second third");
  EXPECT_FALSE(hit.headers.has("Transfer-Encoding") && hit.headers.has("Content-Length"))
      << hit.head;
}

TEST(CacheHit, EmptyBodyIsStoredAndServed) {
  OriginServer origin(
      OriginServer::canned({{"/empty", okResponse("", "Cache-Control: max-age=3600\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/empty"), "");
  EXPECT_EQ(hit.headers.get("Content-Length"), "0") << hit.head;
}

TEST(CacheHit, SetCookieIsKeptOnTheStoredResponse) {
  // RFC 9111 3.1 and 7.3: Set-Cookie is stored like any other field.
  OriginServer origin(
      OriginServer::canned({{"/cookie", okResponse("with cookie",
                                                   "Cache-Control: max-age=3600\r\n"
                                                   "Set-Cookie: session=abc; Path=/\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/cookie"), "with cookie");
  EXPECT_THAT(hit.headers.all("Set-Cookie"), ElementsAre("session=abc; Path=/")) << hit.head;
}

TEST(CacheHit, FieldsNamedByConnectionAreNotStored) {
  // RFC 9111 3.1: hop-by-hop fields and those listed in Connection are not stored.
  OriginServer origin(OriginServer::canned(
      {{"/conn", okResponse("hop",
                            "Cache-Control: max-age=3600\r\nConnection: X-Hop\r\n"
                            "X-Hop: secret\r\nX-Kept: kept\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/conn"), "hop");
  EXPECT_FALSE(hit.headers.has("X-Hop")) << hit.head;
  EXPECT_EQ(hit.headers.get("X-Kept"), "kept") << hit.head;
}

TEST(CacheHit, RedirectWithExplicitFreshnessIsStored) {
  // 302 is not heuristically cacheable but may be stored with max-age (RFC 9111 3).
  OriginServer origin(OriginServer::canned(
      {{"/moved", response(302, "Found", "Location: /elsewhere\r\nCache-Control: max-age=3600\r\n",
                           "moved")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse first = get(proxy, origin.url("/moved"));
  EXPECT_EQ(first.status, 302);
  HttpResponse second = get(proxy, origin.url("/moved"));
  EXPECT_EQ(second.status, 302) << second.raw;
  EXPECT_EQ(second.headers.get("Location"), "/elsewhere");
  EXPECT_EQ(second.body, "moved");
  EXPECT_THAT(second.headers.get("Cache-Status"), StartsWith(kHit)) << second.head;
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(CacheHit, HeadIsAnsweredFromTheStoredGetResponse) {
  OriginServer origin(OriginServer::canned(
      {{"/h", okResponse("twelve bytes", "Cache-Control: max-age=3600\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/h")).body, "twelve bytes");
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/h"), "", "HEAD") + getRequest(origin.url("/h")));
  HttpResponse head = c.readResponse("HEAD");
  EXPECT_EQ(head.status, 200) << head.raw;
  EXPECT_EQ(head.headers.get("Content-Length"), "12") << head.head;
  EXPECT_THAT(head.headers.get("Cache-Status"), StartsWith(kHit)) << head.head;
  // No body after the HEAD response: the next bytes are the next response.
  HttpResponse next = c.readResponse();
  EXPECT_EQ(firstLine(next.head), "HTTP/1.1 200 OK") << next.raw;
  EXPECT_EQ(next.body, "twelve bytes");
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(CacheHit, HitToAnHttp10ClientIsLengthDelimited) {
  OriginServer origin(OriginServer::always(
      chunkedResponse({"chunked ", "at the origin"}, "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/old")).body, "chunked at the origin");
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/old"), "Connection: keep-alive\r\n", "GET", "HTTP/1.0"));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_FALSE(r.headers.has("Transfer-Encoding")) << "chunked to a 1.0 client: " << r.head;
  EXPECT_EQ(r.body, "chunked at the origin");
  EXPECT_THAT(r.headers.get("Cache-Status"), StartsWith(kHit)) << r.head;
  if (r.body_kind == BodyKind::kLength && listHasToken(r.headers.get("Connection"), "keep-alive")) {
    // Kept alive: the connection must carry another exchange.
    c.send(getRequest(origin.url("/old"), "Connection: keep-alive\r\n", "GET", "HTTP/1.0"));
    EXPECT_EQ(c.readResponse().body, "chunked at the origin");
  }
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(CacheHit, AgeFromTheOriginIsAddedToTheHitAge) {
  // RFC 9111 4.2.3: the Age an origin (or an upstream cache) sent counts in current_age.
  OriginServer origin(OriginServer::canned(
      {{"/aged", okResponse("aged", "Cache-Control: max-age=3600\r\nAge: 100\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = expectMissThenHit(proxy, origin, origin.url("/aged"), "aged");
  ASSERT_TRUE(isDeltaSeconds(hit.headers.get("Age"))) << hit.head;
  EXPECT_GE(std::stoll(hit.headers.get("Age")), 100) << hit.head;
}

TEST(CacheHit, DistinctQueryStringsAreDistinctObjects) {
  OriginServer origin(
      OriginServer::canned({{"/q?x=1", okResponse("one", "Cache-Control: max-age=3600\r\n")},
                            {"/q?x=2", okResponse("two", "Cache-Control: max-age=3600\r\n")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/q?x=1")).body, "one");
  EXPECT_EQ(get(proxy, origin.url("/q?x=2")).body, "two");
  EXPECT_EQ(get(proxy, origin.url("/q?x=1")).body, "one");
  EXPECT_EQ(get(proxy, origin.url("/q?x=2")).body, "two");
  EXPECT_EQ(origin.requests().size(), 2u);
}

}  // namespace
}  // namespace cuttle::test
