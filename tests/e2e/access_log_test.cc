// The access log: one line per request in squid's native format,
//   time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

TEST(AccessLog, OneSquidNativeLinePerRequestWithStatusMethodAndUrl) {
  OriginServer origin(
      OriginServer::canned({{"/page", okResponse("<p>hi</p>", "Content-Type: text/html\r\n")},
                            {"/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/page")));
  HttpResponse r1 = c.readResponse();
  EXPECT_EQ(r1.status, 200);
  c.send("POST " + origin.url("/missing") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(c.readResponse().status, 404);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closedLoopbackPort()) + "/x";
  c.send(getRequest(refused));
  EXPECT_EQ(c.readResponse().status, 502);
  ASSERT_TRUE(proxy.waitForAccessLogLines(3));
  std::vector<std::string> lines = proxy.accessLogLines();
  ASSERT_EQ(lines.size(), 3u) << proxy.accessLog();

  SquidLogLine l1 = parseSquidLogLine(lines[0]);
  ASSERT_TRUE(l1.ok) << "not squid native format: " << lines[0];
  EXPECT_EQ(l1.client, "127.0.0.1");
  EXPECT_EQ(l1.status, 200);
  EXPECT_EQ(l1.method, "GET");
  EXPECT_EQ(l1.url, origin.url("/page"));
  EXPECT_EQ(l1.user, "-");
  EXPECT_EQ(l1.hierarchy, "HIER_DIRECT");
  EXPECT_EQ(l1.peer, "127.0.0.1");
  EXPECT_EQ(l1.type, "text/html");
  EXPECT_EQ(l1.bytes, r1.raw.size()) << "bytes sent to the client, head and body";

  SquidLogLine l2 = parseSquidLogLine(lines[1]);
  ASSERT_TRUE(l2.ok) << lines[1];
  EXPECT_EQ(l2.status, 404);
  EXPECT_EQ(l2.method, "POST");
  EXPECT_EQ(l2.url, origin.url("/missing"));

  SquidLogLine l3 = parseSquidLogLine(lines[2]);
  ASSERT_TRUE(l3.ok) << lines[2];
  EXPECT_EQ(l3.status, 502);
  EXPECT_EQ(l3.method, "GET");
  EXPECT_EQ(l3.url, refused);
}

TEST(AccessLog, RejectedRequestIsLoggedWithItsStatus) {
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send("POST " + origin.url("/x") + " HTTP/1.1\r\nHost: " + origin.authority() +
         "\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(c.readResponse().status, 400);
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  std::vector<std::string> lines = proxy.accessLogLines();
  ASSERT_EQ(lines.size(), 1u) << proxy.accessLog();
  SquidLogLine l = parseSquidLogLine(lines[0]);
  ASSERT_TRUE(l.ok) << lines[0];
  EXPECT_EQ(l.status, 400);
  EXPECT_EQ(l.method, "POST");
}

TEST(AccessLog, StdoutDestinationWorks) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("access_log stdio:/dev/stdout\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/std"))).status, 200);
  ASSERT_TRUE(waitForFileLines(proxy.dir() + "/stdout.log", 1));
  std::string out = readFile(proxy.dir() + "/stdout.log");
  SquidLogLine l = parseSquidLogLine(out.substr(0, out.find('\n')));
  EXPECT_TRUE(l.ok) << out;
  EXPECT_EQ(l.url, origin.url("/std"));
}

TEST(AccessLog, NoneWritesNothing) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("access_log none\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  proxy.stop();  // flushes whatever would have been logged (exit status: shutdown_test.cc)
  EXPECT_EQ(readFile(proxy.dir() + "/stdout.log"), "");
  EXPECT_EQ(proxy.accessLogPath(), "") << "the harness added no log of its own";
}

}  // namespace
}  // namespace cuttle::test
