// Range requests answered from a stored response (RFC 9110 14, 13.1.5 If-Range), fetching
// the whole object on a miss so that the next range hits; Vary (RFC 9111 4.1): variants
// stored side by side.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

const std::string kHit = std::string(kVisibleHostname) + "; hit";

// 1000 printable bytes, all positions distinguishable in failure messages.
std::string rangeBody() {
  std::string out;
  for (int i = 0; i < 1000; ++i) out += static_cast<char>('!' + (i * 7 + i / 94) % 94);
  return out;
}

class CacheRanges : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(proxy_.started()); }
  // Stores the object with a plain GET.
  void store() {
    HttpResponse r = get(proxy_, url_);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body, body_);
  }
  HttpResponse ask(std::string_view fields) { return get(proxy_, url_, fields); }

  const std::string body_ = rangeBody();
  const int64_t now_ = unixNow();
  OriginServer origin_{OriginServer::always(
      okResponse(body_,
                 "Cache-Control: max-age=3600\r\nETag: \"r1\"\r\nContent-Type: text/plain\r\n"
                 "Date: " +
                     httpDate(now_) + "\r\nLast-Modified: " + httpDate(now_ - 86400) + "\r\n"))};
  CuttleProcess proxy_{""};
  const std::string url_ = origin_.url("/range");
};

TEST_F(CacheRanges, SingleRangeIsServedFromTheStoredEntry) {
  store();
  HttpResponse r = ask("Range: bytes=10-19\r\n");
  EXPECT_EQ(r.status, 206) << r.raw;
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 10-19/1000") << r.head;
  EXPECT_EQ(r.headers.get("Content-Length"), "10") << r.head;
  EXPECT_EQ(r.body, body_.substr(10, 10));
  EXPECT_EQ(r.headers.get("ETag"), "\"r1\"");
  EXPECT_THAT(r.headers.get("Cache-Status"), StartsWith(kHit)) << r.head;
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
  EXPECT_THAT(waitForAccessResults(proxy_, 2), ElementsAre("TCP_MISS/200", "TCP_MEM_HIT/206"));
}

TEST_F(CacheRanges, OpenAndSuffixRanges) {
  store();
  HttpResponse open = ask("Range: bytes=990-\r\n");
  EXPECT_EQ(open.status, 206) << open.raw;
  EXPECT_EQ(open.headers.get("Content-Range"), "bytes 990-999/1000");
  EXPECT_EQ(open.body, body_.substr(990));
  HttpResponse suffix = ask("Range: bytes=-5\r\n");
  EXPECT_EQ(suffix.status, 206) << suffix.raw;
  EXPECT_EQ(suffix.headers.get("Content-Range"), "bytes 995-999/1000");
  EXPECT_EQ(suffix.body, body_.substr(995));
  HttpResponse beyond = ask("Range: bytes=500-5000\r\n");
  EXPECT_EQ(beyond.status, 206) << beyond.raw;
  EXPECT_EQ(beyond.headers.get("Content-Range"), "bytes 500-999/1000");
  EXPECT_EQ(beyond.body, body_.substr(500));
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
}

TEST_F(CacheRanges, SeveralRangesAreMultipartByteranges) {
  store();
  HttpResponse r = ask("Range: bytes=0-4,500-509,-3\r\n");
  ASSERT_EQ(r.status, 206) << r.raw;
  EXPECT_FALSE(r.headers.has("Content-Range")) << r.head;
  const std::string type = r.headers.get("Content-Type");
  EXPECT_THAT(type, StartsWith("multipart/byteranges")) << r.head;
  const std::string boundary = boundaryOf(type);
  ASSERT_FALSE(boundary.empty()) << type;
  EXPECT_EQ(r.headers.get("Content-Length"), std::to_string(r.body.size())) << r.head;
  std::vector<BytePart> parts;
  std::string error;
  ASSERT_TRUE(parseByteranges(r.body, boundary, &parts, &error)) << error << "\n" << r.body;
  ASSERT_EQ(parts.size(), 3u) << r.body;
  EXPECT_EQ(parts[0].fields.get("Content-Range"), "bytes 0-4/1000");
  EXPECT_EQ(parts[0].data, body_.substr(0, 5));
  EXPECT_EQ(parts[1].fields.get("Content-Range"), "bytes 500-509/1000");
  EXPECT_EQ(parts[1].data, body_.substr(500, 10));
  EXPECT_EQ(parts[2].fields.get("Content-Range"), "bytes 997-999/1000");
  EXPECT_EQ(parts[2].data, body_.substr(997));
  for (const BytePart& p : parts) EXPECT_EQ(p.fields.get("Content-Type"), "text/plain");
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
}

TEST_F(CacheRanges, UnsatisfiableRangeIs416) {
  store();
  HttpResponse r = ask("Range: bytes=2000-3000\r\n");
  EXPECT_EQ(r.status, 416) << r.raw;
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes */1000") << r.head;
  EXPECT_TRUE(r.complete) << r.raw;
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
}

TEST_F(CacheRanges, IfRangeMatchingETagGivesTheRange) {
  store();
  HttpResponse r = ask("Range: bytes=0-9\r\nIf-Range: \"r1\"\r\n");
  EXPECT_EQ(r.status, 206) << r.raw;
  EXPECT_EQ(r.body, body_.substr(0, 10));
}

TEST_F(CacheRanges, IfRangeMatchingDateGivesTheRange) {
  store();
  HttpResponse r = ask("Range: bytes=0-9\r\nIf-Range: " + httpDate(now_ - 86400) + "\r\n");
  EXPECT_EQ(r.status, 206) << r.raw;
  EXPECT_EQ(r.body, body_.substr(0, 10));
}

TEST_F(CacheRanges, IfRangeNotMatchingGivesTheWholeBody) {
  store();
  HttpResponse r = ask("Range: bytes=0-9\r\nIf-Range: \"r0\"\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, body_);
  HttpResponse weak = ask("Range: bytes=0-9\r\nIf-Range: W/\"r1\"\r\n");
  EXPECT_EQ(weak.status, 200) << "If-Range needs a strong match: " << weak.head;
  EXPECT_EQ(weak.body, body_);
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
}

TEST_F(CacheRanges, RangeOnAMissFetchesTheWholeObjectAndTheNextRangeHits) {
  HttpResponse r = ask("Range: bytes=100-199\r\n");
  EXPECT_EQ(r.status, 206) << r.raw;
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 100-199/1000") << r.head;
  EXPECT_EQ(r.body, body_.substr(100, 100));
  std::vector<HttpRequest> reqs = requestsFor(origin_, "/range");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].headers.has("Range")) << "the whole object is fetched: " << reqs[0].head;
  EXPECT_FALSE(reqs[0].headers.has("If-Range")) << reqs[0].head;
  HttpResponse next = ask("Range: bytes=0-9\r\n");
  EXPECT_EQ(next.status, 206) << next.raw;
  EXPECT_EQ(next.body, body_.substr(0, 10));
  EXPECT_THAT(next.headers.get("Cache-Status"), StartsWith(kHit)) << next.head;
  HttpResponse whole = ask("");
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, body_);
  EXPECT_EQ(countRequests(origin_, "/range"), 1u);
}

TEST(CacheRangesLarge, RangeAcrossStoreChunksIsByteExact) {
  // 600 KiB: several 256 KiB store chunks and 64 KiB fill chunks, from a persistent store.
  TempDir dir;
  const std::string body = patternBody(11, 600 * 1024);
  OriginServer origin(OriginServer::always(okResponse(body, "Cache-Control: max-age=3600\r\n")));
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  ASSERT_EQ(get(proxy, origin.url("/big")).body.size(), body.size());
  HttpResponse r = get(proxy, origin.url("/big"), "Range: bytes=262000-300000\r\n");
  EXPECT_EQ(r.status, 206) << r.head;
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 262000-300000/614400") << r.head;
  EXPECT_TRUE(r.body == body.substr(262000, 38001)) << "range bytes differ";
  HttpResponse m = get(proxy, origin.url("/big"), "Range: bytes=10-19,524280-524300\r\n");
  ASSERT_EQ(m.status, 206) << m.head;
  std::vector<BytePart> parts;
  std::string error;
  ASSERT_TRUE(parseByteranges(m.body, boundaryOf(m.headers.get("Content-Type")), &parts, &error))
      << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[0].data == body.substr(10, 10));
  EXPECT_TRUE(parts[1].data == body.substr(524280, 21));
  EXPECT_EQ(countRequests(origin, "/big"), 1u);
}

// A range request on a miss fetches the whole object only when it can be kept: when the
// object turns out larger than maximum_object_size (from Content-Length, or while a chunked
// body arrives), cuttle asks again with the client's Range. Either way the client gets its
// exact bytes.
class CacheRangesTooLarge : public ::testing::TestWithParam<bool> {};

TEST_P(CacheRangesTooLarge, RangeOnAMissOfAnObjectTooLargeToStoreGetsTheRightBytes) {
  const bool chunked_origin = GetParam();
  const std::string body = patternBody(12, 2 * 1024 * 1024);
  OriginServer origin(scripted([&](const HttpRequest& req) {
    const std::string range = req.headers.get("Range");
    if (range == "bytes=1000-1999") {
      return response(206, "Partial Content",
                      "Content-Range: bytes 1000-1999/" + std::to_string(body.size()) + "\r\n",
                      body.substr(1000, 1000));
    }
    if (!chunked_origin) return okResponse(body, "Cache-Control: max-age=3600\r\n");
    std::vector<std::string> chunks;
    for (size_t at = 0; at < body.size(); at += 65536) chunks.push_back(body.substr(at, 65536));
    return chunkedResponse(chunks, "Cache-Control: max-age=3600\r\n");
  }));
  CuttleProcess proxy("maximum_object_size 1 MB\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, origin.url("/big"), "Range: bytes=1000-1999\r\n");
  ASSERT_TRUE(r.complete) << r.head;
  if (r.status == 206) {
    EXPECT_EQ(r.headers.get("Content-Range"), "bytes 1000-1999/2097152") << r.head;
    EXPECT_TRUE(r.body == body.substr(1000, 1000)) << "wrong range bytes";
  } else {
    EXPECT_EQ(r.status, 200) << r.head;
    EXPECT_TRUE(r.body == body) << "a 200 must carry the whole body";
  }
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheRangesTooLarge, ::testing::Bool(), [](const auto& p) {
  return std::string(p.param ? "ChunkedOrigin" : "ContentLengthOrigin");
});

// ---- Vary ------------------------------------------------------------------------------------

// Answers with a body naming the request's Accept-Encoding, varying on it.
OriginServer::Handler varyingOrigin() {
  return scripted([](const HttpRequest& req) {
    const std::string ae =
        req.headers.has("Accept-Encoding") ? req.headers.get("Accept-Encoding") : "(none)";
    return okResponse("variant for " + ae,
                      "Cache-Control: max-age=3600\r\nVary: Accept-Encoding\r\n");
  });
}

TEST(CacheVary, TwoVariantsAreStoredSideBySide) {
  OriginServer origin(varyingOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/v");
  HttpResponse gz = get(proxy, url, "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(gz.body, "variant for gzip");
  HttpResponse br = get(proxy, url, "Accept-Encoding: br\r\n");
  EXPECT_EQ(br.body, "variant for br");
  EXPECT_EQ(br.headers.get("Cache-Status"),
            std::string(kVisibleHostname) + "; fwd=vary-miss; stored")
      << br.head;
  EXPECT_EQ(countRequests(origin, "/v"), 2u);
  for (int i = 0; i < 2; ++i) {
    HttpResponse g = get(proxy, url, "Accept-Encoding: gzip\r\n");
    EXPECT_EQ(g.body, "variant for gzip");
    EXPECT_THAT(g.headers.get("Cache-Status"), StartsWith(kHit)) << g.head;
    HttpResponse b = get(proxy, url, "Accept-Encoding: br\r\n");
    EXPECT_EQ(b.body, "variant for br");
    EXPECT_THAT(b.headers.get("Cache-Status"), StartsWith(kHit)) << b.head;
  }
  EXPECT_EQ(countRequests(origin, "/v"), 2u);
  // Another value selects no stored variant.
  HttpResponse deflate = get(proxy, url, "Accept-Encoding: deflate\r\n");
  EXPECT_EQ(deflate.body, "variant for deflate");
  EXPECT_EQ(countRequests(origin, "/v"), 3u);
  // No Accept-Encoding at all is a value of its own, too.
  HttpResponse none = get(proxy, url);
  EXPECT_EQ(none.body, "variant for (none)");
  EXPECT_EQ(countRequests(origin, "/v"), 4u);
  HttpResponse none_again = get(proxy, url);
  EXPECT_EQ(none_again.body, "variant for (none)");
  EXPECT_EQ(countRequests(origin, "/v"), 4u);
}

TEST(CacheVary, VariantsSurviveInThePersistentStore) {
  TempDir dir;
  OriginServer origin(varyingOrigin());
  const std::string url = origin.url("/v");
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    EXPECT_EQ(get(proxy, url, "Accept-Encoding: gzip\r\n").body, "variant for gzip");
    EXPECT_EQ(get(proxy, url, "Accept-Encoding: br\r\n").body, "variant for br");
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  HttpResponse b = get(proxy, url, "Accept-Encoding: br\r\n");
  EXPECT_EQ(b.body, "variant for br");
  EXPECT_THAT(b.headers.get("Cache-Status"), StartsWith(kHit)) << b.head;
  HttpResponse g = get(proxy, url, "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(g.body, "variant for gzip");
  EXPECT_THAT(g.headers.get("Cache-Status"), StartsWith(kHit)) << g.head;
  EXPECT_EQ(countRequests(origin, "/v"), 2u);
}

}  // namespace
}  // namespace cuttle::test
