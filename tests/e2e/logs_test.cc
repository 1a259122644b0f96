// Access logs of a running cuttle: rotation (SIGUSR1, cuttle -k rotate) without losing or
// repeating a line, squid's logformat directive, several access_log lines, access_log none.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/reload_support.h"

namespace cuttle::test {
namespace {

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t eol = text.find('\n', start);
    if (eol == std::string::npos) eol = text.size();
    if (eol > start) out.push_back(text.substr(start, eol - start));
    start = eol + 1;
  }
  return out;
}

// The URL field of each squid native line (the 7th field).
std::vector<std::string> urlsOf(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : linesOf(text)) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    std::string f;
    while (in >> f) fields.push_back(f);
    out.push_back(fields.size() > 6 ? fields[6] : "<bad line: " + line + ">");
  }
  return out;
}

// Requests on one keep-alive connection until told to stop (at most kMax), recording the
// URL of each one answered.
class Load {
 public:
  static constexpr int kMax = 5000;
  Load(uint16_t proxy_port, const OriginServer& origin) {
    thread_ = std::thread([this, proxy_port, &origin] {
      RawClient c(proxy_port);
      for (int i = 0; i < kMax && !stop_.load(); ++i) {
        const std::string url = origin.url("/during/" + std::to_string(i));
        if (!c.send(getRequest(url))) break;
        HttpResponse r = c.readResponse();
        if (r.status != 200 || !r.complete) {
          failures_.fetch_add(1);
          break;
        }
        urls_.push_back(url);
        done_.fetch_add(1);
        done_.notify_all();
      }
      finished_.store(true);
      done_.fetch_add(1);  // wakes a waiter for a count never reached
      done_.notify_all();
    });
  }
  // Waits until n requests were answered (or the load ended).
  void waitFor(int n) {
    for (int seen = done_.load(); seen < n && !finished_.load(); seen = done_.load())
      done_.wait(seen);
  }
  // Stops and returns the URLs answered.
  std::vector<std::string> finish() {
    stop_.store(true);
    thread_.join();
    return urls_;
  }
  int failures() const { return failures_.load(); }
  int done() const { return done_.load(); }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> done_{0};
  std::atomic<int> failures_{0};
  std::vector<std::string> urls_;  // written by the thread, read after join
};

// The rotation scenario, with `rotate` sending the signal one way or another: requests
// before, during and after; then every URL is in exactly one of the two files, the ones
// before in the renamed file, the ones after in the new one.
void expectRotationKeepsEveryLineOnce(CuttleProcess& proxy, OriginServer& origin,
                                      const std::function<void()>& rotate) {
  const std::string log = proxy.accessLogPath();
  ASSERT_FALSE(log.empty());
  std::vector<std::string> before;
  RawClient c(proxy.port());
  for (int i = 0; i < 3; ++i) {
    before.push_back(origin.url("/before/" + std::to_string(i)));
    c.send(getRequest(before.back()));
    ASSERT_EQ(c.readResponse().status, 200);
  }
  ASSERT_TRUE(proxy.waitForAccessLogLines(3));
  const std::string rotated = log + ".1";
  ASSERT_EQ(std::rename(log.c_str(), rotated.c_str()), 0);

  Load load(proxy.port(), origin);
  load.waitFor(20);
  const size_t reopening = stderrCount(proxy, kReopening);
  rotate();
  ASSERT_TRUE(waitForCountInFile(proxy.dir() + "/stderr.log", kReopening, reopening + 1));
  // cuttle creates the new file when its log writer reopens; from then on, lines go there.
  ASSERT_TRUE(waitForPath(log));
  load.waitFor(load.done() + 20);  // some of the load after the reopen too
  std::vector<std::string> during = load.finish();
  EXPECT_EQ(load.failures(), 0);

  std::vector<std::string> after;
  for (int i = 0; i < 3; ++i) {
    after.push_back(origin.url("/after/" + std::to_string(i)));
    c.send(getRequest(after.back()));
    ASSERT_EQ(c.readResponse().status, 200);
  }
  EXPECT_EQ(proxy.stop(), 0);  // writes what is buffered

  const std::vector<std::string> old_urls = urlsOf(readFile(rotated));
  const std::vector<std::string> new_urls = urlsOf(readFile(log));
  std::map<std::string, int> seen;
  for (const std::string& u : old_urls) ++seen[u];
  for (const std::string& u : new_urls) ++seen[u];
  std::vector<std::string> all = before;
  all.insert(all.end(), during.begin(), during.end());
  all.insert(all.end(), after.begin(), after.end());
  EXPECT_EQ(old_urls.size() + new_urls.size(), all.size());
  for (const std::string& u : all) EXPECT_EQ(seen[u], 1) << u << " logged " << seen[u] << " times";
  const std::set<std::string> in_old(old_urls.begin(), old_urls.end());
  const std::set<std::string> in_new(new_urls.begin(), new_urls.end());
  for (const std::string& u : before)
    EXPECT_EQ(in_old.count(u), 1u) << u << " not in the rotated file";
  for (const std::string& u : after) EXPECT_EQ(in_new.count(u), 1u) << u << " not in the new file";
}

TEST(LogRotation, SigusrReopensTheAccessLogWithoutLosingOrRepeatingLines) {
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("");
  ASSERT_TRUE(proxy.started());
  expectRotationKeepsEveryLineOnce(proxy, origin, [&] { proxy.signal(SIGUSR1); });
}

TEST(LogRotation, CommandLineRotateReopensTheAccessLog) {
  TempDir run;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("pid_filename " + run.path() + "/cuttle.pid\n");
  ASSERT_TRUE(proxy.started());
  ASSERT_TRUE(proxy.waitForStderr("cuttle started"));  // the pid file is written by then
  expectRotationKeepsEveryLineOnce(proxy, origin, [&] {
    CommandResult k = runCuttle({"-k", "rotate", "-f", proxy.configPath()});
    EXPECT_EQ(k.exit_code, 0) << k.out << k.err;
  });
}

// ---- logformat ------------------------------------------------------------------------------

TEST(Logformat, TheExampleFormatProducesTheExpectedLine) {
  TempDir logs;
  const std::string path = logs.path() + "/mine.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(
      "logformat mine %ts.%03tu %>a %Ss/%03>Hs %rm %ru %{User-Agent}>h\n"
      "access_log stdio:" +
      path + " mine\n");
  ASSERT_TRUE(proxy.started());
  const int64_t before = wallMs();
  HttpResponse r =
      fetch(proxy.port(), getRequest(origin.url("/mine?q=1"), "User-Agent: e2e-agent/1.0\r\n"));
  const int64_t after = wallMs();
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(waitForFileLines(path, 1));
  const std::string line = readFile(path);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex(R"(^(\d+)\.(\d{3}) (.*)\n$)"))) << line;
  EXPECT_EQ(m[3].str(), "127.0.0.1 TCP_MISS/200 GET " + origin.url("/mine?q=1") + " e2e-agent/1.0");
  const int64_t logged = std::stoll(m[1].str()) * 1000 + std::stoll(m[2].str());
  // The request's start, by cuttle's clock (cached per loop turn: allow a little slack).
  EXPECT_GE(logged, before - 1000);
  EXPECT_LE(logged, after + 1000);
}

TEST(Logformat, RequestCodesComeFromTheExchange) {
  TempDir logs;
  const std::string path = logs.path() + "/codes.log";
  OriginServer origin(OriginServer::always(okResponse("hello", "Content-Type: text/plain\r\n")));
  CuttleProcess proxy(
      "logformat codes %>a|%lp|%<a|%>Hs|%<st|%>st|%rm|%ru|%rp|%rv|%un|%Ss|%Sh|%mt|"
      "%{Referer}>h|%\"{User-Agent}>h|%{X-Missing}>h|%%\n"
      "access_log stdio:" +
      path + " codes\n");
  ASSERT_TRUE(proxy.started());
  const std::string request =
      getRequest(origin.url("/p/q?x=1"),
                 "Referer: http://ref.example/\r\nUser-Agent: agent \"x\"\r\n", "GET", "HTTP/1.0");
  HttpResponse r = fetch(proxy.port(), request);
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(waitForFileLines(path, 1));
  EXPECT_EQ(readFile(path), "127.0.0.1|" + std::to_string(proxy.port()) + "|127.0.0.1|200|" +
                                std::to_string(r.raw.size()) + "|" +
                                std::to_string(request.size()) + "|GET|" + origin.url("/p/q?x=1") +
                                "|/p/q?x=1|1.0|-|TCP_MISS|HIER_DIRECT|text/plain|"
                                "http://ref.example/|agent \\\"x\\\"|-|%\n");
}

// %<Hs is the status the origin sent: 200 for a miss it answered, "-" for a request it
// never saw.
TEST(Logformat, StatusFromTheOrigin) {
  TempDir logs;
  const std::string path = logs.path() + "/status.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(
      "logformat status %>Hs %<Hs %ru\n"
      "acl denied urlpath_regex ^/denied\n"
      "http_access deny denied\n"
      "http_access allow all\n"
      "access_log stdio:" +
      path + " status\n");
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/denied")));
  ASSERT_EQ(c.readResponse().status, 403);
  c.send(getRequest(origin.url("/fetched")));
  ASSERT_EQ(c.readResponse().status, 200);
  ASSERT_TRUE(waitForFileLines(path, 2));
  EXPECT_EQ(readFile(path),
            "403 - " + origin.url("/denied") + "\n200 200 " + origin.url("/fetched") + "\n");
}

TEST(Logformat, UnknownCodePreventsStartupNamingFileAndLine) {
  const std::string text = "http_port 127.0.0.1:0\nlogformat bad %ts %>zz\naccess_log none\n";
  CommandResult parse = parseConfig(text);
  EXPECT_EQ(parse.exit_code, 1) << parse.out << parse.err;
  EXPECT_NE(parse.err.find(":2: logformat: bad: unknown format code '%>zz'"), std::string::npos)
      << parse.err;
}

TEST(Logformat, AReloadAppliesAChangedLogformat) {
  TempDir logs;
  const std::string path = logs.path() + "/fmt.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  const std::string access_log = "access_log stdio:" + path + " fmt\n";
  CuttleProcess proxy("logformat fmt first %rm %ru\n" + access_log);
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/a"))).status, 200);
  ASSERT_TRUE(waitForFileLines(path, 1));
  rewriteConfig(proxy, "logformat fmt second %>Hs %ru\n" + access_log);
  ASSERT_EQ(reload(proxy), ReloadOutcome::kApplied) << stderrLog(proxy);
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/b"))).status, 200);
  ASSERT_TRUE(waitForFileLines(path, 2));
  EXPECT_EQ(readFile(path),
            "first GET " + origin.url("/a") + "\nsecond 200 " + origin.url("/b") + "\n");
}

// ---- several logs, no log ---------------------------------------------------------------------

TEST(AccessLogs, EveryAccessLogLineGetsTheRequestInItsFormat) {
  TempDir logs;
  const std::string squid = logs.path() + "/squid.log";
  const std::string combined = logs.path() + "/combined.log";
  const std::string referrer = logs.path() + "/referrer.log";
  const std::string useragent = logs.path() + "/useragent.log";
  OriginServer origin(OriginServer::always(okResponse("<p>x</p>", "Content-Type: text/html\r\n")));
  CuttleProcess proxy("access_log stdio:" + squid + " squid\n" +  //
                      "access_log stdio:" + combined + " combined\n" +
                      "access_log stdio:" + referrer + " referrer\n" + "access_log " + useragent +
                      " logformat=useragent\n");
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/two");
  HttpResponse r = fetch(
      proxy.port(), getRequest(url, "Referer: http://ref.example/\r\nUser-Agent: two-logs/1\r\n"));
  ASSERT_EQ(r.status, 200);
  for (const std::string& p : {squid, combined, referrer, useragent})
    ASSERT_TRUE(waitForFileLines(p, 1));
  const std::string size = std::to_string(r.raw.size());
  EXPECT_TRUE(std::regex_match(
      readFile(squid),
      std::regex(R"(^\d+\.\d{3} +\d+ 127\.0\.0\.1 TCP_MISS/200 )" + size + " GET " +
                 std::regex_replace(url, std::regex(R"([.?])"), R"(\$&)") +
                 R"( - HIER_DIRECT/127\.0\.0\.1 text/html\n$)")))
      << readFile(squid);
  const std::string date = R"(\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\])";
  const std::string quoted_url = std::regex_replace(url, std::regex(R"([.?])"), R"(\$&)");
  EXPECT_TRUE(std::regex_match(
      readFile(combined),
      std::regex(R"(^127\.0\.0\.1 - - )" + date + " \"GET " + quoted_url + " HTTP/1\\.1\" 200 " +
                 size + R"( "http://ref\.example/" "two-logs/1" TCP_MISS:HIER_DIRECT\n$)")))
      << readFile(combined);
  EXPECT_TRUE(std::regex_match(
      readFile(referrer),
      std::regex(
          R"(^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4} 127\.0\.0\.1 http://ref\.example/ )" +
          quoted_url + "\n$")))
      << readFile(referrer);
  EXPECT_TRUE(std::regex_match(readFile(useragent),
                               std::regex(R"(^127\.0\.0\.1 )" + date + R"( "two-logs/1"\n$)")))
      << readFile(useragent);
}

TEST(AccessLogs, AccessLogNoneAfterALogTurnsLoggingOff) {
  TempDir logs;
  const std::string path = logs.path() + "/never.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy("access_log stdio:" + path + " squid\naccess_log none\n");
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(fetch(proxy.port(), getRequest(origin.url("/"))).status, 200);
  EXPECT_EQ(proxy.stop(), 0);  // writes whatever would have been buffered
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the log was opened: " << readFile(path);
  EXPECT_EQ(readFile(proxy.dir() + "/stdout.log"), "");
}

}  // namespace
}  // namespace cuttle::test
