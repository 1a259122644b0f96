// Invalidation after unsafe requests (RFC 9111 4.4) and the PURGE method (from localhost).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::Not;
using ::testing::StartsWith;

const std::string kHit = std::string(kVisibleHostname) + "; hit";

// GETs are answered with a cacheable body naming the path and how many GETs of it the
// origin has seen; other methods with unsafe(request).
OriginServer::Handler countingOrigin(Responder unsafe) {
  auto counts = std::make_shared<std::map<std::string, int>>();
  auto mu = std::make_shared<std::mutex>();
  return scripted([=](const HttpRequest& req) {
    if (req.method != "GET") return unsafe(req);
    int n;
    {
      std::lock_guard<std::mutex> lock(*mu);
      n = ++(*counts)[req.target];
    }
    return okResponse(req.target + " #" + std::to_string(n), "Cache-Control: max-age=3600\r\n");
  });
}

OriginServer::Handler countingOrigin(std::string unsafe_answer) {
  return countingOrigin([unsafe_answer](const HttpRequest&) { return unsafe_answer; });
}

// Stores url (a miss), then checks it is a hit.
void storeAndHit(CuttleProcess& proxy, const std::string& url, const std::string& path) {
  HttpResponse first = get(proxy, url);
  EXPECT_EQ(first.body, path + " #1") << first.raw;
  HttpResponse hit = get(proxy, url);
  EXPECT_EQ(hit.body, path + " #1") << hit.raw;
  EXPECT_THAT(hit.headers.get("Cache-Status"), StartsWith(kHit)) << hit.head;
}

HttpResponse send(CuttleProcess& proxy, std::string_view method, const std::string& url) {
  std::string body = method == "DELETE" ? "" : "data";
  std::string fields = body.empty() ? "" : "Content-Length: 4\r\n";
  return fetch(proxy.port(), getRequest(url, fields, method) + body);
}

class CacheInvalidation : public ::testing::TestWithParam<const char*> {};

TEST_P(CacheInvalidation, SuccessfulUnsafeRequestInvalidatesItsUri) {
  OriginServer origin(countingOrigin(response(200, "OK", "", "done")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  storeAndHit(proxy, origin.url("/r"), "/r");
  HttpResponse u = send(proxy, GetParam(), origin.url("/r"));
  EXPECT_EQ(u.status, 200) << u.raw;
  EXPECT_EQ(u.body, "done");
  HttpResponse after = get(proxy, origin.url("/r"));
  EXPECT_EQ(after.body, "/r #2") << "still served from the cache after " << GetParam();
  EXPECT_THAT(after.headers.get("Cache-Status"), Not(StartsWith(kHit))) << after.head;
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheInvalidation,
                         ::testing::Values("POST", "PUT", "DELETE", "PATCH"),
                         [](const auto& p) { return std::string(p.param); });

TEST(CacheInvalidationTargets, LocationAndContentLocationOfTheSameOriginAreInvalidated) {
  // The POST's answer names /a absolutely (Location) and /b relatively (Content-Location).
  // The origin's port is known only once it listens: the answer is built on demand.
  auto location = std::make_shared<std::string>();
  OriginServer real(countingOrigin([location](const HttpRequest&) {
    return response(201, "Created", "Location: " + *location + "\r\nContent-Location: /b\r\n",
                    "created");
  }));
  *location = real.url("/a");
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  storeAndHit(proxy, real.url("/a"), "/a");
  storeAndHit(proxy, real.url("/b"), "/b");
  storeAndHit(proxy, real.url("/c"), "/c");
  HttpResponse post = send(proxy, "POST", real.url("/form"));
  EXPECT_EQ(post.status, 201) << post.raw;
  EXPECT_EQ(get(proxy, real.url("/a")).body, "/a #2") << "Location was not invalidated";
  EXPECT_EQ(get(proxy, real.url("/b")).body, "/b #2") << "Content-Location was not invalidated";
  HttpResponse c = get(proxy, real.url("/c"));
  EXPECT_EQ(c.body, "/c #1") << "an unrelated URI was invalidated";
  EXPECT_THAT(c.headers.get("Cache-Status"), StartsWith(kHit));
}

TEST(CacheInvalidationTargets, LocationOfAnotherOriginIsNotInvalidated) {
  // RFC 9111 4.4: only URIs with the same origin as the target may be invalidated (a
  // response must not be able to evict another site's objects).
  OriginServer other(countingOrigin(""));
  const std::string other_url = other.url("/x");
  OriginServer origin(countingOrigin(response(
      201, "Created", "Location: " + other_url + "\r\nContent-Location: " + other_url + "\r\n",
      "created")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  storeAndHit(proxy, other_url, "/x");
  EXPECT_EQ(send(proxy, "POST", origin.url("/form")).status, 201);
  HttpResponse x = get(proxy, other_url);
  EXPECT_EQ(x.body, "/x #1") << "another origin's object was invalidated";
  EXPECT_THAT(x.headers.get("Cache-Status"), StartsWith(kHit)) << x.head;
}

class CacheInvalidationErrors : public ::testing::TestWithParam<int> {};

TEST_P(CacheInvalidationErrors, ErrorResponseDoesNotInvalidate) {
  const int status = GetParam();
  OriginServer origin(countingOrigin(response(status, "Error", "", "no")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  storeAndHit(proxy, origin.url("/r"), "/r");
  EXPECT_EQ(send(proxy, "POST", origin.url("/r")).status, status);
  HttpResponse after = get(proxy, origin.url("/r"));
  EXPECT_EQ(after.body, "/r #1") << "a " << status << " invalidated the stored response";
  EXPECT_THAT(after.headers.get("Cache-Status"), StartsWith(kHit)) << after.head;
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheInvalidationErrors, ::testing::Values(400, 404, 500, 503),
                         [](const auto& p) { return "Status" + std::to_string(p.param); });

TEST(CacheInvalidationTargets, InvalidationReachesThePersistentStore) {
  TempDir dir;
  OriginServer origin(countingOrigin(response(204, "No Content", "", "")));
  const std::string url = origin.url("/p");
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    storeAndHit(proxy, url, "/p");
    EXPECT_EQ(send(proxy, "DELETE", url).status, 204);
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, url);
  EXPECT_EQ(r.body, "/p #2") << "the invalidated object came back from the store";
}

// ---- PURGE -----------------------------------------------------------------------------------

TEST(CachePurge, PurgeRemovesTheObject) {
  OriginServer origin(countingOrigin(""));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  storeAndHit(proxy, origin.url("/obj"), "/obj");
  HttpResponse purge = fetch(proxy.port(), getRequest(origin.url("/obj"), "", "PURGE"));
  EXPECT_EQ(purge.status, 200) << purge.raw;
  EXPECT_TRUE(purge.complete) << purge.raw;
  HttpResponse after = get(proxy, origin.url("/obj"));
  EXPECT_EQ(after.body, "/obj #2") << "the purged object was served";
  EXPECT_EQ(countRequests(origin, "/obj"), 2u);
  // PURGE itself never reaches the origin.
  for (const HttpRequest& r : origin.requests()) EXPECT_NE(r.method, "PURGE");
}

TEST(CachePurge, PurgeOfAnUnknownUrlIs404) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse purge = fetch(proxy.port(), getRequest(origin.url("/never"), "", "PURGE"));
  EXPECT_EQ(purge.status, 404) << purge.raw;
  expectNothingReachedOrigin(proxy, origin);
}

TEST(CachePurge, PurgeRemovesEveryVariant) {
  OriginServer origin(scripted([](const HttpRequest& req) {
    static std::atomic<int> n{0};
    return okResponse(req.headers.get("Accept-Encoding") + " #" + std::to_string(++n),
                      "Cache-Control: max-age=3600\r\nVary: Accept-Encoding\r\n");
  }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/v");
  get(proxy, url, "Accept-Encoding: gzip\r\n");
  get(proxy, url, "Accept-Encoding: br\r\n");
  EXPECT_EQ(countRequests(origin, "/v"), 2u);
  EXPECT_EQ(fetch(proxy.port(), getRequest(url, "", "PURGE")).status, 200);
  HttpResponse g = get(proxy, url, "Accept-Encoding: gzip\r\n");
  HttpResponse b = get(proxy, url, "Accept-Encoding: br\r\n");
  EXPECT_THAT(g.headers.get("Cache-Status"), Not(StartsWith(kHit))) << g.head;
  EXPECT_THAT(b.headers.get("Cache-Status"), Not(StartsWith(kHit))) << b.head;
  EXPECT_EQ(countRequests(origin, "/v"), 4u);
}

TEST(CachePurge, PurgedObjectStaysGoneAfterARestart) {
  TempDir dir;
  OriginServer origin(countingOrigin(""));
  const std::string url = origin.url("/obj");
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    storeAndHit(proxy, url, "/obj");
    EXPECT_EQ(fetch(proxy.port(), getRequest(url, "", "PURGE")).status, 200);
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, url, "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 504) << "the purged object came back from the store: " << r.raw;
}

}  // namespace
}  // namespace cuttle::test
