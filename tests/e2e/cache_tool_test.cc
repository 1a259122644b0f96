// cuttle-cache on the live store of a running cuttle: ls, show and stats read the store
// read-only while the proxy serves; purge goes through the proxy (PURGE), after which the
// next request reaches the origin again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/support/test_paths.h"

extern char** environ;

namespace cuttle::test {
namespace {

using Clock = std::chrono::steady_clock;

// The tool under test: CUTTLE_E2E_CACHE_TOOL when set; else next to CUTTLE_E2E_BINARY (an
// installed cuttle: both in sbin/); else the build tree's tools/cuttle-cache, beside the
// proxy/ directory of the cuttle binary the tests use.
std::string toolPath() {
  const char* tool = std::getenv("CUTTLE_E2E_CACHE_TOOL");
  if (tool != nullptr && *tool != '\0') return tool;
  auto dirOf = [](const std::string& path) { return path.substr(0, path.rfind('/')); };
  const char* binary = std::getenv("CUTTLE_E2E_BINARY");
  if (binary != nullptr && *binary != '\0') return dirOf(binary) + "/cuttle-cache";
  return dirOf(cuttleBinary()) + "/../tools/cuttle-cache";
}

int exitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs cuttle-cache with args to completion (bounded by kStopTimeout), stdout and stderr
// captured apart.
CommandResult runTool(const std::vector<std::string>& args) {
  CommandResult result;
  TempDir dir;
  const std::string out_path = dir.path() + "/out";
  const std::string err_path = dir.path() + "/err";
  std::vector<std::string> argv_strings = {toolPath()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(rc);
    return result;
  }
  // glibc 2.36's <sys/pidfd.h> lacks extern "C"; use the system call directly.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kStopTimeout.count())) == 0) {
      ADD_FAILURE() << "cuttle-cache did not exit in time; killing it";
      ::kill(pid, SIGKILL);
    }
    ::close(pidfd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = exitCode(status);
  result.out = readFile(out_path);
  result.err = readFile(err_path);
  return result;
}

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

// Waits until `done(ls --json output)` holds. The proxy's writer commits a moment after it
// serves, so each check that fails waits for the next write to the data file (inotify,
// watched before checking, so no commit can slip in between), bounded by kSafetyTimeout.
bool waitForStore(const std::string& cache_dir,
                  const std::function<bool(const std::string&)>& done) {
  const int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0 || inotify_add_watch(fd, (cache_dir + "/data.mdb").c_str(), IN_MODIFY) < 0) {
    ADD_FAILURE() << "inotify on " << cache_dir << "/data.mdb: " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  const auto deadline = Clock::now() + kSafetyTimeout;
  std::string last;
  for (;;) {
    CommandResult r = runTool({"-d", cache_dir, "ls", "--json"});
    last = describe(r);
    if (r.exit_code == 0 && done(r.out)) break;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      ::close(fd);
      ADD_FAILURE() << "the store did not reach the expected state; last listing: " << last;
      return false;
    }
    char events[4096];
    while (::read(fd, events, sizeof events) > 0) {
    }
  }
  ::close(fd);
  return true;
}

bool hasCount(const std::string& json, int n) {
  return json.find("\"count\":" + std::to_string(n) + ",") != std::string::npos;
}

int countOf(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Requests for `path` the origin has seen.
int originHits(const OriginServer& origin, const std::string& path) {
  int n = 0;
  for (const std::string& line : originRequestLines(origin)) {
    if (line == "GET " + path + " HTTP/1.1") ++n;
  }
  return n;
}

// The line of `text` that contains `needle` ("" if none).
std::string lineWith(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at);
  const size_t end = text.find('\n', at);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end == std::string::npos ? std::string::npos
                                              : end - (begin == std::string::npos ? 0 : begin + 1));
}

constexpr char kLastModified[] = "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n";

OriginServer::Handler toolOrigin() {
  return OriginServer::canned({
      {"/fresh", okResponse("fresh body", "Cache-Control: max-age=600\r\nETag: \"f1\"\r\n")},
      {"/heuristic", okResponse("old body", kLastModified)},
      {"/dir/1", okResponse("one", "Cache-Control: max-age=600\r\n")},
      {"/dir/2", okResponse("two", "Cache-Control: max-age=600\r\n")},
  });
}

// What both the proxy and the tool read: the store and the refresh rule.
std::string cacheConfig(const std::string& cache_dir) {
  return "cache_dir lmdb " + cache_dir + " 16\nrefresh_pattern /heuristic$ 10 50% 20\n";
}

// The tool's configuration: the proxy's, with the port the kernel gave it (the proxy's own
// file says port 0).
std::string toolConfig(const TempDir& dir, const std::string& cache_dir, uint16_t port) {
  return dir.write("tool.conf",
                   cacheConfig(cache_dir) + "http_port 127.0.0.1:" + std::to_string(port) + "\n");
}

void fetchOk(const CuttleProcess& proxy, const OriginServer& origin, const std::string& path,
             const std::string& body) {
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url(path)));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, body) << path;
}

// A running cuttle whose store holds four objects, and a configuration for the tool.
class CacheToolOnLiveStore : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<CuttleProcess>(cacheConfig(cache_dir_));
    ASSERT_TRUE(proxy_->started());
    conf_ = toolConfig(dir_, cache_dir_, proxy_->port());
    fetchOk(*proxy_, origin_, "/fresh", "fresh body");
    fetchOk(*proxy_, origin_, "/heuristic", "old body");
    fetchOk(*proxy_, origin_, "/dir/1", "one");
    fetchOk(*proxy_, origin_, "/dir/2", "two");
    ASSERT_TRUE(
        waitForStore(cache_dir_, [](const std::string& json) { return hasCount(json, 4); }));
  }

  std::string url(const std::string& path) const { return origin_.url(path); }

  TempDir dir_;
  const std::string cache_dir_ = dir_.path() + "/cache";
  OriginServer origin_{toolOrigin()};
  std::unique_ptr<CuttleProcess> proxy_;
  std::string conf_;
};

TEST_F(CacheToolOnLiveStore, LsListsTheLiveStore) {
  CommandResult ls = runTool({"-f", conf_, "ls"});
  ASSERT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_TRUE(ls.out.starts_with("STATUS  SIZE  STORED")) << ls.out;
  EXPECT_TRUE(std::regex_search(lineWith(ls.out, url("/fresh")),
                                std::regex(R"(^200\s+10\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+\d+s\s+)"
                                           R"(fresh, (10m00s|9m\d\ds) left\s+etag\s)")))
      << ls.out;
  const std::string heuristic_line = lineWith(ls.out, url("/heuristic"));
  EXPECT_NE(heuristic_line.find("(heuristic)"), std::string::npos) << ls.out;
  EXPECT_NE(heuristic_line.find("last-modified"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("4 objects, 24 bytes of bodies\n"), std::string::npos) << ls.out;

  CommandResult dir_ls = runTool({"-f", conf_, "ls", "--prefix", url("/dir/")});
  ASSERT_EQ(dir_ls.exit_code, 0) << describe(dir_ls);
  EXPECT_NE(dir_ls.out.find(url("/dir/1")), std::string::npos) << dir_ls.out;
  EXPECT_NE(dir_ls.out.find(url("/dir/2")), std::string::npos) << dir_ls.out;
  EXPECT_EQ(dir_ls.out.find(url("/fresh")), std::string::npos) << dir_ls.out;
  EXPECT_NE(dir_ls.out.find("2 objects under " + url("/dir/")), std::string::npos);
}

TEST_F(CacheToolOnLiveStore, LsJsonCarriesFreshnessAndValidators) {
  CommandResult json = runTool({"-f", conf_, "ls", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_EQ(countOf(json.out, "{\"url\":"), 4) << json.out;
  EXPECT_NE(json.out.find("{\"url\":\"" + url("/fresh") + "\",\"variant\":\"\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"lifetime\":600,\"lifetime_source\":\"max-age=600\""),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"etag\":\"\\\"f1\\\"\""), std::string::npos) << json.out;
  // The refresh_pattern of the configuration: 50% of a long Last-Modified age, capped at 20
  // minutes.
  EXPECT_NE(json.out.find("\"lifetime\":1200,\"lifetime_source\":\"heuristic: refresh_pattern "
                          "/heuristic$: 50% of (Date - Last-Modified) within [600s, 1200s]\""),
            std::string::npos)
      << json.out;
}

TEST_F(CacheToolOnLiveStore, ShowExplainsFreshnessAndWhyItWasStored) {
  CommandResult show = runTool({"-f", conf_, "show", url("/fresh")});
  ASSERT_EQ(show.exit_code, 0) << describe(show);
  EXPECT_NE(show.out.find("url       " + url("/fresh") + "\n"), std::string::npos);
  EXPECT_NE(show.out.find("variants  1\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("status          200 OK\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("lifetime        10m00s (600s) from max-age=600\n"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("stored because  explicit freshness (max-age); heuristically "
                          "cacheable status 200 (RFC 9110 15.1)\n"),
            std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("storable now    yes\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("validators      ETag \"f1\"\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("    Cache-Control: max-age=600\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("    ETag: \"f1\"\n"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("Content-Length"), std::string::npos) << "framing is not stored";

  CommandResult heuristic = runTool({"-f", conf_, "show", url("/heuristic"), "--json"});
  ASSERT_EQ(heuristic.exit_code, 0) << describe(heuristic);
  EXPECT_NE(heuristic.out.find("\"heuristic\":true"), std::string::npos) << heuristic.out;
  EXPECT_NE(heuristic.out.find("\"stored_because\":[\"heuristically cacheable status 200 (RFC "
                               "9110 15.1)\"]"),
            std::string::npos)
      << heuristic.out;
  EXPECT_NE(heuristic.out.find("[\"Last-Modified\",\"Mon, 01 Jan 2024 00:00:00 GMT\"]"),
            std::string::npos)
      << heuristic.out;

  CommandResult missing = runTool({"-f", conf_, "show", url("/never")});
  EXPECT_EQ(missing.exit_code, 1) << describe(missing);
  EXPECT_NE(missing.err.find("not in the cache store: " + url("/never")), std::string::npos);
}

TEST_F(CacheToolOnLiveStore, StatsReportsTotalsCapacityAndExtremes) {
  CommandResult stats = runTool({"-f", conf_, "stats", "--verify"});
  ASSERT_EQ(stats.exit_code, 0) << describe(stats);
  EXPECT_NE(stats.out.find("schema     version 1\n"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("objects    4 (4 fresh, 0 stale), 4 URLs\n"), std::string::npos)
      << stats.out;
  EXPECT_NE(stats.out.find("capacity   16.0 MiB (cache_dir)\n"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("evictions  0\n"), std::string::npos) << stats.out;
  EXPECT_NE(lineWith(stats.out, "oldest").find(url("/")), std::string::npos) << stats.out;
  EXPECT_NE(lineWith(stats.out, "newest").find(url("/")), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("verify     ok\n"), std::string::npos) << stats.out;

  CommandResult json = runTool({"-d", cache_dir_, "stats", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_NE(json.out.find("\"schema_version\":1,\"objects\":4,"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"capacity\":null"), std::string::npos) << "unknown with -d";
}

TEST_F(CacheToolOnLiveStore, PurgeGoesThroughTheProxy) {
  fetchOk(*proxy_, origin_, "/fresh", "fresh body");
  EXPECT_EQ(originHits(origin_, "/fresh"), 1) << "a hit before the purge";
  CommandResult purge = runTool({"-f", conf_, "purge", url("/fresh")});
  ASSERT_EQ(purge.exit_code, 0) << describe(purge);
  EXPECT_EQ(purge.out, "purged " + url("/fresh") + "\n");
  fetchOk(*proxy_, origin_, "/fresh", "fresh body");
  EXPECT_EQ(originHits(origin_, "/fresh"), 2) << "the purged URL was fetched again";

  // Purging what is not cached is not an error.
  CommandResult again = runTool({"-f", conf_, "purge", url("/never")});
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(again.out, "not in the cache: " + url("/never") + "\n");
}

TEST_F(CacheToolOnLiveStore, PurgeByPrefixTakesTheUrlsFromTheStore) {
  CommandResult prefix = runTool({"-f", conf_, "purge", "--prefix", url("/dir/")});
  ASSERT_EQ(prefix.exit_code, 0) << describe(prefix);
  EXPECT_NE(prefix.out.find("purged " + url("/dir/1") + "\n"), std::string::npos);
  EXPECT_NE(prefix.out.find("purged " + url("/dir/2") + "\n"), std::string::npos);
  EXPECT_NE(prefix.out.find("2 of 2 URLs under " + url("/dir/") + " purged\n"), std::string::npos)
      << prefix.out;
  fetchOk(*proxy_, origin_, "/dir/1", "one");
  EXPECT_EQ(originHits(origin_, "/dir/1"), 2);
  EXPECT_EQ(originHits(origin_, "/fresh"), 1) << "outside the prefix";
  // The store follows once the proxy's writer has committed the removals.
  const std::string dir2 = url("/dir/2");
  ASSERT_TRUE(waitForStore(cache_dir_, [&](const std::string& out) {
    return out.find(dir2) == std::string::npos && hasCount(out, 3);
  }));
}

TEST(CacheTool, PurgeSaysWhenTheProxyIsNotRunning) {
  TempDir dir;
  const std::string cache_dir = dir.path() + "/cache";
  OriginServer origin(toolOrigin());
  CuttleProcess proxy(cacheConfig(cache_dir));
  ASSERT_TRUE(proxy.started());
  const std::string conf = toolConfig(dir, cache_dir, proxy.port());
  fetchOk(proxy, origin, "/fresh", "fresh body");
  ASSERT_TRUE(waitForStore(cache_dir, [](const std::string& json) { return hasCount(json, 1); }));
  EXPECT_EQ(proxy.stop(), 0);

  CommandResult purge = runTool({"-f", conf, "purge", origin.url("/fresh")});
  EXPECT_EQ(purge.exit_code, 1) << describe(purge);
  EXPECT_NE(purge.err.find("cuttle is not running"), std::string::npos) << purge.err;
  EXPECT_EQ(purge.out, "");
  // The store is still there, untouched, for the read-only commands.
  CommandResult ls = runTool({"-f", conf, "ls"});
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find(origin.url("/fresh")), std::string::npos) << ls.out;
}

TEST(CacheTool, UsageAndSetupErrors) {
  TempDir dir;
  CommandResult none = runTool({});
  EXPECT_EQ(none.exit_code, 2) << describe(none);
  EXPECT_NE(none.err.find("usage: cuttle-cache"), std::string::npos) << none.err;
  EXPECT_EQ(runTool({"-d", dir.path(), "show"}).exit_code, 2);
  EXPECT_EQ(runTool({"-d", dir.path(), "ls", "extra"}).exit_code, 2);
  EXPECT_EQ(runTool({"-f", "a.conf", "-d", dir.path(), "ls"}).exit_code, 2);

  CommandResult no_store = runTool({"-d", dir.path() + "/missing", "ls"});
  EXPECT_EQ(no_store.exit_code, 1) << describe(no_store);
  EXPECT_NE(no_store.err.find("cannot read the cache store"), std::string::npos) << no_store.err;

  const std::string memory_only = dir.write("memory.conf", "http_port 127.0.0.1:3128\n");
  CommandResult no_dir = runTool({"-f", memory_only, "stats"});
  EXPECT_EQ(no_dir.exit_code, 1) << describe(no_dir);
  EXPECT_NE(no_dir.err.find("has no cache_dir"), std::string::npos) << no_dir.err;

  CommandResult no_proxy = runTool({"-d", dir.path(), "purge", "http://example.com/"});
  EXPECT_EQ(no_proxy.exit_code, 2) << describe(no_proxy);
  EXPECT_NE(no_proxy.err.find("--proxy"), std::string::npos) << no_proxy.err;
}

}  // namespace
}  // namespace cuttle::test
