#include "tests/support/verbatim_cuttle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/support/test_paths.h"

extern char** environ;

namespace cuttle::test {

VerbatimCuttle::VerbatimCuttle(std::string_view config) {
  if (dir_.path().empty()) return;
  config_path_ = dir_.write("cuttle.conf", config);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  // The binary under test, as CuttleProcess chooses it.
  const char* env = std::getenv("CUTTLE_E2E_BINARY");
  std::string binary = env != nullptr && *env != '\0' ? env : cuttleBinary();
  std::vector<char*> argv = {binary.data(), const_cast<char*>("-f"), config_path_.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << std::strerror(rc);
    pid_ = -1;
    ::close(err_pipe[0]);
    return;
  }
  stderr_thread_ = std::thread([this, fd = err_pipe[0]] { readStderr(fd); });

  std::unique_lock<std::mutex> lock(mu_);
  const std::string_view kNeedle = "listening on ";
  size_t at = std::string::npos;
  const bool ok = changed_.wait_for(lock, kStartTimeout, [&] {
    at = stderr_.find(kNeedle);
    return (at != std::string::npos && stderr_.find('\n', at) != std::string::npos) || eof_;
  });
  if (ok && at != std::string::npos) {
    const size_t eol = stderr_.find('\n', at);
    const std::string address = stderr_.substr(at + kNeedle.size(), eol - at - kNeedle.size());
    const size_t colon = address.rfind(':');
    if (colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1));
    }
  }
  if (port_ == 0) {
    ADD_FAILURE() << (ok ? "cuttle exited before listening" : "cuttle did not listen in time")
                  << "\n--- config ---\n"
                  << config << "\n--- stderr ---\n"
                  << stderr_;
  }
}

VerbatimCuttle::~VerbatimCuttle() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stderr_thread_.joinable()) stderr_thread_.join();
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "[harness] verbatim cuttle stderr:\n%s", stderrText().c_str());
  }
}

std::string VerbatimCuttle::stderrText() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stderr_;
}

void VerbatimCuttle::readStderr(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    stderr_.append(buf, static_cast<size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  changed_.notify_all();
}

}  // namespace cuttle::test
