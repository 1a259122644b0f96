// Responses a shared cache must not store (RFC 9111 3, 3.5, 4.1, 5.2), and responses cut
// short by the origin, which are never stored nor served as complete afterwards (issue 3,
// Integrity): each time, the next request reaches the origin again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kHit = std::string(kVisibleHostname) + "; hit";

struct NotStoredCase {
  const char* name;
  std::string request_fields;  // on the first two requests
  std::string response;        // what the origin answers, every time
  int status = 200;
};
void PrintTo(const NotStoredCase& c, std::ostream* os) { *os << c.name; }

std::vector<NotStoredCase> notStoredCases() {
  const int64_t now = unixNow();
  return {
      {"ResponseNoStore", "", okResponse("body", "Cache-Control: no-store, max-age=3600\r\n")},
      {"RequestNoStore", "Cache-Control: no-store\r\n",
       okResponse("body", "Cache-Control: max-age=3600\r\n")},
      {"Private", "", okResponse("body", "Cache-Control: private, max-age=3600\r\n")},
      {"PrivateUppercase", "", okResponse("body", "Cache-Control: PRIVATE, Max-Age=3600\r\n")},
      {"AuthorizationWithoutPublicOrSMaxage", "Authorization: Basic dXNlcjpwYXNz\r\n",
       okResponse("body", "Cache-Control: max-age=3600\r\n")},
      {"VaryStar", "", okResponse("body", "Cache-Control: max-age=3600\r\nVary: *\r\n")},
      {"FoundWithoutFreshness", "",
       response(302, "Found",
                "Location: /x\r\nDate: " + httpDate(now) +
                    "\r\nLast-Modified: " + httpDate(now - 10 * 86400) + "\r\n",
                "redirect"),
       302},
      {"TemporaryRedirectWithoutFreshness", "",
       response(307, "Temporary Redirect", "Location: /x\r\n", "redirect"), 307},
      {"ServerErrorWithoutFreshness", "", response(500, "Internal Server Error", "", "oops"), 500},
      {"UnknownStatusEvenWithMaxAge", "",
       response(299, "Whatever", "Cache-Control: max-age=3600\r\n", "odd"), 299},
      {"MaxAgeZeroWithoutValidator", "", okResponse("body", "Cache-Control: max-age=0\r\n")},
  };
}

class CacheNotStored : public ::testing::TestWithParam<NotStoredCase> {};

TEST_P(CacheNotStored, NextRequestsReachTheOrigin) {
  const NotStoredCase& c = GetParam();
  OriginServer origin(OriginServer::always(c.response));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/r");
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = get(proxy, url, c.request_fields);
    EXPECT_EQ(r.status, c.status) << r.raw;
    EXPECT_TRUE(r.complete) << r.raw;
    EXPECT_THAT(r.headers.get("Cache-Status"), Not(HasSubstr("; stored"))) << r.head;
    EXPECT_THAT(r.headers.get("Cache-Status"), Not(StartsWith(kHit))) << r.head;
  }
  // A plain request would be served anything stored for the URL.
  HttpResponse plain = get(proxy, url);
  EXPECT_EQ(plain.status, c.status) << plain.raw;
  EXPECT_THAT(plain.headers.get("Cache-Status"), Not(StartsWith(kHit))) << plain.head;
  EXPECT_EQ(countRequests(origin, "/r"), 3u) << "a response was served from the cache";
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheNotStored, ::testing::ValuesIn(notStoredCases()),
                         [](const auto& p) { return std::string(p.param.name); });

// RFC 9111 3.5 allows a shared cache to store a response to a request with Authorization
// when it has s-maxage (or public, or must-revalidate); the issue asks for these rules.
TEST(CacheAuthorization, ResponseWithSMaxageToAnAuthorizedRequestIsStored) {
  OriginServer origin(
      OriginServer::always(okResponse("shared", "Cache-Control: s-maxage=3600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string auth = "Authorization: Basic dXNlcjpwYXNz\r\n";
  HttpResponse first = get(proxy, origin.url("/auth"), auth);
  EXPECT_EQ(first.status, 200);
  EXPECT_THAT(first.headers.get("Cache-Status"), HasSubstr("; stored")) << first.head;
  HttpResponse second = get(proxy, origin.url("/auth"), auth);
  EXPECT_EQ(second.body, "shared");
  EXPECT_THAT(second.headers.get("Cache-Status"), StartsWith(kHit)) << second.head;
  EXPECT_EQ(countRequests(origin, "/auth"), 1u);
}

TEST(CacheNotStoredMethod, PostResponseIsNotStoredForALaterGet) {
  OriginServer origin(
      OriginServer::always(okResponse("posted", "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/p"), "Content-Length: 3\r\n", "POST") + "abc");
  HttpResponse post = c.readResponse();
  EXPECT_EQ(post.status, 200) << post.raw;
  EXPECT_THAT(post.headers.get("Cache-Status"), Not(HasSubstr("; stored"))) << post.head;
  HttpResponse g = get(proxy, origin.url("/p"));
  EXPECT_EQ(g.status, 200);
  EXPECT_THAT(g.headers.get("Cache-Status"), Not(StartsWith(kHit))) << g.head;
  EXPECT_EQ(countRequests(origin, "/p"), 2u);
}

// With range_offset_limit 0 the client's Range goes to the origin; its 206 is not stored
// (cuttle stores complete responses only): neither a full GET nor the same range hits.
TEST(CacheNotStoredMethod, PartialContentIsNotStored) {
  const std::string full = "0123456789abcdefghij";
  OriginServer origin(scripted([&](const HttpRequest& req) {
    if (req.headers.has("Range")) {
      return response(206, "Partial Content",
                      "Content-Range: bytes 0-4/20\r\nCache-Control: max-age=3600\r\n", "01234");
    }
    return okResponse(full, "Cache-Control: max-age=3600\r\n");
  }));
  CuttleProcess proxy("range_offset_limit 0\n");
  ASSERT_TRUE(proxy.started());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = get(proxy, origin.url("/r"), "Range: bytes=0-4\r\n");
    EXPECT_EQ(r.status, 206) << r.raw;
    EXPECT_EQ(r.body, "01234");
  }
  EXPECT_EQ(countRequests(origin, "/r"), 2u);
  HttpResponse whole = get(proxy, origin.url("/r"));
  EXPECT_EQ(whole.status, 200) << whole.raw;
  EXPECT_EQ(whole.body, full) << "a stored 206 was served as the whole object";
  EXPECT_EQ(countRequests(origin, "/r"), 3u);
  for (const HttpRequest& r : requestsFor(origin, "/r")) EXPECT_FALSE(r.headers.has("If-Range"));
}

TEST(CacheNotStoredMethod, ChunkedBodyOutgrowingMaximumObjectSizeIsPassedOnWhole) {
  const std::string body = patternBody(5, 3 * 1024 * 1024);
  std::vector<std::string> chunks;
  for (size_t at = 0; at < body.size(); at += 100000) chunks.push_back(body.substr(at, 100000));
  OriginServer origin(
      OriginServer::always(chunkedResponse(chunks, "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy("maximum_object_size 1 MB\n");
  ASSERT_TRUE(proxy.started());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = get(proxy, origin.url("/big"));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.complete) << "the response was cut when the fill was abandoned";
    EXPECT_EQ(r.body.size(), body.size());
    EXPECT_TRUE(r.body == body);
  }
  EXPECT_EQ(countRequests(origin, "/big"), 2u) << "an object above maximum_object_size was stored";
}

// ---- responses cut short by the origin --------------------------------------------------------

// The origin's first answer is broken by `first`, every later one is whole.
OriginServer::Handler brokenThenWhole(std::string first, std::string whole) {
  auto served = std::make_shared<std::atomic<int>>(0);
  return [=](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (served->fetch_add(1) == 0) {
        conn.write(first);
        conn.close();
        return;
      }
      if (!conn.write(whole)) return;
    }
  };
}

// First request: a truncated response; then the next request must reach the origin and
// get the whole body, and only that one may be stored.
void expectTruncationNotStored(const std::string& first, const std::string& full_body,
                               std::string_view cache_control_fields) {
  OriginServer origin(brokenThenWhole(first, okResponse(full_body, cache_control_fields)));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse cut = get(proxy, origin.url("/t"));
  EXPECT_EQ(cut.status, 200) << cut.raw;
  EXPECT_FALSE(cut.complete) << "a truncated body must never look complete: " << cut.raw;
  HttpResponse again = get(proxy, origin.url("/t"));
  EXPECT_EQ(again.status, 200) << again.raw;
  EXPECT_TRUE(again.complete) << again.raw;
  EXPECT_EQ(again.body, full_body) << "the truncated response was served from the cache";
  EXPECT_THAT(again.headers.get("Cache-Status"), Not(StartsWith(kHit))) << again.head;
  EXPECT_EQ(countRequests(origin, "/t"), 2u);
  // The whole one is stored.
  HttpResponse hit = get(proxy, origin.url("/t"));
  EXPECT_EQ(hit.body, full_body);
  EXPECT_THAT(hit.headers.get("Cache-Status"), StartsWith(kHit)) << hit.head;
  EXPECT_EQ(countRequests(origin, "/t"), 2u);
}

TEST(CacheTruncation, ContentLengthShortfallIsNeverServedFromTheCache) {
  const std::string body = patternBody(1, 1000);
  expectTruncationNotStored(
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=3600\r\n\r\n" +
          body.substr(0, 10),
      body, "Cache-Control: max-age=3600\r\n");
}

TEST(CacheTruncation, LargeContentLengthShortfallIsNeverServedFromTheCache) {
  // Several fill chunks (64 KiB) already passed on before the cut.
  const std::string body = patternBody(2, 300 * 1024);
  expectTruncationNotStored(
      "HTTP/1.1 200 OK\r\nContent-Length: 307200\r\n"
      "Cache-Control: max-age=3600\r\n\r\n" +
          body.substr(0, 200 * 1024),
      body, "Cache-Control: max-age=3600\r\n");
}

TEST(CacheTruncation, ChunkedWithoutLastChunkIsNeverServedFromTheCache) {
  expectTruncationNotStored(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=3600\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n",
      "hello world", "Cache-Control: max-age=3600\r\n");
}

TEST(CacheTruncation, ChunkedCutInsideChunkDataIsNeverServedFromTheCache) {
  expectTruncationNotStored(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=3600\r\n\r\n"
      "b\r\nhello",
      "hello world", "Cache-Control: max-age=3600\r\n");
}

TEST(CacheTruncation, CloseDelimitedResponseIsNeverStored) {
  // A body that ends with the connection cannot be told from a truncated one.
  OriginServer origin([](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\n\r\nuntil close");
    conn.close();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = get(proxy, origin.url("/close"));
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body, "until close");
    EXPECT_THAT(r.headers.get("Cache-Status"), Not(HasSubstr("; stored"))) << r.head;
    EXPECT_THAT(r.headers.get("Cache-Status"), Not(StartsWith(kHit))) << r.head;
  }
  EXPECT_EQ(countRequests(origin, "/close"), 2u);
}

// A client that goes away mid-body does not leave a partial object behind: the next
// request gets the whole body, from the origin or from a completed fill.
TEST(CacheTruncation, ClientAbortNeverLeavesAPartialObject) {
  const std::string body = patternBody(3, 256 * 1024);
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      std::string whole = okResponse(body, "Cache-Control: max-age=3600\r\n");
      if (conn.index() == 0) {
        const size_t half = whole.size() / 2;
        if (!conn.write(std::string_view(whole).substr(0, half))) return;
        rest.wait();
        if (!conn.write(std::string_view(whole).substr(half))) return;
      } else if (!conn.write(whole)) {
        return;
      }
    }
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  {
    RawClient c(proxy.port());
    c.send(getRequest(origin.url("/abort")));
    std::string head;
    ASSERT_TRUE(c.stream().readUntil("\r\n\r\n", &head, "the response head"));
    std::string some;
    ASSERT_TRUE(c.stream().readExactly(1000, &some, "some body"));
    c.close();
  }
  rest.open();
  HttpResponse r = get(proxy, origin.url("/abort"));
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body) << "a partial or mixed body was served";
}

// Issue 3: a client abort does not cancel filling the cache when the object is worth
// finishing (squid's quick_abort: at most quick_abort_max, 16 KB by default, left to read).
TEST(CacheTruncation, ClientAbortNearTheEndStillFillsTheCache) {
  const std::string body = patternBody(4, 256 * 1024);
  const std::string whole = okResponse(body, "Cache-Control: max-age=3600\r\n");
  const size_t held = 1024;  // the origin holds the last KiB
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    if (!conn.write(std::string_view(whole).substr(0, whole.size() - held))) return;
    rest.wait();
    conn.write(std::string_view(whole).substr(whole.size() - held));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  {
    RawClient c(proxy.port());
    c.send(getRequest(origin.url("/quick")));
    std::string head;
    ASSERT_TRUE(c.stream().readUntil("\r\n\r\n", &head, "the response head"));
    std::string most;
    ASSERT_TRUE(c.stream().readExactly(body.size() - held, &most, "all but the last KiB"));
    c.close();  // the client goes away 1 KiB before the end
  }
  // Let cuttle see the abort before the last KiB arrives: a request on another connection
  // that needs the loop (an only-if-cached miss) is answered after it.
  HttpResponse probe = get(proxy, origin.url("/quick"), "Cache-Control: only-if-cached\r\n");
  EXPECT_NE(probe.status, 200) << "served before the body was complete";
  rest.open();
  HttpResponse r;
  EXPECT_TRUE(pollUntil([&] {
    r = get(proxy, origin.url("/quick"), "Cache-Control: only-if-cached\r\n");
    return r.status == 200;
  })) << "the fill was abandoned with its client: "
      << r.raw.substr(0, 300);
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.body == body) << "the stored body differs";
  EXPECT_EQ(countRequests(origin, "/quick"), 1u);
}

}  // namespace
}  // namespace cuttle::test
