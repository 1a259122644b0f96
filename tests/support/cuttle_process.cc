#include "tests/support/cuttle_process.h"

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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/socket_stream.h"
#include "tests/support/test_paths.h"

extern char** environ;

namespace cuttle::test {
namespace {

using Clock = std::chrono::steady_clock;

// The binary under test: CUTTLE_E2E_BINARY from the environment when set (a release or
// sanitizer build, or a snapshot), else the one CMake built alongside the tests.
std::string binaryPath() {
  const char* env = std::getenv("CUTTLE_E2E_BINARY");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(cuttleBinary());
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C"; use the system call directly.
int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool hasDirective(std::string_view config, std::string_view name) {
  std::istringstream in{std::string(config)};
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    size_t e = line.find_first_of(" \t\r", b);
    if (line.compare(b, e == std::string::npos ? std::string::npos : e - b, name) == 0) return true;
  }
  return false;
}

int exitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// posix_spawn of argv with stdout/stderr redirected to the given fds. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
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
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << args[0] << ": " << std::strerror(rc);
    return -1;
  }
  return pid;
}

// Waits for pid (through its pidfd, bounded). Returns the exit code, or -2 on timeout.
int waitExit(pid_t pid, int pidfd, std::chrono::milliseconds timeout) {
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) return -2;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exitCode(status);
}

}  // namespace

// ---- TempDir ------------------------------------------------------------------------------

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/cuttle-e2e-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    return;
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  if (std::getenv("CUTTLE_E2E_KEEP") != nullptr) {
    std::fprintf(stderr, "[harness] kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(std::string_view name, std::string_view contents) const {
  std::string p = path_ + "/" + std::string(name);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) ADD_FAILURE() << "cannot write " << p;
  return p;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {
size_t countLines(const std::string& path) {
  std::istringstream in(readFile(path));
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) n += line.empty() ? 0 : 1;
  return n;
}
}  // namespace

bool waitForFileLines(const std::string& path, size_t n) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int ino = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ino >= 0) ::inotify_add_watch(ino, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  const auto deadline = Clock::now() + kSafetyTimeout;
  bool ok = false;
  for (;;) {
    // Checked after the watch is in place, so that no write can slip between.
    if (countLines(path) >= n) {
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
  if (!ok) {
    ADD_FAILURE() << "safety timeout waiting for " << n << " line(s) in " << path << ":\n"
                  << readFile(path);
  }
  return ok;
}

std::string harnessConfig(std::string_view config, const std::string& access_log_path) {
  std::string out = "# e2e harness defaults\n";
  if (!hasDirective(config, "http_port")) out += "http_port 127.0.0.1:0\n";
  if (!hasDirective(config, "access_log")) out += "access_log stdio:" + access_log_path + "\n";
  if (!hasDirective(config, "workers")) out += "workers 1\n";
  // squid's rule: without any http_access line everything is denied. Tests that are not
  // about access control get an open proxy on loopback.
  if (!hasDirective(config, "http_access")) out += "http_access allow all\n";
  if (!hasDirective(config, "visible_hostname")) {
    out += "visible_hostname " + std::string(kVisibleHostname) + "\n";
  }
  out += "# test configuration\n";
  out += config;
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// ---- CuttleProcess --------------------------------------------------------------------------

CuttleProcess::CuttleProcess(std::string_view config) {
  if (dir_.path().empty()) return;
  if (!hasDirective(config, "access_log")) access_log_path_ = dir_.path() + "/access.log";
  config_text_ = harnessConfig(config, access_log_path_);
  config_path_ = dir_.write("cuttle.conf", config_text_);
  start();
}

void CuttleProcess::start() {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  int out_fd =
      ::open((dir_.path() + "/stdout.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = spawn({binaryPath(), "-f", config_path_}, out_fd, err_pipe[1]);
  ::close(err_pipe[1]);
  if (out_fd >= 0) ::close(out_fd);
  if (pid_ <= 0) {
    pid_ = -1;
    ::close(err_pipe[0]);
    return;
  }
  pidfd_ = pidfdOpen(pid_);
  stderr_thread_ = std::thread([this, fd = err_pipe[0]] { readStderr(fd); });

  // Wait for "listening on ADDRESS:PORT".
  std::unique_lock<std::mutex> lock(mu_);
  const std::string_view kNeedle = "listening on ";
  size_t at = std::string::npos;
  bool ok = stderr_changed_.wait_for(lock, kStartTimeout, [&] {
    at = stderr_.find(kNeedle);
    return (at != std::string::npos && stderr_.find('\n', at) != std::string::npos) || stderr_eof_;
  });
  if (ok && at != std::string::npos) {
    size_t eol = stderr_.find('\n', at);
    std::string address = stderr_.substr(at + kNeedle.size(), eol - at - kNeedle.size());
    size_t colon = address.rfind(':');
    if (colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1));
    }
  }
  if (port_ == 0) {
    std::string err = stderr_;
    lock.unlock();
    ADD_FAILURE() << (ok ? "cuttle exited before listening"
                         : "cuttle did not start listening in time")
                  << "\n--- config ---\n"
                  << config_text_ << "--- stderr ---\n"
                  << err;
  }
}

void CuttleProcess::readStderr(int fd) {
  std::ofstream file(dir_.path() + "/stderr.log", std::ios::binary);
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    file.write(buf, n);
    file.flush();
    std::lock_guard<std::mutex> lock(mu_);
    stderr_.append(buf, static_cast<size_t>(n));
    stderr_changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  stderr_eof_ = true;
  stderr_changed_.notify_all();
}

CuttleProcess::~CuttleProcess() {
  if (running()) kill();
  if (stderr_thread_.joinable()) stderr_thread_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
  if (::testing::Test::HasFailure()) {
    std::string err = stderrText();
    if (err.size() > 16384) err = "...\n" + err.substr(err.size() - 16384);
    std::fprintf(stderr, "[harness] cuttle config:\n%s[harness] cuttle stderr:\n%s",
                 config_text_.c_str(), err.c_str());
    if (!access_log_path_.empty()) {
      std::fprintf(stderr, "[harness] access log:\n%s", accessLog().c_str());
    }
  }
}

std::string CuttleProcess::accessLog() const {
  return access_log_path_.empty() ? std::string() : readFile(access_log_path_);
}

std::vector<std::string> CuttleProcess::accessLogLines() const {
  std::vector<std::string> lines;
  std::istringstream in(accessLog());
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool CuttleProcess::waitForAccessLogLines(size_t n) {
  if (access_log_path_.empty()) {
    ADD_FAILURE() << "waitForAccessLogLines: the test configured its own access_log";
    return false;
  }
  return waitForFileLines(access_log_path_, n);
}

std::string CuttleProcess::stderrText() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stderr_;
}

bool CuttleProcess::waitForStderr(std::string_view needle) {
  std::unique_lock<std::mutex> lock(mu_);
  bool ok = stderr_changed_.wait_for(lock, kStartTimeout, [&] {
    return stderr_.find(needle) != std::string::npos || stderr_eof_;
  });
  ok = ok && stderr_.find(needle) != std::string::npos;
  if (!ok) ADD_FAILURE() << "cuttle's stderr never showed \"" << needle << "\":\n" << stderr_;
  return ok;
}

void CuttleProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int CuttleProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int code = waitExit(pid_, pidfd_, timeout);
  if (code == -2) {
    ADD_FAILURE() << "cuttle did not exit within " << timeout.count() << " ms; killing it";
    kill();
    return -1;
  }
  pid_ = -1;
  if (stderr_thread_.joinable()) stderr_thread_.join();
  return code;
}

int CuttleProcess::stop() {
  if (pid_ <= 0) return -1;
  signal(SIGTERM);
  return wait(kStopTimeout);
}

void CuttleProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (stderr_thread_.joinable()) stderr_thread_.join();
}

// ---- one-shot commands ----------------------------------------------------------------------

CommandResult runCuttle(const std::vector<std::string>& args) {
  CommandResult result;
  TempDir dir;
  std::string out_path = dir.path() + "/out";
  std::string err_path = dir.path() + "/err";
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::string> argv = {binaryPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (pid <= 0) return result;
  int pidfd = pidfdOpen(pid);
  result.exit_code = waitExit(pid, pidfd, kStopTimeout);
  if (result.exit_code == -2) {
    ADD_FAILURE() << "cuttle did not exit in time; killing it";
    ::kill(pid, SIGKILL);
    result.exit_code = waitExit(pid, -1, kStopTimeout);
  }
  if (pidfd >= 0) ::close(pidfd);
  result.out = readFile(out_path);
  result.err = readFile(err_path);
  return result;
}

CommandResult parseConfig(std::string_view config_text) {
  TempDir dir;
  std::string path = dir.write("cuttle.conf", config_text);
  return runCuttle({"-k", "parse", "-f", path});
}

}  // namespace cuttle::test
