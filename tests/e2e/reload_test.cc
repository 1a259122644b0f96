// Reloading the configuration of a running cuttle: SIGHUP and `cuttle -k reconfigure`.
// A valid configuration takes effect for new requests without dropping a connection; an
// invalid one is refused with its errors (file:line) logged and the old one kept; changes
// that need a restart are named in the log.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/reload_support.h"

namespace cuttle::test {
namespace {

// The Via field cuttle adds (and nothing the origin added, since the origin adds none).
std::string viaOf(const HttpResponse& r) { return r.headers.get("Via"); }

std::string pidFileLine(const TempDir& dir) {
  return "pid_filename " + dir.path() + "/cuttle.pid\n";
}

TEST(Reload, SighupAppliesANewVisibleHostnameToNewRequests) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient before(proxy.port());  // a keep-alive connection that spans the reload
  before.send(getRequest(origin.url("/1")));
  HttpResponse r1 = before.readResponse();
  ASSERT_EQ(r1.status, 200) << r1.raw;
  EXPECT_EQ(viaOf(r1), "1.1 " + std::string(kVisibleHostname));

  rewriteConfig(proxy, "visible_hostname reloaded.example\n");
  ASSERT_EQ(reload(proxy), ReloadOutcome::kApplied) << stderrLog(proxy);

  // The connection opened before the reload is still there, and its next request sees the
  // new configuration; so does a new connection.
  before.send(getRequest(origin.url("/2")));
  HttpResponse r2 = before.readResponse();
  ASSERT_EQ(r2.status, 200) << r2.raw;
  EXPECT_EQ(viaOf(r2), "1.1 reloaded.example");
  HttpResponse r3 = fetch(proxy.port(), getRequest(origin.url("/3")));
  ASSERT_EQ(r3.status, 200) << r3.raw;
  EXPECT_EQ(viaOf(r3), "1.1 reloaded.example");
  EXPECT_EQ(proxy.stop(), 0);
}

TEST(Reload, SighupAppliesANewHttpAccessDenyRule) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/blocked/a"))).status, 200);

  rewriteConfig(proxy,
                "acl blocked urlpath_regex ^/blocked\n"
                "http_access deny blocked\n"
                "http_access allow all\n");
  ASSERT_EQ(reload(proxy), ReloadOutcome::kApplied) << stderrLog(proxy);

  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/blocked/b")));
  HttpResponse denied = c.readResponse();
  EXPECT_EQ(denied.status, 403) << denied.raw;
  c.send(getRequest(origin.url("/open")));
  EXPECT_EQ(c.readResponse().status, 200);
  // The denied request never reached the origin.
  std::vector<std::string> lines = originRequestLines(origin);
  EXPECT_EQ(lines, (std::vector<std::string>{"GET /blocked/a HTTP/1.1", "GET /open HTTP/1.1"}));
}

TEST(Reload, CommandLineReconfigureSignalsTheRunningCuttle) {
  TempDir run;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(pidFileLine(run));
  ASSERT_TRUE(proxy.started());
  // The pid file is written once the workers run, just before this message.
  ASSERT_TRUE(proxy.waitForStderr("cuttle started"));
  EXPECT_EQ(readFile(run.path() + "/cuttle.pid"), std::to_string(proxy.pid()) + "\n");

  rewriteConfig(proxy, pidFileLine(run) + "visible_hostname by-command.example\n");
  const size_t applied = stderrCount(proxy, kReloadApplied);
  const size_t refused = stderrCount(proxy, kReloadRefused);
  CommandResult k = runCuttle({"-k", "reconfigure", "-f", proxy.configPath()});
  EXPECT_EQ(k.exit_code, 0) << k.out << k.err;
  ASSERT_EQ(waitForReload(proxy, applied, refused), ReloadOutcome::kApplied) << stderrLog(proxy);
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(viaOf(r), "1.1 by-command.example");
  EXPECT_EQ(proxy.stop(), 0);
  EXPECT_NE(::access((run.path() + "/cuttle.pid").c_str(), F_OK), 0) << "pid file removed at exit";
}

TEST(Reload, InvalidConfigIsRefusedWithFileAndLineAndTheOldOneKeepsServing) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/before")));
  ASSERT_EQ(c.readResponse().status, 200);

  const std::string text = rewriteConfig(proxy,
                                         "visible_hostname never-applied.example\n"
                                         "acl blocked urlpath_regex ^/\n"
                                         "http_access deny blocked\n"
                                         "maximum_object_size lots\n");
  ASSERT_EQ(reload(proxy), ReloadOutcome::kRefused) << stderrLog(proxy);
  const std::string where =
      proxy.configPath() + ":" + std::to_string(lineOf(text, "maximum_object_size")) + ":";
  EXPECT_NE(stderrLog(proxy).find(where), std::string::npos)
      << "no error naming " << where << " in:\n"
      << stderrLog(proxy);

  // The old configuration still serves, on the old connection and on new ones.
  c.send(getRequest(origin.url("/after")));
  HttpResponse r1 = c.readResponse();
  EXPECT_EQ(r1.status, 200) << r1.raw;
  EXPECT_EQ(viaOf(r1), "1.1 " + std::string(kVisibleHostname));
  HttpResponse r2 = fetch(proxy.port(), getRequest(origin.url("/new")));
  EXPECT_EQ(r2.status, 200) << r2.raw;
  EXPECT_EQ(viaOf(r2), "1.1 " + std::string(kVisibleHostname));
}

TEST(Reload, UnknownLogformatCodeIsRefusedWithFileAndLine) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  const std::string text = rewriteConfig(proxy,
                                         "visible_hostname never-applied.example\n"
                                         "logformat broken %ts %no_such_code\n");
  ASSERT_EQ(reload(proxy), ReloadOutcome::kRefused) << stderrLog(proxy);
  const std::string where = proxy.configPath() + ":" + std::to_string(lineOf(text, "logformat")) +
                            ": logformat: broken: unknown format code '%no_such_code'";
  EXPECT_NE(stderrLog(proxy).find(where), std::string::npos) << "no error " << where << " in:\n"
                                                             << stderrLog(proxy);
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(viaOf(r), "1.1 " + std::string(kVisibleHostname));

  // cuttle -k parse refuses the same file, naming the same line.
  CommandResult parse = runCuttle({"-k", "parse", "-f", proxy.configPath()});
  EXPECT_EQ(parse.exit_code, 1) << parse.out << parse.err;
  EXPECT_NE(parse.err.find(where), std::string::npos) << parse.err;
}

TEST(Reload, CommandLineReconfigureRefusesAnInvalidConfigWithoutSignalling) {
  TempDir run;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(pidFileLine(run));
  ASSERT_TRUE(proxy.started());
  ASSERT_TRUE(proxy.waitForStderr("cuttle started"));
  const std::string text = rewriteConfig(proxy, pidFileLine(run) + "request_timeout soon\n");
  CommandResult k = runCuttle({"-k", "reconfigure", "-f", proxy.configPath()});
  EXPECT_EQ(k.exit_code, 1) << k.out << k.err;
  const std::string where =
      proxy.configPath() + ":" + std::to_string(lineOf(text, "request_timeout")) + ":";
  EXPECT_NE(k.err.find(where), std::string::npos) << k.err;
  // Nothing was signalled: the running cuttle never started a reload.
  EXPECT_EQ(stderrCount(proxy, "reconfiguring from"), 0u) << stderrLog(proxy);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
}

TEST(Reload, ChangesThatNeedARestartAreNamedInTheLog) {
  TempDir store;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  rewriteConfig(proxy,
                "http_port 127.0.0.1:1\n"
                "cache_dir ufs " +
                    store.path() +
                    "/cache 16 16 256\n"
                    "visible_hostname applied.example\n");
  ASSERT_EQ(reload(proxy), ReloadOutcome::kApplied) << stderrLog(proxy);
  const std::string log = stderrLog(proxy);
  EXPECT_NE(log.find("reconfigure: http_port changed; it takes effect at the next restart"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("reconfigure: cache_dir changed; it takes effect at the next restart"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("visible_hostname changed"), std::string::npos) << log;
  // The old port still serves; the rest of the configuration applied.
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url("/")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(viaOf(r), "1.1 applied.example");
}

// 4 client threads x 300 keep-alive requests, each thread on a single connection, while
// the test reloads 5 times (alternating between two valid configurations). Every request
// gets a complete 200 and no connection is closed.
TEST(Reload, ReloadUnderLoadFailsNoRequestAndDropsNoConnection) {
  constexpr int kThreads = 4;
  constexpr int kRequestsPerThread = 300;
  constexpr int kTotal = kThreads * kRequestsPerThread;
  constexpr int kReloads = 5;
  OriginServer origin(OriginServer::always(okResponse("load")));
  CuttleProcess proxy("visible_hostname config-a.example\n");
  ASSERT_TRUE(proxy.started());

  std::atomic<int> completed{0};
  std::atomic<int> reloads_done{0};
  std::atomic<int> failed{0};
  std::vector<std::string> failures(kThreads);  // each thread's first failure
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(proxy.port());
      for (int i = 0; i < kRequestsPerThread; ++i) {
        // Reload r is sent once 100 + 200 r requests are done; the load runs on for 100
        // more requests at most before that reload has finished, so that every reload
        // happens while requests are in flight, however fast this machine is.
        for (int r = reloads_done.load(); r < kReloads && completed.load() >= 200 + 200 * r;
             r = reloads_done.load()) {
          reloads_done.wait(r);
        }
        const std::string url = origin.url("/t" + std::to_string(t) + "/" + std::to_string(i));
        HttpResponse r;
        if (c.send(getRequest(url))) r = c.readResponse();
        const std::string via = r.headers.get("Via");
        const bool good = r.ok && r.complete && r.status == 200 && r.body == "load" &&
                          (via == "1.1 config-a.example" || via == "1.1 config-b.example");
        if (!good) {
          if (failures[static_cast<size_t>(t)].empty()) {
            failures[static_cast<size_t>(t)] = url + ": " + r.error + "\n" + r.raw;
          }
          failed.fetch_add(1);
        }
        int done = 1;
        if (!c.connected() || c.eofSeen()) {
          // The connection was dropped: the rest of this thread's requests count as failed
          // (and as done, so that the reloads below do not wait for them).
          done += kRequestsPerThread - 1 - i;
          failed.fetch_add(done - 1);
          i = kRequestsPerThread;
        }
        completed.fetch_add(done);
        completed.notify_all();
      }
    });
  }
  int sent_during_load = 0;
  for (int i = 0; i < kReloads; ++i) {
    const int target = 100 + 200 * i;
    for (int seen = completed.load(); seen < target; seen = completed.load()) completed.wait(seen);
    if (completed.load() < kTotal) ++sent_during_load;
    rewriteConfig(proxy, i % 2 == 0 ? "visible_hostname config-b.example\n"
                                    : "visible_hostname config-a.example\n");
    EXPECT_EQ(reload(proxy), ReloadOutcome::kApplied) << stderrLog(proxy);
    reloads_done.fetch_add(1);
    reloads_done.notify_all();
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(sent_during_load, kReloads);
  EXPECT_EQ(failed.load(), 0);
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(stderrCount(proxy, kReloadApplied), static_cast<size_t>(kReloads));
  // The last configuration (b) is the one in force.
  HttpResponse last = fetch(proxy.port(), getRequest(origin.url("/last")));
  EXPECT_EQ(viaOf(last), "1.1 config-b.example");
  EXPECT_EQ(proxy.stop(), 0);
}

}  // namespace
}  // namespace cuttle::test
