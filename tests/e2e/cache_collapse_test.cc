// Collapsed forwarding (issue 3): concurrent requests for the same missing object cause one
// upstream fetch; the others read the body as it is written; when the fetch turns out
// uncacheable or fails, they fetch on their own. No request hangs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;

constexpr int kClients = 10;

std::string workersConfig(int workers) { return "workers " + std::to_string(workers) + "\n"; }

// Sends GET url from n clients, each on its own connection and thread; returns once every
// request is written (the responses are read on the threads: join with finish()).
class Clients {
 public:
  Clients(uint16_t port, const std::string& url, int n) : responses_(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, port, url, i] {
        RawClient c(port);
        c.send(getRequest(url));
        sent_.fetch_add(1);
        responses_[static_cast<size_t>(i)] = c.readResponse();
      });
    }
    EXPECT_TRUE(pollUntil([&] { return sent_.load() == n; })) << "clients could not send";
  }
  ~Clients() { finish(); }
  const std::vector<HttpResponse>& finish() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    return responses_;
  }

 private:
  std::vector<HttpResponse> responses_;
  std::atomic<int> sent_{0};
  std::vector<std::thread> threads_;
};

// With one worker, cuttle's loop reads every connection accepted before a later one: once a
// request sent after all others has reached the origin, the others have been read too.
void barrier(CuttleProcess& proxy, OriginServer& origin) {
  HttpResponse r = get(proxy, origin.url(kSentinelPath));
  EXPECT_EQ(r.status, 200) << r.raw;
}

// The origin holds its answer to /obj until `release` opens; the sentinel is answered at once.
OriginServer::Handler heldOrigin(Gate& release, std::function<std::string(int)> answer) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [&release, answer, count](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.target == kSentinelPath) {
        if (!conn.write(okResponse("sentinel"))) return;
        continue;
      }
      const int n = count->fetch_add(1);
      release.wait();
      std::string out = answer(n);
      if (out.empty()) {
        conn.close();
        return;
      }
      if (!conn.write(out)) return;
    }
  };
}

class CacheCollapsed : public ::testing::TestWithParam<int> {};

TEST_P(CacheCollapsed, ConcurrentMissesReachTheOriginOnce) {
  const int workers = GetParam();
  const std::string body = patternBody(21, 100 * 1024);
  Gate release;
  OriginServer origin(heldOrigin(
      release, [&](int) { return okResponse(body, "Cache-Control: max-age=3600\r\n"); }));
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  Clients clients(proxy.port(), origin.url("/obj"), kClients);
  ASSERT_TRUE(origin.waitForRequests(1));
  if (workers == 1) barrier(proxy, origin);
  release.open();
  const std::vector<HttpResponse>& rs = clients.finish();
  int stored = 0;
  int collapsed = 0;
  for (const HttpResponse& r : rs) {
    EXPECT_EQ(r.status, 200) << r.head;
    EXPECT_TRUE(r.complete) << r.head;
    EXPECT_EQ(r.body.size(), body.size());
    EXPECT_TRUE(r.body == body) << "a client got other bytes";
    const std::string cs = r.headers.get("Cache-Status");
    stored += cs.find("; stored") != std::string::npos ? 1 : 0;
    collapsed += cs.find("; collapsed") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(countRequests(origin, "/obj"), 1u) << "the misses were not collapsed";
  EXPECT_EQ(stored, 1);
  if (workers == 1) {
    EXPECT_EQ(collapsed, kClients - 1) << "followers did not follow the fill";
  }
}

TEST_P(CacheCollapsed, FollowersReceiveTheBodyAsItIsWritten) {
  const int workers = GetParam();
  const std::string body = patternBody(22, 100 * 1024);
  const std::string whole = okResponse(body, "Cache-Control: max-age=3600\r\nAge: 5\r\n");
  const size_t head_size = whole.size() - body.size();
  const size_t half = body.size() / 2;
  Gate second_half;
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (!conn.write(std::string_view(whole).substr(0, head_size + half))) return;
      second_half.wait();
      if (!conn.write(std::string_view(whole).substr(head_size + half))) return;
    }
  });
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  std::vector<std::unique_ptr<RawClient>> clients;
  clients.push_back(std::make_unique<RawClient>(proxy.port()));
  clients[0]->send(getRequest(origin.url("/obj")));
  ASSERT_TRUE(origin.waitForRequests(1));
  for (int i = 1; i < 5; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.port()));
    clients.back()->send(getRequest(origin.url("/obj")));
  }
  // Every client, the leader and the followers, has the head and the first half while the
  // origin still holds the second half.
  std::vector<Fields> heads(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string head;
    ASSERT_TRUE(clients[i]->stream().readUntil("\r\n\r\n", &head, "a response head")) << i;
    std::string first_line;
    std::string error;
    ASSERT_TRUE(parseHead(head, &first_line, &heads[i], &error)) << error;
    EXPECT_EQ(first_line.substr(0, 12), "HTTP/1.1 200") << head;
    EXPECT_EQ(heads[i].get("Content-Length"), std::to_string(body.size())) << head;
    std::string got;
    ASSERT_TRUE(clients[i]->stream().readExactly(half, &got, "the first half of the body"))
        << "client " << i << " did not get the first half before the origin sent the rest";
    EXPECT_TRUE(got == body.substr(0, half)) << "client " << i;
  }
  for (size_t i = 1; i < heads.size(); ++i) {
    EXPECT_THAT(heads[i].get("Cache-Status"), HasSubstr("; collapsed")) << "follower " << i;
    // One Age, computed from the origin's (RFC 9111 4.2.3), never the stored one as well.
    ASSERT_EQ(heads[i].count("Age"), 1u) << "follower " << i;
    ASSERT_TRUE(isDeltaSeconds(heads[i].get("Age"))) << heads[i].get("Age");
    EXPECT_GE(std::stoll(heads[i].get("Age")), 5);
  }
  second_half.open();
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string rest;
    ASSERT_TRUE(clients[i]->stream().readExactly(body.size() - half, &rest, "the second half"));
    EXPECT_TRUE(rest == body.substr(half)) << "client " << i;
  }
  EXPECT_EQ(countRequests(origin, "/obj"), 1u);
  // And the object is complete in the cache.
  HttpResponse hit = get(proxy, origin.url("/obj"));
  EXPECT_TRUE(hit.body == body);
  EXPECT_EQ(countRequests(origin, "/obj"), 1u);
}

TEST_P(CacheCollapsed, UncacheableResponseSendsFollowersToTheOriginOnTheirOwn) {
  const int workers = GetParam();
  Gate release;
  OriginServer origin(heldOrigin(release, [](int n) {
    return okResponse("not for sharing #" + std::to_string(n), "Cache-Control: no-store\r\n");
  }));
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  Clients clients(proxy.port(), origin.url("/obj"), kClients);
  ASSERT_TRUE(origin.waitForRequests(1));
  if (workers == 1) barrier(proxy, origin);
  release.open();
  std::set<std::string> bodies;
  for (const HttpResponse& r : clients.finish()) {
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_TRUE(r.complete) << r.raw;
    EXPECT_THAT(r.body, ::testing::StartsWith("not for sharing #")) << r.raw;
    bodies.insert(r.body);
  }
  // Each client got an answer of its own from the origin.
  EXPECT_EQ(countRequests(origin, "/obj"), static_cast<size_t>(kClients));
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kClients)) << "a no-store body was shared";
}

TEST_P(CacheCollapsed, FailedFetchSendsFollowersToTheOriginOnTheirOwn) {
  const int workers = GetParam();
  Gate release;
  // The first fetch dies without an answer; the later ones succeed.
  OriginServer origin(heldOrigin(release, [](int n) {
    return n == 0 ? std::string() : okResponse("second try", "Cache-Control: max-age=3600\r\n");
  }));
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  Clients clients(proxy.port(), origin.url("/obj"), kClients);
  ASSERT_TRUE(origin.waitForRequests(1));
  if (workers == 1) barrier(proxy, origin);
  release.open();
  int failed = 0;
  for (const HttpResponse& r : clients.finish()) {
    ASSERT_TRUE(r.ok) << "a client got no answer: " << r.raw;
    EXPECT_TRUE(r.complete) << r.raw;
    if (r.status == 502) {
      ++failed;
    } else {
      EXPECT_EQ(r.status, 200) << r.raw;
      EXPECT_EQ(r.body, "second try");
    }
  }
  EXPECT_LE(failed, 1) << "followers shared the leader's failure";
}

TEST_P(CacheCollapsed, FetchCutMidBodyIsCutForTheFollowersToo) {
  const int workers = GetParam();
  const std::string body = patternBody(23, 100 * 1024);
  const std::string whole = okResponse(body, "Cache-Control: max-age=3600\r\n");
  const size_t cut = whole.size() - body.size() / 2;
  Gate die;
  OriginServer origin([&](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    if (conn.index() == 0) {
      conn.write(std::string_view(whole).substr(0, cut));
      die.wait();
      conn.close();
      return;
    }
    conn.write(whole);
    conn.waitForPeerClose();
  });
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.port()));
    clients.back()->send(getRequest(origin.url("/obj")));
    if (i == 0) {
      ASSERT_TRUE(origin.waitForRequests(1));
    }
  }
  // Everyone has started receiving the response before the origin dies.
  for (auto& c : clients) {
    std::string head;
    ASSERT_TRUE(c->stream().readUntil("\r\n\r\n", &head, "a response head"));
  }
  die.open();
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string rest;
    EXPECT_TRUE(clients[i]->stream().readToEof(&rest, "the connection to close"))
        << "client " << i << " hangs";
    EXPECT_LT(rest.size(), body.size()) << "client " << i << " got a complete-looking body";
    EXPECT_TRUE(rest == body.substr(0, rest.size())) << "client " << i << " got other bytes";
  }
  // Nothing partial was stored: the next request fetches the whole body.
  HttpResponse again = get(proxy, origin.url("/obj"));
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.complete);
  EXPECT_TRUE(again.body == body);
}

TEST_P(CacheCollapsed, FollowersOfAnotherVariantFetchTheirOwn) {
  // The fill turns out to vary on Accept-Encoding: a follower that asked for another
  // encoding must not get the leader's variant.
  const int workers = GetParam();
  Gate release;
  OriginServer origin([&release](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.target == kSentinelPath) {
        if (!conn.write(okResponse("sentinel"))) return;
        continue;
      }
      release.wait();
      if (!conn.write(okResponse("encoded as " + req.headers.get("Accept-Encoding"),
                                 "Cache-Control: max-age=3600\r\nVary: Accept-Encoding\r\n"))) {
        return;
      }
    }
  });
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  RawClient leader(proxy.port());
  leader.send(getRequest(origin.url("/obj"), "Accept-Encoding: gzip\r\n"));
  ASSERT_TRUE(origin.waitForRequests(1));
  std::vector<std::unique_ptr<RawClient>> others;
  for (const char* enc : {"br", "gzip", "br"}) {
    others.push_back(std::make_unique<RawClient>(proxy.port()));
    others.back()->send(
        getRequest(origin.url("/obj"), "Accept-Encoding: " + std::string(enc) + "\r\n"));
  }
  if (workers == 1) barrier(proxy, origin);
  release.open();
  EXPECT_EQ(leader.readResponse().body, "encoded as gzip");
  EXPECT_EQ(others[0]->readResponse().body, "encoded as br");
  EXPECT_EQ(others[1]->readResponse().body, "encoded as gzip");
  EXPECT_EQ(others[2]->readResponse().body, "encoded as br");
}

TEST_P(CacheCollapsed, StaleEntryIsRevalidatedOnceForConcurrentRequests) {
  // Issue 3: concurrent requests for a missing *or stale* object cause one upstream fetch.
  const int workers = GetParam();
  Gate release;
  std::atomic<int> served{0};
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      std::string out = okResponse("sentinel");
      if (req.target != kSentinelPath) {
        if (served.fetch_add(1) == 0) {
          out = okResponse("stale copy", "Cache-Control: max-age=0\r\nETag: \"v1\"\r\n");
        } else {
          release.wait();
          out = "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=3600\r\n\r\n";
        }
      }
      if (!conn.write(out)) return;
    }
  });
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(get(proxy, origin.url("/obj")).body, "stale copy");
  Clients clients(proxy.port(), origin.url("/obj"), kClients);
  ASSERT_TRUE(origin.waitForRequests(2));
  if (workers == 1) barrier(proxy, origin);
  release.open();
  for (const HttpResponse& r : clients.finish()) {
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body, "stale copy");
  }
  EXPECT_EQ(countRequests(origin, "/obj"), 2u) << "the stale entry was revalidated more than once";
}

TEST_P(CacheCollapsed, FollowersOfAChunkedFillGetTheirOwnFraming) {
  // The origin's body has no length: an HTTP/1.1 follower gets chunks ending with the last
  // chunk, an HTTP/1.0 follower a body delimited by the close, and a follower whose
  // If-None-Match matches gets a 304 once the object is complete.
  const int workers = GetParam();
  const std::string first = patternBody(24, 30000);
  const std::string second = patternBody(25, 20000);
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    const std::string whole =
        chunkedResponse({first, second}, "Cache-Control: max-age=3600\r\nETag: \"c\"\r\n");
    const size_t cut = whole.find(second) - 8;  // inside the framing, before the 2nd chunk
    if (!conn.write(std::string_view(whole).substr(0, cut))) return;
    rest.wait();
    conn.write(std::string_view(whole).substr(cut));
    conn.waitForPeerClose();
  });
  CuttleProcess proxy(workersConfig(workers));
  ASSERT_TRUE(proxy.started());
  RawClient leader(proxy.port());
  leader.send(getRequest(origin.url("/obj")));
  ASSERT_TRUE(origin.waitForRequests(1));
  RawClient v11(proxy.port());
  v11.send(getRequest(origin.url("/obj")));
  RawClient v10(proxy.port());
  v10.send(getRequest(origin.url("/obj"), "", "GET", "HTTP/1.0"));
  RawClient conditional(proxy.port());
  conditional.send(getRequest(origin.url("/obj"), "If-None-Match: \"c\"\r\n"));
  // Both plain followers get the head and the first chunk's bytes before the rest exists.
  std::string h11;
  std::string h10;
  ASSERT_TRUE(v11.stream().readUntil("\r\n\r\n", &h11, "the 1.1 follower's head"));
  ASSERT_TRUE(v10.stream().readUntil("\r\n\r\n", &h10, "the 1.0 follower's head"));
  std::string early10;
  EXPECT_TRUE(v10.stream().readExactly(first.size(), &early10, "the first chunk's bytes"))
      << "the 1.0 follower did not get the first chunk before the rest was sent";
  rest.open();
  HttpResponse l = leader.readResponse();
  EXPECT_TRUE(l.body == first + second);
  // 1.1: the head was taken off the stream; read the chunked body that follows.
  std::string raw;
  std::string body;
  Fields trailers;
  bool last = false;
  std::string error;
  EXPECT_THAT(h11, HasSubstr("Transfer-Encoding: chunked")) << h11;
  EXPECT_TRUE(readChunkedBody(v11.stream(), &raw, &body, &trailers, &last, &error)) << error;
  EXPECT_TRUE(last) << "no last chunk for the 1.1 follower";
  EXPECT_TRUE(body == first + second) << "the 1.1 follower's body differs";
  // 1.0: no chunk framing, the body ends with the connection.
  EXPECT_EQ(h10.find("Transfer-Encoding"), std::string::npos) << h10;
  std::string body10;
  EXPECT_TRUE(v10.stream().readToEof(&body10, "the 1.0 follower's body to end"));
  body10 = early10 + body10;
  EXPECT_TRUE(body10 == first + second) << "the 1.0 follower's body differs";
  HttpResponse c = conditional.readResponse();
  EXPECT_EQ(c.status, 304) << c.head;
  EXPECT_EQ(countRequests(origin, "/obj"), 1u);
}

TEST_P(CacheCollapsed, FollowersGetTheWholeBodyWhenTheFillOutgrowsMaximumObjectSize) {
  // A chunked body turns out larger than maximum_object_size after followers have started
  // receiving it: the fill is abandoned, but the origin's response is fine, so every
  // client must still get all of it (issue 3: an uncacheable fetch sends followers to the
  // origin on their own; a follower must never pay for the cache's decision).
  const int workers = GetParam();
  const std::string body = patternBody(26, 2 * 1024 * 1024);
  const std::string whole = chunkedResponse({body.substr(0, 512 * 1024), body.substr(512 * 1024)},
                                            "Cache-Control: max-age=3600\r\n");
  const size_t cut = whole.size() - (body.size() - 512 * 1024) - 64;
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (conn.index() == 0) {
        if (!conn.write(std::string_view(whole).substr(0, cut))) return;
        rest.wait();
        if (!conn.write(std::string_view(whole).substr(cut))) return;
      } else if (!conn.write(whole)) {
        return;
      }
    }
  });
  CuttleProcess proxy(workersConfig(workers) + "maximum_object_size 1 MB\n");
  ASSERT_TRUE(proxy.started());
  RawClient leader(proxy.port());
  leader.send(getRequest(origin.url("/big")));
  ASSERT_TRUE(origin.waitForRequests(1));
  std::vector<std::unique_ptr<RawClient>> followers;
  for (int i = 0; i < 3; ++i) {
    followers.push_back(std::make_unique<RawClient>(proxy.port()));
    followers.back()->send(getRequest(origin.url("/big")));
  }
  for (auto& f : followers) {
    std::string head;
    ASSERT_TRUE(f->stream().readUntil("\r\n\r\n", &head, "a follower's head"));
    f->stream().fill("the first body bytes");
  }
  rest.open();
  HttpResponse l = leader.readResponse();
  EXPECT_TRUE(l.complete);
  EXPECT_TRUE(l.body == body) << "the leader's body differs";
  for (size_t i = 0; i < followers.size(); ++i) {
    std::string raw;
    std::string got;
    Fields trailers;
    bool last = false;
    std::string error;
    EXPECT_TRUE(readChunkedBody(followers[i]->stream(), &raw, &got, &trailers, &last, &error))
        << "follower " << i << ": " << error << " after " << got.size() << " bytes";
    EXPECT_TRUE(got == body) << "follower " << i << " got " << got.size() << " bytes";
  }
}

TEST(CacheCollapsedBackpressure, AFollowerTakesTheBodyAsItsClientReads) {
  // A follower whose client reads nothing takes no more of the fill than its write
  // watermark: its exchange is not over, and not logged, when the leader's is; it ends
  // once the client has read everything, complete and identical.
  const std::string body = patternBody(27, 24 * 1024 * 1024);
  const std::string whole = okResponse(body, "Cache-Control: max-age=3600\r\n");
  const size_t head_and_some = whole.size() - body.size() + 1024 * 1024;
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    for (;;) {
      HttpRequest req = conn.readRequest();
      if (!req.ok) return;
      if (req.target == kSentinelPath) {
        if (!conn.write(okResponse("sentinel", "Cache-Control: no-store\r\n"))) return;
        continue;
      }
      if (!conn.write(std::string_view(whole).substr(0, head_and_some))) return;
      rest.wait();
      if (!conn.write(std::string_view(whole).substr(head_and_some))) return;
    }
  });
  CuttleProcess proxy("workers 1\nmaximum_object_size 64 MB\n");
  ASSERT_TRUE(proxy.started());
  RawClient leader(proxy.port());
  leader.send(getRequest(origin.url("/big")));
  ASSERT_TRUE(origin.waitForRequests(1));
  RawClient follower(proxy.port());
  follower.send(getRequest(origin.url("/big")));
  barrier(proxy, origin);  // one worker: the follower's request has been read
  rest.open();
  HttpResponse l = leader.readResponse();
  ASSERT_TRUE(l.complete);
  ASSERT_TRUE(l.body == body);
  barrier(proxy, origin);
  ASSERT_TRUE(proxy.waitForAccessLogLines(3));  // barrier, leader, barrier
  std::vector<std::string> lines = proxy.accessLogLines();
  size_t big_lines = 0;
  for (const std::string& line : lines) big_lines += line.find("/big ") != std::string::npos;
  EXPECT_EQ(big_lines, 1u) << "the follower's exchange ended while its client read nothing:\n"
                           << proxy.accessLog();
  HttpResponse f = follower.readResponse();
  EXPECT_TRUE(f.complete);
  EXPECT_TRUE(f.body == body) << "the follower got " << f.body.size() << " bytes";
  EXPECT_THAT(f.headers.get("Cache-Status"), HasSubstr("collapsed"));
  EXPECT_TRUE(proxy.waitForAccessLogLines(4));
  EXPECT_EQ(countRequests(origin, "/big"), 1u);
}

TEST(CacheCollapsedBackpressure, ASlowFollowerOfAnOverflowingFillGetsEveryByte) {
  // A chunked response outgrows maximum_object_size while a follower streams it: the fill
  // keeps only a window of the body, and the leader reads from the origin no faster than
  // the slowest follower, so a follower that reads far slower than the leader is never cut.
  const std::string body = patternBody(28, 40 * 1024 * 1024);
  const size_t first = 256 * 1024;  // below maximum_object_size: followers start on it
  const std::string whole = chunkedResponse({body.substr(0, first), body.substr(first)},
                                            "Cache-Control: max-age=3600\r\n");
  const size_t cut = whole.find(body.substr(first, 64)) - 16;  // within the second chunk-size line
  Gate rest;
  OriginServer origin([&](OriginConnection& conn) {
    HttpRequest req = conn.readRequest();
    if (!req.ok) return;
    if (!conn.write(std::string_view(whole).substr(0, cut))) return;
    rest.wait();
    conn.write(std::string_view(whole).substr(cut));
  });
  CuttleProcess proxy("workers 1\nmaximum_object_size 1 MB\n");
  ASSERT_TRUE(proxy.started());
  RawClient leader(proxy.port());
  leader.send(getRequest(origin.url("/big")));
  ASSERT_TRUE(origin.waitForRequests(1));
  RawClient follower(proxy.port());
  follower.send(getRequest(origin.url("/big")));
  std::string head;
  ASSERT_TRUE(follower.stream().readUntil("\r\n\r\n", &head, "the follower's head"));
  EXPECT_THAT(head, HasSubstr("collapsed"));
  rest.open();
  HttpResponse l;
  std::thread fast([&] { l = leader.readResponse(); });
  // The follower reads with pauses: far behind the leader if nothing held the leader back
  // (40 MiB against a 16 MiB window).
  for (int reads = 1; !follower.stream().received().ends_with("\r\n0\r\n\r\n"); ++reads) {
    if (!follower.stream().fill("the follower's body")) break;
    if (reads % 16 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  fast.join();
  EXPECT_TRUE(l.complete);
  EXPECT_TRUE(l.body == body) << "the leader got " << l.body.size() << " bytes";
  std::string raw;
  std::string got;
  Fields trailers;
  bool last = false;
  std::string error;
  EXPECT_TRUE(readChunkedBody(follower.stream(), &raw, &got, &trailers, &last, &error)) << error;
  EXPECT_TRUE(last);
  EXPECT_EQ(got.size(), body.size());
  EXPECT_TRUE(got == body) << "the follower's bytes differ";
  EXPECT_EQ(countRequests(origin, "/big"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheCollapsed, ::testing::Values(1, 2),
                         [](const auto& p) { return "Workers" + std::to_string(p.param); });

}  // namespace
}  // namespace cuttle::test
