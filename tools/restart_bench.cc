// restart_bench: how long cuttle takes, from process start, to answer a hit from a cache
// store holding many objects (issue 3: "a restart with 1,000,000 cached objects ready to
// serve hits in under 1 second").
//
//   restart_bench [--objects N] [--runs R] [--small N] [--cache-mb MB] [--dir DIR] [--keep]
//                 [CUTTLE_BINARY]
//
// 1. Fills a cache_dir directly through cache::Store (no proxy, no origin): N objects
//    "http://origin.test/obj/<i>" (the absolute URI cuttle uses as the cache key; no Vary,
//    so the variant is ""), bodies of 100-500 bytes, an nginx-like header set with
//    Cache-Control: public, max-age=31536000. A second store of --small objects (default
//    1000) with the same configured size is the baseline: what start-up costs anyway.
// 2. For each store, R times with the store's file in the page cache ("warm") and R times
//    after dropping it from the page cache (fdatasync + posix_fadvise DONTNEED, "cold";
//    no root needed): starts CUTTLE_BINARY (default build/release/proxy/cuttle) with a
//    config pointing at the store and a free loopback port, and measures from just before
//    fork() until the first answer to "GET http://origin.test/obj/<k>" with
//    "Cache-Control: only-if-cached" (a miss would be a 504: no origin is needed) whose
//    Cache-Status says "hit". Then 200 other stored URLs are asked for (all must hit), and
//    cuttle is stopped with SIGTERM (SIGKILL after 5 s).
//
// Everything happens on 127.0.0.1 under a scratch directory (mkdtemp in $TMPDIR or /tmp,
// removed at the end unless --keep), and every deadline is bounded: the tool stops by
// itself. Exit status 0 when every run reached a hit and every sampled URL hit.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cache/object.h"
#include "cache/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using cuttle::cache::ObjectPtr;
using cuttle::cache::Store;
using cuttle::cache::StoredObject;

// Generous on-disk cost per small object (records in six trees, B-tree pages ~2/3 full):
// measured at about 1.3 KiB, doubled so that the store never evicts during the fill.
constexpr uint64_t kBytesPerObjectEstimate = 2600;
constexpr uint64_t kFlushEvery = 20000;  // bounds the store's write queue
constexpr int kSample = 200;
constexpr auto kReadyDeadline = std::chrono::seconds(30);
constexpr auto kIoTimeoutMs = 10000;

struct Args {
  uint64_t objects = 1000000;
  uint64_t small = 1000;
  int runs = 3;
  uint64_t cache_mb = 0;  // 0: computed from objects
  std::string dir;
  bool keep = false;
  std::string cuttle = "build/release/proxy/cuttle";
};

pid_t g_child = -1;                // the running cuttle
volatile sig_atomic_t g_stop = 0;  // SIGINT/SIGTERM/SIGHUP: stop, clean up, exit 130

void onSignal(int) { g_stop = 1; }

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string httpDate(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string urlOf(uint64_t i) { return "http://origin.test/obj/" + std::to_string(i); }

// One object as cuttle would have stored it from an nginx response (fields as in
// cache::storedFields: no framing or hop-by-hop fields).
ObjectPtr makeObject(uint64_t i, int64_t now, std::mt19937_64& rng) {
  static const char* const kTypes[] = {"text/html", "image/png",        "application/javascript",
                                       "text/css",  "application/json", "image/jpeg"};
  const uint64_t size = 100 + rng() % 401;
  auto body = std::make_shared<std::string>(size, '\0');
  for (char& c : *body) c = static_cast<char>('a' + rng() % 26);
  const int64_t modified = now - 86400 - static_cast<int64_t>(i % 1000000);
  char etag[48];
  std::snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", static_cast<uint64_t>(modified),
                size);
  StoredObject::Init init;
  init.url = urlOf(i);
  init.status = 200;
  init.reason = "OK";
  init.fields = "Server: nginx/1.22.1\r\nDate: " + httpDate(now) +
                "\r\nContent-Type: " + kTypes[i % 6] + "\r\nLast-Modified: " + httpDate(modified) +
                "\r\nETag: " + etag +
                "\r\nCache-Control: public, max-age=31536000\r\nAccept-Ranges: bytes\r\n";
  init.request_time = now;
  init.response_time = now;
  init.body_size = size;
  init.body.push_back(std::move(body));
  return StoredObject::create(std::move(init));
}

struct FillResult {
  double seconds = 0;
  cuttle::cache::StoreStats stats;
  uint64_t file_bytes = 0;       // data.mdb size
  uint64_t allocated_bytes = 0;  // blocks really allocated on disk
};

bool fillStore(const std::string& path, uint64_t n, uint64_t cache_mb, FillResult* out) {
  cuttle::cache::StoreOptions options;
  options.path = path;
  options.max_bytes = cache_mb << 20;
  const auto t0 = Clock::now();
  {
    auto opened = Store::open(options);
    if (!opened) {
      std::fprintf(stderr, "restart_bench: %s: %s\n", path.c_str(), opened.error().cause.c_str());
      return false;
    }
    std::unique_ptr<Store> store = std::move(opened.value());
    std::mt19937_64 rng(42);
    const int64_t now = time(nullptr);
    for (uint64_t i = 0; i < n && !g_stop; ++i) {
      store->put(makeObject(i, now, rng));
      if ((i + 1) % kFlushEvery == 0) store->flush();
    }
    store->flush();
    out->stats = store->stats();
  }  // closing syncs the environment
  out->seconds = secondsSince(t0);
  if (g_stop) return false;
  struct stat st;
  if (stat((path + "/data.mdb").c_str(), &st) == 0) {
    out->file_bytes = static_cast<uint64_t>(st.st_size);
    out->allocated_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  }
  if (out->stats.objects != n || out->stats.evictions != 0 || out->stats.write_errors != 0) {
    std::fprintf(stderr,
                 "restart_bench: the store kept %" PRIu64 " of %" PRIu64 " objects (%" PRIu64
                 " evictions, %" PRIu64 " write errors): give a larger --cache-mb\n",
                 out->stats.objects, n, out->stats.evictions, out->stats.write_errors);
    return false;
  }
  return true;
}

// Share of data.mdb's pages in the page cache (mincore), or -1.
double residentShare(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  double share = -1;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    const size_t len = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      std::vector<unsigned char> vec((len + page - 1) / page);
      if (mincore(map, len, vec.data()) == 0) {
        size_t in = 0;
        for (unsigned char v : vec) in += v & 1;
        share = static_cast<double>(in) / static_cast<double>(vec.size());
      }
      munmap(map, len);
    }
  }
  close(fd);
  return share;
}

void dropFromPageCache(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY);
  if (fd < 0) return;
  fdatasync(fd);  // dirty pages cannot be dropped
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

uint16_t freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// Connects to 127.0.0.1:port; -1 when nothing listens (yet).
int connectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

enum class Answer { kHit, kNotHit, kIoError };

// Sends an only-if-cached GET for url on fd (then closed) and reads the whole response.
Answer askCached(int fd, const std::string& url) {
  const std::string req = "GET " + url +
                          " HTTP/1.1\r\nHost: origin.test\r\nCache-Control: only-if-cached\r\n"
                          "Connection: close\r\n\r\n";
  std::string resp;
  bool ok = send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  while (ok) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kIoTimeoutMs) <= 0) {
      ok = false;
      break;
    }
    char buf[16384];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r < 0) ok = false;
    if (r <= 0) break;
    resp.append(buf, static_cast<size_t>(r));
  }
  close(fd);
  if (!ok || resp.empty()) return Answer::kIoError;
  const size_t end = resp.find("\r\n\r\n");
  std::string head = resp.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t cs = head.find("\r\ncache-status:");
  const bool hit =
      head.rfind("http/1.1 200", 0) == 0 && cs != std::string::npos &&
      head.substr(cs, head.find("\r\n", cs + 2) - cs).find("; hit") != std::string::npos;
  return hit ? Answer::kHit : Answer::kNotHit;
}

std::string writeConfig(const std::string& work, const std::string& store, uint64_t cache_mb,
                        uint16_t port) {
  const std::string path = work + "/cuttle.conf";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return "";
  std::fprintf(f,
               "http_port 127.0.0.1:%u\nworkers 1\nvisible_hostname restart-bench\n"
               "http_access allow localhost\nhttp_access deny all\naccess_log none\n"
               "cache_log %s/cache.log\ncache_mem 64 MB\n"
               "cache_dir lmdb %s %" PRIu64 "\n",
               port, work.c_str(), store.c_str(), cache_mb);
  std::fclose(f);
  return path;
}

pid_t startCuttle(const std::string& binary, const std::string& config, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(binary.c_str(), binary.c_str(), "-f", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

void stopCuttle(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

struct RunResult {
  bool ok = false;
  double resident = -1;   // share of data.mdb in the page cache at start
  double port_open = -1;  // seconds from fork to the first accepted connection
  double first_hit = -1;  // seconds from fork to the first hit
  int not_hit = 0;        // answers before the first hit that were not hits
  int sample_hits = 0;
};

// Polls until a connection is accepted and an only-if-cached request hits, or the
// deadline passes, or cuttle exits.
void waitFirstHit(pid_t pid, uint16_t port, const std::string& url, Clock::time_point t0,
                  RunResult* r) {
  while (Clock::now() - t0 < kReadyDeadline && !g_stop) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      g_child = -1;
      return;
    }
    int fd = connectTo(port);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    if (r->port_open < 0) r->port_open = secondsSince(t0);
    Answer a = askCached(fd, url);
    if (a == Answer::kHit) {
      r->first_hit = secondsSince(t0);
      r->ok = true;
      return;
    }
    if (a == Answer::kNotHit) ++r->not_hit;
  }
}

RunResult runOnce(const Args& args, const std::string& work, const std::string& store,
                  uint64_t objects, uint64_t cache_mb, bool cold, unsigned seed) {
  RunResult r;
  if (cold) dropFromPageCache(store + "/data.mdb");
  r.resident = residentShare(store + "/data.mdb");
  const uint16_t port = freePort();
  const std::string config = writeConfig(work, store, cache_mb, port);
  std::mt19937_64 rng(seed);
  const std::string url = urlOf(rng() % objects);
  const auto t0 = Clock::now();
  const pid_t pid = startCuttle(args.cuttle, config, work + "/cuttle.out");
  g_child = pid;
  waitFirstHit(pid, port, url, t0, &r);
  if (r.ok) {
    for (int i = 0; i < kSample && !g_stop; ++i) {
      int fd = connectTo(port);
      if (fd >= 0 && askCached(fd, urlOf(rng() % objects)) == Answer::kHit) ++r.sample_hits;
    }
  }
  if (g_child > 0) stopCuttle(pid);
  g_child = -1;
  return r;
}

void printRun(const char* store, int run, bool cold, const RunResult& r) {
  char resident[16] = "?";
  if (r.resident >= 0) std::snprintf(resident, sizeof resident, "%.0f%%", r.resident * 100);
  if (!r.ok) {
    std::printf("%-10s %3d  %-5s %9s  %12s  NO HIT within %llds (%d non-hit answers)\n", store, run,
                cold ? "cold" : "warm", resident,
                r.port_open < 0 ? "never" : std::to_string(r.port_open * 1000).c_str(),
                static_cast<long long>(kReadyDeadline.count()), r.not_hit);
    return;
  }
  std::printf("%-10s %3d  %-5s %9s  %9.1f ms  %9.1f ms  %8d  %5d/%d\n", store, run,
              cold ? "cold" : "warm", resident, r.port_open * 1000, r.first_hit * 1000, r.not_hit,
              r.sample_hits, kSample);
}

bool parseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto num = [&](uint64_t* out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      *out = std::strtoull(argv[++i], &end, 10);
      return *end == '\0';
    };
    uint64_t v = 0;
    if (arg == "--objects") {
      if (!num(&a->objects) || a->objects == 0) return false;
    } else if (arg == "--small") {
      if (!num(&a->small)) return false;
    } else if (arg == "--runs") {
      if (!num(&v) || v == 0 || v > 100) return false;
      a->runs = static_cast<int>(v);
    } else if (arg == "--cache-mb") {
      if (!num(&a->cache_mb)) return false;
    } else if (arg == "--dir" && i + 1 < argc) {
      a->dir = argv[++i];
    } else if (arg == "--keep") {
      a->keep = true;
    } else if (!arg.empty() && arg[0] != '-') {
      a->cuttle = arg;
    } else {
      return false;
    }
  }
  return true;
}

void usage() {
  std::fprintf(stderr,
               "usage: restart_bench [--objects N] [--runs R] [--small N] [--cache-mb MB]\n"
               "                     [--dir DIR] [--keep] [CUTTLE_BINARY]\n"
               "  --objects N    objects in the measured store (default 1000000)\n"
               "  --small N      objects in the baseline store (default 1000; 0: none)\n"
               "  --runs R       restarts per store and page-cache state (default 3)\n"
               "  --cache-mb MB  cache_dir size (default: about 2.6 KB per object)\n"
               "  --dir DIR      scratch directory (default: a new one in $TMPDIR or /tmp)\n"
               "  --keep         keep the scratch directory (stores, config, cuttle.out)\n"
               "  CUTTLE_BINARY  default build/release/proxy/cuttle\n");
}

std::string makeWorkDir(const Args& args) {
  if (!args.dir.empty()) {
    std::filesystem::create_directories(args.dir);
    return std::filesystem::absolute(args.dir).string();
  }
  const char* tmp = getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/restart-bench.XXXXXX";
  if (!mkdtemp(templ.data())) return "";
  return templ;
}

void printTail(const std::string& file, size_t lines) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (!f) return;
  std::vector<std::string> tail;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, f)) {
    tail.emplace_back(buf);
    if (tail.size() > lines) tail.erase(tail.begin());
  }
  std::fclose(f);
  std::fprintf(stderr, "--- last lines of %s\n", file.c_str());
  for (const std::string& l : tail) std::fputs(l.c_str(), stderr);
}

// Fills one store, prints its line, then restarts cuttle on it (warm, then cold).
bool benchStore(const Args& args, const std::string& work, const char* name, uint64_t objects,
                uint64_t cache_mb) {
  const std::string store = work + "/" + name;
  FillResult fill;
  if (!fillStore(store, objects, cache_mb, &fill)) return false;
  std::printf("\n%s store: %" PRIu64
              " objects filled in %.1f s (%.0f objects/s); %.1f MB "
              "accounted, data.mdb %.1f MB (%.1f MB allocated)\n",
              name, objects, fill.seconds, static_cast<double>(objects) / fill.seconds,
              static_cast<double>(fill.stats.bytes) / 1e6,
              static_cast<double>(fill.file_bytes) / 1e6,
              static_cast<double>(fill.allocated_bytes) / 1e6);
  std::printf("%-10s %3s  %-5s %9s  %12s  %12s  %8s  %s\n", "store", "run", "cache", "resident",
              "port open", "first hit", "non-hits", "sample");
  std::fflush(stdout);
  bool ok = true;
  unsigned seed = 1;
  for (bool cold : {false, true}) {
    for (int run = 1; run <= args.runs && !g_stop; ++run) {
      RunResult r = runOnce(args, work, store, objects, cache_mb, cold, seed++);
      if (g_stop) break;
      printRun(name, run, cold, r);
      std::fflush(stdout);
      ok = ok && r.ok && r.sample_hits == kSample;
    }
  }
  if (!ok && !g_stop) {
    printTail(work + "/cuttle.out", 10);
    printTail(work + "/cache.log", 10);
  }
  return ok && !g_stop;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help")) {
    usage();
    return 0;
  }
  if (!parseArgs(argc, argv, &args)) {
    usage();
    return 2;
  }
  if (access(args.cuttle.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "restart_bench: %s: not an executable (build it, or give its path)\n",
                 args.cuttle.c_str());
    return 2;
  }
  args.cuttle = std::filesystem::absolute(args.cuttle).string();
  const uint64_t cache_mb =
      args.cache_mb ? args.cache_mb
                    : std::max<uint64_t>(64, args.objects * kBytesPerObjectEstimate / (1 << 20));
  const std::string work = makeWorkDir(args);
  if (work.empty()) {
    std::fprintf(stderr, "restart_bench: cannot create a scratch directory\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;  // no SA_RESTART: waits end early, the loops see g_stop
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  std::printf("restart_bench: cuttle %s\ncache_dir %" PRIu64
              " MB, workers 1, cache_mem 64 MB,"
              " %u CPUs; scratch %s\n",
              args.cuttle.c_str(), cache_mb, std::thread::hardware_concurrency(), work.c_str());
  std::printf(
      "times from fork() of cuttle; resident: share of data.mdb in the page cache at"
      " start;\nsample: %d other stored URLs asked for after the first hit\n",
      kSample);
  std::fflush(stdout);
  bool ok = true;
  if (args.small > 0) ok = benchStore(args, work, "small", args.small, cache_mb) && ok;
  if (!g_stop) ok = benchStore(args, work, "large", args.objects, cache_mb) && ok;
  if (args.keep) {
    std::printf("scratch directory kept: %s\n", work.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  if (g_stop) return 130;
  return ok ? 0 : 1;
}
