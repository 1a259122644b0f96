// The LMDB store across restarts and crashes (issue 3, Store): objects survive SIGTERM and,
// once committed, SIGKILL; a crash under load never makes cuttle serve a wrong body; a
// corrupt store is reported and recreated; large objects stream from the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kHit = std::string(kVisibleHostname) + "; hit";

std::string dataFile(const TempDir& dir) { return dir.path() + "/cache/data.mdb"; }

TEST(CachePersistence, ObjectIsAHitAfterARestart) {
  TempDir dir;
  // A directory that does not exist yet: created on start.
  const std::string config = "cache_dir lmdb " + dir.path() + "/not/yet/there 64\n";
  OriginServer origin(OriginServer::always(
      okResponse("kept on disk", "Cache-Control: max-age=3600\r\nETag: \"d\"\r\n")));
  const std::string url = origin.url("/p");
  {
    CuttleProcess proxy(config);
    ASSERT_TRUE(proxy.started());
    HttpResponse first = get(proxy, url);
    EXPECT_EQ(first.body, "kept on disk");
    EXPECT_THAT(first.headers.get("Cache-Status"), HasSubstr("; stored"));
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(config);
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, url);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "kept on disk");
  EXPECT_EQ(r.headers.get("ETag"), "\"d\"");
  EXPECT_TRUE(isDeltaSeconds(r.headers.get("Age"))) << r.head;
  EXPECT_THAT(r.headers.get("Cache-Status"), StartsWith(kHit)) << r.head;
  EXPECT_EQ(countRequests(origin, "/p"), 1u);
  EXPECT_THAT(waitForAccessResults(proxy, 1), ElementsAre("TCP_HIT/200"));
}

TEST(CachePersistence, CommittedObjectSurvivesSigkill) {
  TempDir dir;
  const std::string marker_a = "object-A-" + std::to_string(::getpid()) + "-committed";
  const std::string marker_b = "object-B-" + std::to_string(::getpid()) + "-committed";
  OriginServer origin(
      OriginServer::canned({{"/a", okResponse(marker_a, "Cache-Control: max-age=3600\r\n")},
                            {"/b", okResponse(marker_b, "Cache-Control: max-age=3600\r\n")}}));
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    EXPECT_EQ(get(proxy, origin.url("/a")).body, marker_a);
    // The writer commits in the background. A's bytes in the data file say its transaction
    // has written its pages; B is queued only after that, so once B's bytes are in the file
    // too, A's transaction has finished committing (one writer, transactions in order).
    ASSERT_TRUE(pollUntil([&] { return fileContains(dataFile(dir), marker_a); }))
        << "object A never reached the data file";
    EXPECT_EQ(get(proxy, origin.url("/b")).body, marker_b);
    ASSERT_TRUE(pollUntil([&] { return fileContains(dataFile(dir), marker_b); }))
        << "object B never reached the data file";
    proxy.kill();
  }
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  HttpResponse a = get(proxy, origin.url("/a"), "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(a.status, 200) << "a committed object was lost: " << a.raw;
  EXPECT_EQ(a.body, marker_a);
  HttpResponse b = get(proxy, origin.url("/b"), "Cache-Control: only-if-cached\r\n");
  if (b.status == 200) {
    EXPECT_EQ(b.body, marker_b);
  } else {
    EXPECT_EQ(b.status, 504) << b.raw;
  }
  EXPECT_EQ(countRequests(origin, "/a"), 1u);
}

TEST(CachePersistence, LargeObjectIsStreamedFromTheStoreByteExact) {
  // Above the size loaded whole (4 MiB) and cache_mem's object limit: read chunk by chunk.
  TempDir dir;
  const std::string config = cacheDirLine(dir.path()) + "maximum_object_size 16 MB\n";
  const std::string body = patternBody(31, 5 * 1024 * 1024 + 123);
  OriginServer origin(OriginServer::always(okResponse(body, "Cache-Control: max-age=3600\r\n")));
  const std::string url = origin.url("/large");
  {
    CuttleProcess proxy(config);
    ASSERT_TRUE(proxy.started());
    HttpResponse first = get(proxy, url);
    EXPECT_TRUE(first.body == body);
    EXPECT_THAT(first.headers.get("Cache-Status"), HasSubstr("; stored")) << first.head;
    HttpResponse hit = get(proxy, url);
    EXPECT_EQ(hit.body.size(), body.size());
    EXPECT_TRUE(hit.body == body) << "the streamed hit differs";
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(config);
  ASSERT_TRUE(proxy.started());
  HttpResponse hit = get(proxy, url);
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(hit.headers.get("Content-Length"), std::to_string(body.size())) << hit.head;
  EXPECT_EQ(hit.body.size(), body.size());
  EXPECT_TRUE(hit.body == body) << "the streamed hit differs after a restart";
  HttpResponse range = get(proxy, url, "Range: bytes=4194000-4194999\r\n");
  EXPECT_EQ(range.status, 206) << range.head;
  EXPECT_TRUE(range.body == body.substr(4194000, 1000));
  EXPECT_EQ(countRequests(origin, "/large"), 1u);
}

TEST(CachePersistence, HeadersRefreshedBy304AreKeptAcrossARestart) {
  TempDir dir;
  std::atomic<int> served{0};
  OriginServer origin(scripted([&](const HttpRequest&) {
    if (served.fetch_add(1) == 0) {
      return okResponse("same body", "Cache-Control: max-age=0\r\nETag: \"u\"\r\nX-Version: 1\r\n");
    }
    return std::string(
        "HTTP/1.1 304 Not Modified\r\nETag: \"u\"\r\nCache-Control: max-age=3600\r\n"
        "X-Version: 2\r\n\r\n");
  }));
  const std::string url = origin.url("/u");
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    EXPECT_EQ(get(proxy, url).headers.get("X-Version"), "1");
    HttpResponse refreshed = get(proxy, url);
    EXPECT_EQ(refreshed.body, "same body");
    EXPECT_EQ(refreshed.headers.get("X-Version"), "2");
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, url, "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 200) << "the refreshed entry is not fresh after a restart: " << r.raw;
  EXPECT_EQ(r.body, "same body");
  EXPECT_EQ(r.headers.get("X-Version"), "2") << r.head;
  EXPECT_EQ(r.headers.get("Content-Length"), "9") << r.head;
  EXPECT_EQ(countRequests(origin, "/u"), 2u);
}

TEST(CachePersistence, PurgeTakesEffectAtOnceWithAStore) {
  TempDir dir;
  std::atomic<int> served{0};
  OriginServer origin(scripted([&](const HttpRequest&) {
    return okResponse("copy #" + std::to_string(served.fetch_add(1) + 1),
                      "Cache-Control: max-age=3600\r\n");
  }));
  CuttleProcess proxy(cacheDirLine(dir.path()));
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/p");
  EXPECT_EQ(get(proxy, url).body, "copy #1");
  EXPECT_EQ(get(proxy, url).body, "copy #1");
  EXPECT_EQ(fetch(proxy.port(), getRequest(url, "", "PURGE")).status, 200);
  // The store's removal may not have committed yet: it must hide the object all the same.
  HttpResponse r = get(proxy, url, "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 504) << "the purged object is still served: " << r.raw;
  EXPECT_EQ(get(proxy, url).body, "copy #2");
  EXPECT_EQ(get(proxy, url).body, "copy #2");
}

// ---- crash under load -------------------------------------------------------------------------

struct CrashObject {
  std::string path;
  std::string body;
  bool chunked = false;
};

std::vector<CrashObject> crashObjects(int n) {
  std::vector<CrashObject> out;
  for (int i = 0; i < n; ++i) {
    CrashObject o;
    o.path = "/obj/" + std::to_string(i);
    const size_t size = i % 37 == 0 ? 0 : (static_cast<uint64_t>(i) * 2654435761u) % (300 * 1024);
    o.body = patternBody(1000 + static_cast<uint64_t>(i), size);
    o.chunked = i % 3 == 0;
    out.push_back(std::move(o));
  }
  return out;
}

std::string crashResponse(const CrashObject& o, int i) {
  const std::string fields =
      "Cache-Control: max-age=86400\r\nETag: \"" + std::to_string(i) + "\"\r\n";
  if (!o.chunked) return okResponse(o.body, fields);
  std::vector<std::string> chunks;
  const size_t step = static_cast<size_t>(i * 131 % 50000) + 1;
  for (size_t at = 0; at < o.body.size(); at += step) chunks.push_back(o.body.substr(at, step));
  return chunkedResponse(chunks, fields);
}

// Param: the store's size in MB. 64 holds most of the load (~45 MB of bodies); 12 makes
// the writer evict all along, so that the kill also hits eviction transactions.
class CacheCrash : public ::testing::TestWithParam<int> {};

TEST_P(CacheCrash, SigkillUnderLoadNeverServesAWrongBody) {
  constexpr int kObjects = 300;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 80;  // 480 requests: every object once, some twice
  constexpr int kKillAfter = 240;
  const std::vector<CrashObject> objects = crashObjects(kObjects);
  std::vector<std::string> responses;
  for (int i = 0; i < kObjects; ++i) responses.push_back(crashResponse(objects[i], i));
  OriginServer origin(scripted([&](const HttpRequest& req) {
    for (int i = 0; i < kObjects; ++i) {
      if (objects[static_cast<size_t>(i)].path == req.target)
        return responses[static_cast<size_t>(i)];
    }
    return response(404, "Not Found", "", "no such object");
  }));
  TempDir dir;
  const std::string config =
      "cache_dir lmdb " + dir.path() + "/cache " + std::to_string(GetParam()) + "\n";
  {
    CuttleProcess proxy(config);
    ASSERT_TRUE(proxy.started());
    const pid_t pid = proxy.pid();
    std::atomic<int> completed{0};
    std::atomic<bool> killed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        // One keep-alive connection per thread: after the kill nothing reconnects.
        RawClient c(proxy.port());
        for (int k = 0; k < kPerThread && !killed.load(); ++k) {
          const int j = t + kThreads * k;
          const size_t i = static_cast<size_t>(j * 7919 % kObjects);
          c.send(getRequest(origin.url(objects[i].path)));
          HttpResponse r = c.readResponse();
          if (killed.load()) break;  // cut by the kill: anything goes
          EXPECT_EQ(r.status, 200) << objects[i].path << ": " << r.head;
          EXPECT_TRUE(r.complete) << objects[i].path;
          EXPECT_TRUE(r.body == objects[i].body) << "wrong body for " << objects[i].path;
          if (completed.fetch_add(1) + 1 == kKillAfter) {
            killed.store(true);
            ::kill(pid, SIGKILL);
          }
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_TRUE(killed.load()) << "the load ended before the kill";
    proxy.kill();  // reaps
  }
  const size_t origin_requests = origin.requests().size();
  CuttleProcess proxy(config);
  ASSERT_TRUE(proxy.started()) << "cuttle does not start on the store left by SIGKILL";
  RawClient c(proxy.port());
  int hits = 0;
  int misses = 0;
  for (const CrashObject& o : objects) {
    c.send(getRequest(origin.url(o.path), "Cache-Control: only-if-cached\r\n"));
    HttpResponse r = c.readResponse();
    ASSERT_TRUE(r.ok) << o.path << ": " << r.raw.substr(0, 200);
    if (r.status == 504) {
      ++misses;
      continue;
    }
    ASSERT_EQ(r.status, 200) << o.path << ": " << r.head;
    EXPECT_TRUE(r.complete) << o.path;
    EXPECT_EQ(r.body.size(), o.body.size()) << o.path;
    EXPECT_TRUE(r.body == o.body) << "wrong body served for " << o.path << " after the crash";
    ++hits;
  }
  EXPECT_EQ(origin.requests().size(), origin_requests) << "only-if-cached reached the origin";
  EXPECT_GT(hits, 0) << "nothing survived the crash (" << misses << " misses)";
  std::fprintf(stderr, "[crash test] after SIGKILL: %d objects served, %d not cached\n", hits,
               misses);
  // The store still takes writes: a miss is fetched, stored and then hit.
  for (size_t i = 0; i < objects.size(); ++i) {
    HttpResponse r = get(proxy, origin.url(objects[i].path), "Cache-Control: only-if-cached\r\n");
    if (r.status != 504) continue;
    EXPECT_TRUE(get(proxy, origin.url(objects[i].path)).body == objects[i].body);
    HttpResponse hit = get(proxy, origin.url(objects[i].path));
    EXPECT_TRUE(hit.body == objects[i].body);
    EXPECT_THAT(hit.headers.get("Cache-Status"), StartsWith(kHit)) << hit.head;
    break;
  }
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheCrash, ::testing::Values(64, 12),
                         [](const auto& p) { return "StoreMB" + std::to_string(p.param); });

// ---- corrupt stores ---------------------------------------------------------------------------

// Starts cuttle on a damaged store: it must start, report the recreation, then store and
// serve (from the disk store, as a restart shows).
void expectRecreated(const TempDir& dir) {
  const std::string config = cacheDirLine(dir.path());
  OriginServer origin(
      OriginServer::always(okResponse("fresh start", "Cache-Control: max-age=3600\r\n")));
  {
    CuttleProcess proxy(config);
    ASSERT_TRUE(proxy.started()) << "cuttle does not start on a damaged store";
    EXPECT_TRUE(proxy.waitForStderr("recreating")) << proxy.stderrText();
    EXPECT_EQ(get(proxy, origin.url("/x")).body, "fresh start");
    HttpResponse hit = get(proxy, origin.url("/x"));
    EXPECT_EQ(hit.body, "fresh start");
    EXPECT_THAT(hit.headers.get("Cache-Status"), StartsWith(kHit)) << hit.head;
    EXPECT_EQ(proxy.stop(), 0);
  }
  CuttleProcess proxy(config);
  ASSERT_TRUE(proxy.started());
  HttpResponse r = get(proxy, origin.url("/x"), "Cache-Control: only-if-cached\r\n");
  EXPECT_EQ(r.status, 200) << "the recreated store does not persist: " << r.raw;
  EXPECT_EQ(r.body, "fresh start");
  EXPECT_EQ(countRequests(origin, "/x"), 1u);
}

TEST(CacheCorruptStore, GarbageDataFileIsRecreated) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/cache");
  dir.write("cache/data.mdb", patternBody(41, 1024 * 1024));
  expectRecreated(dir);
}

TEST(CacheCorruptStore, TruncatedDataFileIsRecreated) {
  TempDir dir;
  OriginServer origin(scripted([](const HttpRequest& req) {
    return okResponse(patternBody(std::hash<std::string>()(req.target), 100 * 1024),
                      "Cache-Control: max-age=3600\r\n");
  }));
  {
    CuttleProcess proxy(cacheDirLine(dir.path()));
    ASSERT_TRUE(proxy.started());
    for (int i = 0; i < 20; ++i) get(proxy, origin.url("/fill/" + std::to_string(i)));
    EXPECT_EQ(proxy.stop(), 0);
  }
  const std::string data = dataFile(dir);
  const auto size = std::filesystem::file_size(data);
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(data, size / 4);
  expectRecreated(dir);
}

TEST(CacheCorruptStore, ZeroedDataFileIsRecreated) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/cache");
  dir.write("cache/data.mdb", std::string(256 * 1024, '\0'));
  expectRecreated(dir);
}

}  // namespace
}  // namespace cuttle::test
