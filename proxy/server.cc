#include "proxy/server.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/log.h"

namespace cuttle::proxy {
namespace {

int64_t wallClockMs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

Error sysError(const std::string& what) {
  return Error(ErrorCode::kIo, Side::kConfig, what + ": " + std::strerror(errno));
}

void raiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

Result<int> openListeningSocket(const SocketAddress& address, bool any_address) {
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sysError("socket for " + address.toString());
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    Error e = sysError("SO_REUSEPORT on " + address.toString());
    ::close(fd);
    return e;
  }
  if (address.isV6()) {
    int v6only = any_address ? 0 : 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  if (::bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
    Error e = sysError("cannot bind " + address.toString());
    ::close(fd);
    return e;
  }
  if (::listen(fd, 1024) != 0) {
    Error e = sysError("cannot listen on " + address.toString());
    ::close(fd);
    return e;
  }
  return fd;
}

Server::Server(std::string path, std::shared_ptr<conf::Config> config)
    : path_(std::move(path)), config_(std::move(config)) {
  const conf::Config& c = *config_;
  worker_count_ = c.workers > 0 ? c.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &sample_timer_);
  sample_timer_.data = this;
}

Server::~Server() {
  for (auto& w : workers_) w->join();
  for (auto& per_worker : fds_) {
    for (int fd : per_worker) {
      if (fd >= 0) ::close(fd);
    }
  }
  // Handles of a run that ended early (a start-up error) are closed here.
  uv_walk(&loop_, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

Status Server::openListeners() {
  const conf::Config& c = *config_;
  fds_.assign(static_cast<size_t>(worker_count_), {});
  for (const conf::HttpPort& port : c.http_ports) {
    SocketAddress address = port.address;
    for (int w = 0; w < worker_count_; ++w) {
      auto fd = openListeningSocket(address, port.any_address);
      if (!fd && w == 0 && port.any_address && address.isV6()) {
        // No IPv6 on this host: fall back to the IPv4 wildcard.
        address = *SocketAddress::parseIp("0.0.0.0", address.port());
        fd = openListeningSocket(address, true);
      }
      if (!fd) return fd.takeError();
      fds_[static_cast<size_t>(w)].push_back(*fd);
      if (w == 0 && address.port() == 0) {
        // Port 0: the kernel chose one; the sibling sockets must share it.
        sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        getsockname(*fd, reinterpret_cast<sockaddr*>(&ss), &len);
        address.setPort(SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)).port());
      }
    }
    LOG_INFO("listening on %s", address.toString().c_str());
  }
  return {};
}

Status Server::startWorkers() {
  for (int w = 0; w < worker_count_; ++w) {
    auto worker = std::make_unique<Worker>(w, shared_);
    std::vector<int> fds = std::move(fds_[static_cast<size_t>(w)]);
    fds_[static_cast<size_t>(w)].clear();
    Status s = worker->start(std::move(fds));
    workers_.push_back(std::move(worker));
    if (!s) return s;
  }
  return {};
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();
  auto settings = buildSettings(config_, nullptr);
  if (!settings) {
    LOG_ERROR("%s", settings.error().cause.c_str());
    return 1;
  }
  settings_ = std::move(settings.value());
  shared_.settings = settings_;
  shared_.cache = cache::Cache::open(*config_);
  // Signals first: a SIGTERM that arrives as soon as the port is open must drain, not kill.
  const int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
  for (int i = 0; i < 4; ++i) {
    uv_signal_init(&loop_, &signals_[i]);
    signals_[i].data = this;
    uv_signal_start(&signals_[i], &Server::onSignal, kSignals[i]);
  }
  Status s = openListeners();
  if (s) s = startWorkers();
  if (!s) {
    LOG_ERROR("%s", s.error().cause.c_str());
    shutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the signal handles' close callbacks
    for (auto& w : workers_) w->join();
    return 1;
  }
  writePidFile();
  shared_.metrics.sample(wallClockMs());
  uv_timer_start(&sample_timer_, &Server::onSampleTimer, 10000, 10000);
  LOG_INFO("cuttle started: %d worker%s, visible_hostname %s", worker_count_,
           worker_count_ == 1 ? "" : "s", settings_->visible_hostname.c_str());
  uv_run(&loop_, UV_RUN_DEFAULT);
  for (auto& w : workers_) w->join();
  workers_.clear();
  shared_.cache.reset();  // commits what is queued for the store
  settings_->access_log->flush();
  removePidFile();
  LOG_INFO("cuttle stopped");
  return 0;
}

void Server::onSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  switch (signum) {
    case SIGHUP:
      self->reload();
      break;
    case SIGUSR1:
      self->rotate();
      break;
    default:
      LOG_INFO("signal %d: finishing in-flight requests, then exiting", signum);
      self->shutdown();
      break;
  }
}

void Server::onSampleTimer(uv_timer_t* timer) {
  static_cast<Server*>(timer->data)->shared_.metrics.sample(wallClockMs());
}

void Server::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sample_timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&sample_timer_), nullptr);
  }
  for (auto& w : workers_) w->requestShutdown();
  for (uv_signal_t& s : signals_) {
    if (uv_is_active(reinterpret_cast<uv_handle_t*>(&s))) uv_close(reinterpret_cast<uv_handle_t*>(&s), nullptr);
  }
}

void Server::reload() {
  LOG_INFO("reconfiguring from %s", path_.c_str());
  conf::ParseOutcome parsed = conf::parseConfigFile(path_);
  for (const conf::Diagnostic& w : parsed.warnings) LOG_WARN("%s", w.toString().c_str());
  if (!parsed.config) {
    // Counted before it is said: whoever reads the log line finds the metric up to date.
    shared_.metrics.reloadResult(false);
    for (const conf::Diagnostic& e : parsed.errors) LOG_ERROR("%s", e.toString().c_str());
    LOG_ERROR("reconfigure refused: %zu error%s in %s; the running configuration is kept",
              parsed.errors.size(), parsed.errors.size() == 1 ? "" : "s", path_.c_str());
    return;
  }
  auto settings = buildSettings(parsed.config, settings_.get());
  if (!settings) {
    shared_.metrics.reloadResult(false);
    LOG_ERROR("reconfigure refused: %s; the running configuration is kept", settings.error().cause.c_str());
    return;
  }
  for (const std::string& name : restartNeeded(*config_, *parsed.config)) {
    LOG_WARN("reconfigure: %s changed; it takes effect at the next restart", name.c_str());
  }
  config_ = parsed.config;
  settings_ = std::move(settings.value());
  for (auto& w : workers_) w->updateSettings(settings_);
  shared_.metrics.reloadResult(true);
  LOG_INFO("reconfigured: new requests use the new configuration");
}

void Server::rotate() {
  LOG_INFO("reopening log files");
  reopenLogFile();
  settings_->access_log->reopen();
}

void Server::writePidFile() {
  const std::string& path = config_->pid_filename;
  if (path.empty()) return;
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    LOG_WARN("cannot write pid_filename %s: %s (cuttle -k needs it)", path.c_str(), std::strerror(errno));
    return;
  }
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  std::fclose(f);
  pid_file_written_ = path;
}

void Server::removePidFile() {
  if (!pid_file_written_.empty()) ::unlink(pid_file_written_.c_str());
}

}  // namespace cuttle::proxy
