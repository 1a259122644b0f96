#include "tests/support/reload_support.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "tests/support/socket_stream.h"

namespace cuttle::test {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until pred() holds, re-checking on every change in the directory of `path`.
bool waitForDirectoryChange(const std::string& path, const std::function<bool()>& pred,
                            const std::string& what) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int ino = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ino >= 0) {
    ::inotify_add_watch(ino, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO);
  }
  const auto deadline = Clock::now() + kSafetyTimeout;
  bool ok = false;
  for (;;) {
    // Checked after the watch is in place, so that no change can slip between.
    if (pred()) {
      ok = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || ino < 0) break;
    pollfd p{ino, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      while (::read(ino, buf, sizeof(buf)) > 0) {
      }
    }
  }
  if (ino >= 0) ::close(ino);
  if (!ok) ADD_FAILURE() << "safety timeout waiting for " << what;
  return ok;
}

}  // namespace

size_t countInFile(const std::string& path, std::string_view needle) {
  const std::string text = readFile(path);
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

bool waitForCountInFile(const std::string& path, std::string_view needle, size_t n) {
  return waitForDirectoryChange(
      path, [&] { return countInFile(path, needle) >= n; },
      std::to_string(n) + " x '" + std::string(needle) + "' in " + path + ":\n" + readFile(path));
}

bool waitForPath(const std::string& path) {
  return waitForDirectoryChange(
      path, [&] { return ::access(path.c_str(), F_OK) == 0; }, path + " to exist");
}

std::string stderrLog(const CuttleProcess& proxy) { return readFile(proxy.dir() + "/stderr.log"); }

size_t stderrCount(const CuttleProcess& proxy, std::string_view needle) {
  return countInFile(proxy.dir() + "/stderr.log", needle);
}

std::string rewriteConfig(const CuttleProcess& proxy, std::string_view config) {
  const std::string text = harnessConfig(config, proxy.accessLogPath());
  const std::string tmp = proxy.configPath() + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  EXPECT_EQ(std::rename(tmp.c_str(), proxy.configPath().c_str()), 0) << proxy.configPath();
  return text;
}

ReloadOutcome waitForReload(const CuttleProcess& proxy, size_t applied_before,
                            size_t refused_before) {
  const std::string path = proxy.dir() + "/stderr.log";
  ReloadOutcome outcome = ReloadOutcome::kTimeout;
  waitForDirectoryChange(
      path,
      [&] {
        if (countInFile(path, kReloadApplied) > applied_before) {
          outcome = ReloadOutcome::kApplied;
        } else if (countInFile(path, kReloadRefused) > refused_before) {
          outcome = ReloadOutcome::kRefused;
        }
        return outcome != ReloadOutcome::kTimeout;
      },
      "the outcome of a reload in " + path);
  return outcome;
}

ReloadOutcome reload(CuttleProcess& proxy) {
  const size_t applied = stderrCount(proxy, kReloadApplied);
  const size_t refused = stderrCount(proxy, kReloadRefused);
  proxy.signal(SIGHUP);
  return waitForReload(proxy, applied, refused);
}

int lineOf(std::string_view text, std::string_view prefix) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    if (text.substr(start, prefix.size()) == prefix) return line;
    size_t eol = text.find('\n', start);
    if (eol == std::string_view::npos) break;
    start = eol + 1;
    ++line;
  }
  return 0;
}

}  // namespace cuttle::test
