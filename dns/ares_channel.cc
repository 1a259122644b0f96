#include "dns/ares_channel.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <mutex>
#include <string>

namespace cuttle::dns {

namespace {

// c-ares sends each query `tries` rounds over the server list and doubles the per-try
// timeout after each round: with 3 tries one server costs t + 2t + 4t = 7t in the worst
// case. The per-try timeout is chosen so that the whole schedule fits options.timeout.
constexpr int kTries = 3;
constexpr int kScheduleUnits = 7;

int libraryInit() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

Error aresError(int status, std::string_view what) {
  std::string cause(what);
  cause += ": ";
  cause += ares_strerror(status);
  return Error(ErrorCode::kInternal, Side::kInternal, std::move(cause));
}

std::string serversCsv(const std::vector<SocketAddress>& servers) {
  std::string csv;
  for (const SocketAddress& server : servers) {
    if (!csv.empty()) csv += ',';
    csv += server.toString();  // "1.2.3.4:53" or "[::1]:53"
  }
  return csv;
}

int countServers(ares_channel channel) {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return 1;
  int count = 0;
  for (ares_addr_port_node* s = servers; s != nullptr; s = s->next) ++count;
  ares_free_data(servers);
  return count > 0 ? count : 1;
}

}  // namespace

struct AresChannel::SocketWatch {
  uv_poll_t poll;
  AresChannel* owner = nullptr;
  ares_socket_t fd = ARES_SOCKET_BAD;
};

AresChannel::AresChannel(uv_loop_t* loop, std::function<void()> after_process)
    : loop_(loop), after_process_(std::move(after_process)) {}

AresChannel::~AresChannel() {
  assert(closed());
  if (channel_ != nullptr) ares_destroy(channel_);  // only after a failed create()
}

Result<std::unique_ptr<AresChannel>> AresChannel::create(uv_loop_t* loop, const Config& config,
                                                         std::function<void()> after_process) {
  int status = libraryInit();
  if (status != ARES_SUCCESS) return aresError(status, "c-ares library initialisation");
  std::unique_ptr<AresChannel> self(new AresChannel(loop, std::move(after_process)));
  self->closing_ = true;  // no handle yet: destroyable on the error paths below
  int nservers = config.nameservers.empty() ? 1 : static_cast<int>(config.nameservers.size());
  status = initChannel(&self->channel_, config, nservers, self.get());
  if (status == ARES_SUCCESS && config.nameservers.empty()) {
    int actual = countServers(self->channel_);
    if (actual != nservers) {  // resolv.conf lists several: shorten each try
      ares_destroy(self->channel_);
      self->channel_ = nullptr;
      status = initChannel(&self->channel_, config, actual, self.get());
    }
  }
  if (status != ARES_SUCCESS) return aresError(status, "c-ares initialisation");
  if (!config.nameservers.empty()) {
    status = ares_set_servers_ports_csv(self->channel_, serversCsv(config.nameservers).c_str());
    if (status != ARES_SUCCESS) return aresError(status, "setting DNS servers");
  }
  uv_timer_init(loop, &self->timer_);
  self->timer_.data = self.get();
  self->open_handles_ = 1;
  self->closing_ = false;
  return self;
}

int AresChannel::initChannel(ares_channel* channel, const Config& config, int nservers,
                             void* self) {
  ares_options options{};
  int mask = 0;
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  mask |= ARES_OPT_FLAGS;
  options.sock_state_cb = &AresChannel::onSocketState;
  options.sock_state_cb_data = self;
  mask |= ARES_OPT_SOCK_STATE_CB;
  long long per_try = config.timeout.count() / (kScheduleUnits * nservers);
  options.timeout = static_cast<int>(std::clamp<long long>(per_try, 1, INT_MAX));
  mask |= ARES_OPT_TIMEOUTMS;
  options.tries = kTries;
  mask |= ARES_OPT_TRIES;
  char lookups[] = "b";  // DNS only: the Resolver reads the hosts file itself
  options.lookups = lookups;
  mask |= ARES_OPT_LOOKUPS;
  options.domains = nullptr;  // no search domains, whatever resolv.conf says
  options.ndomains = 0;
  mask |= ARES_OPT_DOMAINS;
  return ares_init_options(channel, &options, mask);
}

void AresChannel::start(const std::string& name, ares_addrinfo_callback callback, void* arg) {
  if (closing_) {
    callback(arg, ARES_EDESTRUCTION, 0, nullptr);
    return;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  std::string absolute = name + ".";
  ares_getaddrinfo(channel_, absolute.c_str(), nullptr, &hints, callback, arg);
  rearmTimer();
}

void AresChannel::close() {
  if (closing_) return;
  closing_ = true;
  ares_destroy(channel_);  // pending lookups call back; sockets go through onSocketState
  channel_ = nullptr;
  while (!watches_.empty()) unwatch(watches_.begin()->first);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* handle) { static_cast<AresChannel*>(handle->data)->open_handles_--; });
}

void AresChannel::onSocketState(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresChannel*>(data);
  if (readable != 0 || writable != 0) {
    self->watch(fd, readable != 0, writable != 0);
  } else {
    self->unwatch(fd);  // c-ares closes fd right after this returns
  }
}

void AresChannel::watch(ares_socket_t fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    auto* w = new SocketWatch;
    if (uv_poll_init_socket(loop_, &w->poll, fd) != 0) {
      delete w;  // never a handle: c-ares times the query out
      return;
    }
    w->poll.data = w;
    w->owner = this;
    w->fd = fd;
    ++open_handles_;
    it = watches_.emplace(fd, w).first;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&it->second->poll, events, &AresChannel::onPoll);
}

void AresChannel::unwatch(ares_socket_t fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  SocketWatch* w = it->second;
  watches_.erase(it);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), [](uv_handle_t* handle) {
    auto* closed = static_cast<SocketWatch*>(handle->data);
    closed->owner->open_handles_--;
    delete closed;
  });
}

void AresChannel::onPoll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<SocketWatch*>(handle->data);
  // On a poll error let c-ares find the socket's error by reading and writing.
  if (status < 0) events = UV_READABLE | UV_WRITABLE;
  ares_socket_t read_fd = (events & UV_READABLE) != 0 ? w->fd : ARES_SOCKET_BAD;
  ares_socket_t write_fd = (events & UV_WRITABLE) != 0 ? w->fd : ARES_SOCKET_BAD;
  w->owner->process(read_fd, write_fd);  // w may be closing afterwards: not touched again
}

void AresChannel::onTimer(uv_timer_t* handle) {
  static_cast<AresChannel*>(handle->data)->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void AresChannel::process(ares_socket_t read_fd, ares_socket_t write_fd) {
  if (closing_) return;
  ares_process_fd(channel_, read_fd, write_fd);
  rearmTimer();
  after_process_();  // last: it may close this channel
}

void AresChannel::rearmTimer() {
  if (closing_) return;
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
    uv_timer_stop(&timer_);
    return;
  }
  uint64_t ms =
      static_cast<uint64_t>(tv.tv_sec) * 1000 + (static_cast<uint64_t>(tv.tv_usec) + 999) / 1000;
  uv_timer_start(&timer_, &AresChannel::onTimer, ms, 0);
}

}  // namespace cuttle::dns
