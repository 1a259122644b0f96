// Forwarding rules on the wire (RFC 9110 7.6, RFC 9112 3.2): what the origin receives for a
// request, and what the client receives for a response.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Sends `request` through a fresh cuttle to an origin answering `response`; returns what
// the origin received (the first request) and what the client received.
struct RoundTrip {
  HttpRequest at_origin;
  HttpResponse at_client;
  std::string authority;  // the origin's "127.0.0.1:PORT"
};

RoundTrip roundTrip(const std::function<std::string(const OriginServer&)>& make_request,
                    std::string response = okResponse("ok"), std::string_view method = "GET") {
  OriginServer origin(OriginServer::always(std::move(response)));
  CuttleProcess proxy("");
  RoundTrip out;
  out.authority = origin.authority();
  if (!proxy.started()) return out;
  out.at_client = fetch(proxy.port(), make_request(origin), method);
  auto requests = origin.requests();
  if (!requests.empty()) out.at_origin = requests[0];
  return out;
}

TEST(Forwarding, AbsoluteFormIsSentAsOriginFormWithHttp11) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return "GET " + o.url("/dir/page?q=1&r=%20") + " HTTP/1.1\r\nHost: " + o.authority() +
           "\r\n\r\n";
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_EQ(firstLine(t.at_origin.head), "GET /dir/page?q=1&r=%20 HTTP/1.1");
  EXPECT_EQ(t.at_client.status, 200);
  EXPECT_EQ(t.at_client.body, "ok");
}

TEST(Forwarding, EmptyPathIsSentAsSlash) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return "GET http://" + o.authority() + " HTTP/1.1\r\nHost: " + o.authority() + "\r\n\r\n";
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_EQ(firstLine(t.at_origin.head), "GET / HTTP/1.1");
}

TEST(Forwarding, HostComesFromTheUriAndReplacesADisagreeingHost) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return "GET " + o.url("/") + " HTTP/1.1\r\nHost: elsewhere.example\r\nX-A: 1\r\n\r\n";
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_THAT(t.at_origin.headers.all("Host"), ElementsAre(t.authority));
  EXPECT_THAT(t.at_origin.head, Not(HasSubstr("elsewhere.example")));
}

TEST(Forwarding, ViaIsAppendedToTheRequest) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return getRequest(o.url("/"), "Via: 1.0 downstream-proxy\r\n");
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  std::vector<std::string> via = t.at_origin.headers.all("Via");
  ASSERT_FALSE(via.empty());
  std::string joined;
  for (const std::string& v : via) joined += (joined.empty() ? "" : ", ") + v;
  EXPECT_EQ(joined, "1.0 downstream-proxy, 1.1 " + std::string(kVisibleHostname));
}

TEST(Forwarding, ViaSays10AndRequestLineSays11ForAnHttp10Client) {
  RoundTrip t = roundTrip(
      [](const OriginServer& o) { return getRequest(o.url("/old"), "", "GET", "HTTP/1.0"); });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_EQ(firstLine(t.at_origin.head), "GET /old HTTP/1.1");
  EXPECT_THAT(t.at_origin.headers.all("Via"), ElementsAre("1.0 " + std::string(kVisibleHostname)));
  EXPECT_EQ(t.at_client.version, "HTTP/1.1") << "cuttle speaks HTTP/1.1 in its status line";
}

TEST(Forwarding, HopByHopRequestFieldsAreRemoved) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return getRequest(o.url("/"),
                      "Connection: X-Hop, x-other-hop\r\n"
                      "X-Hop: 1\r\n"
                      "X-Other-Hop: 2\r\n"
                      "Keep-Alive: timeout=5\r\n"
                      "Proxy-Connection: keep-alive\r\n"
                      "TE: trailers\r\n"
                      "Trailer: X-T\r\n"
                      "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                      "X-End-To-End: kept\r\n");
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  const Fields& h = t.at_origin.headers;
  for (const char* name : {"X-Hop", "X-Other-Hop", "Keep-Alive", "Proxy-Connection", "TE",
                           "Trailer", "Proxy-Authorization"}) {
    EXPECT_FALSE(h.has(name)) << name << " was forwarded:\n" << t.at_origin.head;
  }
  for (const std::string& c : h.all("Connection")) {
    EXPECT_FALSE(listHasToken(c, "X-Hop") || listHasToken(c, "x-other-hop"))
        << "the client's Connection field was forwarded: " << c;
  }
  EXPECT_EQ(h.get("X-End-To-End"), "kept");
}

TEST(Forwarding, UpgradeIsRemovedFromAPlainRequest) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return getRequest(o.url("/"), "Upgrade: example/1\r\nX-After: 1\r\n");
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_FALSE(t.at_origin.headers.has("Upgrade")) << t.at_origin.head;
  EXPECT_EQ(t.at_client.status, 200);
}

TEST(Forwarding, EndToEndRequestFieldsCrossUntouchedInOrderWithDuplicates) {
  RoundTrip t = roundTrip([](const OriginServer& o) {
    return getRequest(o.url("/"),
                      "X-B: 1\r\n"
                      "accept: */*\r\n"
                      "X-A: two  spaces\tand tab\r\n"
                      "X-B: 3\r\n"
                      "Cookie: a=1\r\n"
                      "Cookie: b=2\r\n"
                      "x-lower-case: Mixed,Value , x\r\n");
  });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  std::vector<std::string> lines = fieldLines(t.at_origin.head);
  std::vector<std::string> ours;
  for (const std::string& l : lines) {
    for (const char* prefix : {"X-B:", "accept:", "X-A:", "Cookie:", "x-lower-case:"}) {
      if (l.rfind(prefix, 0) == 0) ours.push_back(l);
    }
  }
  EXPECT_THAT(ours, ElementsAre("X-B: 1", "accept: */*", "X-A: two  spaces\tand tab", "X-B: 3",
                                "Cookie: a=1", "Cookie: b=2", "x-lower-case: Mixed,Value , x"))
      << t.at_origin.head;
}

TEST(Forwarding, HopByHopResponseFieldsAreRemoved) {
  RoundTrip t = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                          "HTTP/1.1 200 OK\r\n"
                          "Connection: X-Resp-Hop\r\n"
                          "X-Resp-Hop: 1\r\n"
                          "Keep-Alive: timeout=5, max=100\r\n"
                          "Proxy-Authenticate: Basic realm=\"x\"\r\n"
                          "Proxy-Connection: keep-alive\r\n"
                          "Trailer: X-T\r\n"
                          "Upgrade: example/1\r\n"
                          "X-Kept: yes\r\n"
                          "Content-Length: 2\r\n"
                          "\r\n"
                          "ok");
  ASSERT_TRUE(t.at_client.ok) << t.at_client.error;
  const Fields& h = t.at_client.headers;
  for (const char* name : {"X-Resp-Hop", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection",
                           "Trailer", "Upgrade"}) {
    EXPECT_FALSE(h.has(name)) << name << " reached the client:\n" << t.at_client.head;
  }
  for (const std::string& c : h.all("Connection")) {
    EXPECT_FALSE(listHasToken(c, "X-Resp-Hop")) << c;
  }
  EXPECT_EQ(h.get("X-Kept"), "yes");
  EXPECT_EQ(t.at_client.body, "ok");
}

TEST(Forwarding, EndToEndResponseFieldsCrossUntouchedInOrderWithDuplicates) {
  RoundTrip t = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                          "HTTP/1.1 200 OK\r\n"
                          "Set-Cookie: a=1; Path=/\r\n"
                          "X-Z: z\r\n"
                          "Set-Cookie: b=2\r\n"
                          "cache-control: max-age=0 ,  private\r\n"
                          "Content-Length: 2\r\n"
                          "\r\n"
                          "ok");
  ASSERT_TRUE(t.at_client.ok) << t.at_client.error;
  std::vector<std::string> ours;
  for (const std::string& l : fieldLines(t.at_client.head)) {
    for (const char* prefix : {"Set-Cookie:", "X-Z:", "cache-control:"}) {
      if (l.rfind(prefix, 0) == 0) ours.push_back(l);
    }
  }
  EXPECT_THAT(ours, ElementsAre("Set-Cookie: a=1; Path=/", "X-Z: z", "Set-Cookie: b=2",
                                "cache-control: max-age=0 ,  private"))
      << t.at_client.head;
}

TEST(Forwarding, ResponseViaCarriesTheOriginVersion) {
  RoundTrip t11 =
      roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                "HTTP/1.1 200 OK\r\nVia: 1.1 origin-cdn\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(t11.at_client.ok);
  EXPECT_EQ(t11.at_client.version, "HTTP/1.1");
  std::string joined;
  for (const std::string& v : t11.at_client.headers.all("Via")) {
    joined += (joined.empty() ? "" : ", ") + v;
  }
  EXPECT_EQ(joined, "1.1 origin-cdn, 1.1 " + std::string(kVisibleHostname));

  RoundTrip t10 = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(t10.at_client.ok);
  EXPECT_EQ(firstLine(t10.at_client.head), "HTTP/1.1 200 OK");
  EXPECT_THAT(t10.at_client.headers.all("Via"),
              ElementsAre("1.0 " + std::string(kVisibleHostname)));
  EXPECT_EQ(t10.at_client.body, "ok");
}

TEST(Forwarding, DateIsAddedWhenTheOriginSendsNone) {
  RoundTrip t = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(t.at_client.ok);
  ASSERT_EQ(t.at_client.headers.count("Date"), 1u) << t.at_client.head;
  // IMF-fixdate, RFC 9110 5.6.7.
  EXPECT_TRUE(std::regex_match(
      t.at_client.headers.get("Date"),
      std::regex(
          R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")))
      << t.at_client.headers.get("Date");
}

TEST(Forwarding, DateFromTheOriginIsKept) {
  RoundTrip t = roundTrip(
      [](const OriginServer& o) { return getRequest(o.url("/")); },
      "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(t.at_client.ok);
  EXPECT_THAT(t.at_client.headers.all("Date"), ElementsAre("Sun, 06 Nov 1994 08:49:37 GMT"));
}

TEST(Forwarding, StatusAndReasonPhraseAreForwarded) {
  RoundTrip t = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                          "HTTP/1.1 404 Nope Not Here\r\nContent-Length: 4\r\n\r\nnope");
  ASSERT_TRUE(t.at_client.ok);
  EXPECT_EQ(t.at_client.status, 404);
  EXPECT_EQ(t.at_client.body, "nope");
}

TEST(Forwarding, ResponseTrailersReachAnHttp11Client) {
  RoundTrip t = roundTrip([](const OriginServer& o) { return getRequest(o.url("/")); },
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n");
  ASSERT_TRUE(t.at_client.ok);
  EXPECT_TRUE(t.at_client.complete) << t.at_client.raw;
  EXPECT_EQ(t.at_client.body, "ok");
  EXPECT_EQ(t.at_client.trailers.get("X-Checksum"), "abc") << t.at_client.raw;
}

TEST(Forwarding, MaxForwardsIsDecrementedForTrace) {
  RoundTrip t = roundTrip(
      [](const OriginServer& o) { return getRequest(o.url("/"), "Max-Forwards: 5\r\n", "TRACE"); });
  ASSERT_TRUE(t.at_origin.ok) << t.at_client.raw;
  EXPECT_THAT(t.at_origin.headers.all("Max-Forwards"), ElementsAre("4"));
}

TEST(Forwarding, OptionsWithMaxForwardsZeroIsAnsweredByTheProxy) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r =
      fetch(proxy.port(), getRequest(origin.url("/"), "Max-Forwards: 0\r\n", "OPTIONS"));
  EXPECT_EQ(r.status, 200) << r.raw;
  expectNothingReachedOrigin(proxy, origin);
}

// ---- requests for cuttle itself ---------------------------------------------------------

TEST(LocalRequests, OriginFormForAnUnknownPathIs400AndNeverRoutedByHost) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("GET /index.html HTTP/1.1\r\nHost: " + origin.authority() + "\r\n\r\n");
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_FALSE(r.body.empty()) << "an error names its cause";
  expectNothingReachedOrigin(proxy, origin);
}

TEST(LocalRequests, HealthzAnswers200) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.complete);
}

}  // namespace
}  // namespace cuttle::test
