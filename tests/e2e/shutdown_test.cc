// SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.
//
// Every test here signals cuttle soon after it said "listening on": if cuttle installs its
// signal handlers only later, the default action kills it (exit 143/130) and these tests
// fail intermittently; SigtermRightAfterListeningExitsZero is the direct check for that.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

TEST(Shutdown, SigtermLetsAnInFlightResponseFinishThenExitsZero) {
  Gate release;
  OriginServer origin([&](OriginConnection& conn) {
    if (!conn.readRequest().ok) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst");
    if (!release.wait()) return;
    conn.write("-half");
    conn.waitForPeerClose();
  });
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/slow")));
  std::string head;
  bool got_head = c.stream().readUntil("\r\n\r\n", &head, "the response head");
  proxy.signal(SIGTERM);
  // Release the rest only once cuttle has seen the signal (it logs it).
  bool signalled = proxy.waitForStderr("signal 15");
  release.open();
  ASSERT_TRUE(got_head && signalled);
  std::string body;
  EXPECT_TRUE(c.stream().readExactly(10, &body, "the rest of the in-flight body"));
  EXPECT_EQ(body, "first-half");
  EXPECT_TRUE(c.isClosedByPeer()) << "a draining proxy closes the connection after the response";
  EXPECT_EQ(proxy.wait(), 0);
}

TEST(Shutdown, SigtermWithIdleKeepAliveConnectionsExitsZero) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient idle(proxy.port());
  idle.send(getRequest(origin.url("/")));
  EXPECT_EQ(idle.readResponse().body, "ok");
  RawClient never_spoke(proxy.port());
  EXPECT_EQ(proxy.stop(), 0);
  EXPECT_TRUE(idle.isClosedByPeer());
  EXPECT_TRUE(never_spoke.isClosedByPeer());
}

TEST(Shutdown, SigintExitsZero) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  proxy.signal(SIGINT);
  EXPECT_EQ(proxy.wait(), 0);
}

// Once cuttle says "listening on", a supervisor may stop it at any moment (a container
// stopped right after start): the signal must be handled, not kill the process.
TEST(Shutdown, SigtermRightAfterListeningExitsZero) {
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(proxy.stop(), 0) << "143 means SIGTERM's default action killed cuttle";
}

}  // namespace
}  // namespace cuttle::test
