// CONNECT and Upgrade tunnels through the real binary (issue 4; RFC 9110 9.3.6 CONNECT,
// 7.8 Upgrade, 15.2.2 101; RFC 6455 for the WebSocket bytes): 200 Connection established,
// bytes relayed both ways, half-close in each direction, the access log line; refusals
// (403, 502, 400) that close the connection; bytes sent early; WebSocket through a 101;
// an Upgrade answered with a plain response; http_upgrade_request_protocols; bytes
// pipelined after an upgrade request never parsed as HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/cache_origin.h"
#include "tests/support/connect_response.h"
#include "tests/support/socket_stream.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string connectRequest(std::string_view authority, std::string_view extra = "") {
  return "CONNECT " + std::string(authority) + " HTTP/1.1\r\nHost: " + std::string(authority) +
         "\r\n" + std::string(extra) + "\r\n";
}

// Sends CONNECT and reads the answer; asserts the RFC 9110 9.3.6 shape of a 200.
HttpResponse openTunnel(RawClient& c, std::string_view authority) {
  c.send(connectRequest(authority));
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_EQ(r.status, 200) << r.raw;
  // A 2xx to CONNECT has no content and must not carry framing fields.
  EXPECT_FALSE(r.headers.has("Content-Length")) << r.head;
  EXPECT_FALSE(r.headers.has("Transfer-Encoding")) << r.head;
  EXPECT_EQ(r.body, "");
  return r;
}

std::string read(RawClient& c, size_t n) {
  std::string out;
  c.stream().readExactly(n, &out, "bytes through the tunnel");
  return out;
}

// The single access log line (after waiting for it).
SquidLogLine onlyLogLine(CuttleProcess& proxy) {
  if (!proxy.waitForAccessLogLines(1)) return {};
  std::vector<std::string> lines = proxy.accessLogLines();
  EXPECT_EQ(lines.size(), 1u) << proxy.accessLog();
  SquidLogLine l = parseSquidLogLine(lines.empty() ? "" : lines.back());
  EXPECT_TRUE(l.ok) << proxy.accessLog();
  return l;
}

// ---- CONNECT -------------------------------------------------------------------------------

TEST(Tunnel, ConnectRelaysBytesBothWaysAndLogsTunnelWithBytes) {
  const std::string big = patternBody(7, 256 * 1024);
  OriginServer server([&big](OriginConnection& c) {
    std::string hello;
    if (!c.readRaw(5, &hello) || hello != "hello") return;
    c.write("HELLO!");
    std::string data;
    if (!c.readRaw(big.size(), &data)) return;
    c.write(data);  // echo, as large as what came
    c.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  HttpResponse established = openTunnel(c, server.authority());
  ASSERT_EQ(established.status, 200);
  c.send("hello");
  EXPECT_EQ(read(c, 6), "HELLO!");
  c.send(big);
  EXPECT_TRUE(read(c, big.size()) == big) << "the echoed bytes differ";
  c.close();
  ASSERT_TRUE(server.waitForHandlerDone(0));
  EXPECT_EQ(server.received(0), "hello" + big) << "only tunnel data reaches the server";

  SquidLogLine l = onlyLogLine(proxy);
  EXPECT_EQ(l.result + "/" + std::to_string(l.status), "TCP_TUNNEL/200");
  EXPECT_EQ(l.method, "CONNECT");
  EXPECT_EQ(l.url, server.authority());
  // Bytes sent to the client: the 200 head and every relayed byte.
  EXPECT_EQ(l.bytes, established.raw.size() + 6 + big.size());
}

TEST(Tunnel, ClientHalfCloseReachesTheServerWhichCanStillAnswer) {
  OriginServer server([](OriginConnection& c) {
    std::string got;
    if (!c.readRaw(8, &got)) return;
    // The client's FIN arrives as EOF; the way back stays open.
    EXPECT_TRUE(c.waitForPeerClose());
    c.write("answer after your EOF");
    c.closeWrite();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  ASSERT_EQ(openTunnel(c, server.authority()).status, 200);
  c.send("question");
  c.closeWrite();
  EXPECT_EQ(c.readAll(), "answer after your EOF");
  EXPECT_TRUE(c.eofSeen());
  ASSERT_TRUE(server.waitForHandlerDone(0));
  EXPECT_EQ(server.received(0), "question");
}

TEST(Tunnel, ServerHalfCloseReachesTheClientWhichCanStillSend) {
  OriginServer server([](OriginConnection& c) {
    c.write("bye");
    c.closeWrite();
    std::string got;
    EXPECT_TRUE(c.readRaw(9, &got));
    EXPECT_EQ(got, "late data");
    EXPECT_TRUE(c.waitForPeerClose());
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  ASSERT_EQ(openTunnel(c, server.authority()).status, 200);
  std::string rest;
  EXPECT_TRUE(c.stream().waitForEof(&rest)) << "the server's FIN did not reach the client";
  EXPECT_EQ(rest, "bye");
  // The other direction is still open.
  EXPECT_TRUE(c.send("late data"));
  c.closeWrite();
  ASSERT_TRUE(server.waitForHandlerDone(0));
  EXPECT_EQ(server.received(0), "late data");
}

TEST(Tunnel, BytesSentRightAfterTheConnectHeadAreTunnelData) {
  OriginServer server([](OriginConnection& c) {
    std::string got;
    if (c.readRaw(11, &got) && got == "early bytes") c.write("ack");
    c.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(connectRequest(server.authority()) + "early bytes");
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(read(c, 3), "ack");
  c.close();
  ASSERT_TRUE(server.waitForHandlerDone(0));
  EXPECT_EQ(server.received(0), "early bytes");
}

TEST(Tunnel, ConnectToARefusedPortGets403AndTheConnectionCloses) {
  OriginServer ssl(OriginServer::always(okResponse("unused")));
  OriginServer other(sentinelOrigin());
  CuttleProcess proxy("acl SSL_ports port " + std::to_string(ssl.port()) +
                      "\n"
                      "http_access deny CONNECT !SSL_ports\n"
                      "http_access allow all\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  // What follows the head would be tunnel data: it must never be read as a request.
  c.send(connectRequest(other.authority()) + "GET " + other.url("/smuggled") +
         " HTTP/1.1\r\nHost: " + other.authority() + "\r\n\r\n");
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_TRUE(listHasToken(r.headers.get("Connection"), "close")) << r.head;
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << "after the 403: " << extra;
  SquidLogLine l = onlyLogLine(proxy);
  EXPECT_EQ(l.result + "/" + std::to_string(l.status), "TCP_DENIED/403");
  EXPECT_EQ(l.method, "CONNECT");
  expectNothingReachedOrigin(proxy, other);
}

TEST(Tunnel, ConnectToAClosedPortGets502AndTheConnectionCloses) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(connectRequest("127.0.0.1:" + std::to_string(closedLoopbackPort())));
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_EQ(r.status, 502) << r.raw;
  EXPECT_TRUE(c.isClosedByPeer());
}

TEST(Tunnel, ConnectWithContentLengthGets400) {
  OriginServer server(sentinelOrigin());
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(connectRequest(server.authority(), "Content-Length: 5\r\n") + "hello");
  HttpResponse r = readConnectResponse(c.stream());
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_TRUE(c.isClosedByPeer());
  expectNothingReachedOrigin(proxy, server);
}

// ---- Upgrade -------------------------------------------------------------------------------

// RFC 6455 1.3 and 5.7: the handshake example and a masked "Hello" from the client.
constexpr std::string_view kWsKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kWsAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const std::string kMaskedHello("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
const std::string kUnmaskedHello("\x81\x05Hello", 7);
const std::string kUnmaskedBye(
    "\x81\x03"
    "bye",
    5);

std::string upgradeRequest(const OriginServer& origin, std::string_view path) {
  return getRequest(origin.url(path),
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: " +
                        std::string(kWsKey) + "\r\nSec-WebSocket-Version: 13\r\n");
}

TEST(Tunnel, WebSocketEchoThroughUpgrade) {
  OriginServer origin([](OriginConnection& c) {
    HttpRequest req = c.readRequest();
    if (!req.ok) return;
    EXPECT_EQ(req.headers.get("Upgrade"), "websocket") << req.head;
    EXPECT_TRUE(listHasToken(req.headers.get("Connection"), "upgrade")) << req.head;
    EXPECT_EQ(req.headers.get("Sec-WebSocket-Key"), kWsKey) << req.head;
    c.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        std::string(kWsAccept) + "\r\n\r\n");
    std::string frame;
    if (!c.readRaw(kMaskedHello.size(), &frame)) return;
    EXPECT_TRUE(frame == kMaskedHello) << "the client's frame changed on the way";
    c.write(kUnmaskedHello);  // the echo, unmasked as servers send
    c.write(kUnmaskedBye);    // and a frame of its own
    c.closeWrite();
    c.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(upgradeRequest(origin, "/chat"));
  HttpResponse r = c.readResponse();
  ASSERT_EQ(r.status, 101) << r.raw;
  EXPECT_EQ(r.headers.get("Upgrade"), "websocket") << r.head;
  EXPECT_TRUE(listHasToken(r.headers.get("Connection"), "upgrade")) << r.head;
  EXPECT_EQ(r.headers.get("Sec-WebSocket-Accept"), kWsAccept) << r.head;
  c.send(kMaskedHello);
  std::string back = c.readAll();
  EXPECT_TRUE(back == kUnmaskedHello + kUnmaskedBye) << "got " << back.size() << " bytes";
  c.close();
  ASSERT_TRUE(origin.waitForHandlerDone(0));
  SquidLogLine l = onlyLogLine(proxy);
  EXPECT_EQ(l.status, 101);
  EXPECT_EQ(l.method, "GET");
  EXPECT_EQ(l.url, origin.url("/chat"));
}

TEST(Tunnel, UpgradeAnsweredWith200IsAnOrdinaryResponseAndHttpGoesOn) {
  OriginServer origin(scripted(
      [](const HttpRequest& req) { return response(200, "OK", "", "plain " + req.target); }));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(upgradeRequest(origin, "/maybe"));
  HttpResponse first = c.readResponse();
  EXPECT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body, "plain /maybe");
  EXPECT_TRUE(first.complete);
  // The same connection carries the next request as HTTP.
  c.send(getRequest(origin.url("/next")));
  HttpResponse second = c.readResponse();
  EXPECT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, "plain /next");
  ASSERT_TRUE(origin.waitForRequests(2));
  EXPECT_EQ(origin.requests()[0].headers.get("Upgrade"), "websocket") << "the offer was relayed";
}

TEST(Tunnel, UpgradeProtocolDeniedByHttpUpgradeRequestProtocolsIsNotForwarded) {
  OriginServer origin(OriginServer::always(okResponse("no upgrade")));
  CuttleProcess proxy("http_upgrade_request_protocols websocket deny all\n");
  ASSERT_TRUE(proxy.started());
  HttpResponse r = fetch(proxy.port(), upgradeRequest(origin, "/ws"));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "no upgrade");
  ASSERT_TRUE(origin.waitForRequests(1));
  const HttpRequest up = origin.requests()[0];
  EXPECT_FALSE(up.headers.has("Upgrade")) << up.head;
  EXPECT_FALSE(listHasToken(up.headers.get("Connection"), "upgrade")) << up.head;
}

TEST(Tunnel, BytesPipelinedAfterARefusedUpgradeAreNeverParsedAsHttp) {
  OriginServer origin(
      OriginServer::canned({{"/first", okResponse("first")}, {"/second", okResponse("second")}}));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  // Had the origin agreed (101), the bytes after the request would be the new protocol.
  c.send(upgradeRequest(origin, "/first") + getRequest(origin.url("/second")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "first");
  std::string extra;
  EXPECT_TRUE(c.isClosedByPeer(&extra)) << "after the response: " << extra;
  EXPECT_THAT(originRequestLines(origin), ElementsAre("GET /first HTTP/1.1"));
}

}  // namespace
}  // namespace cuttle::test
