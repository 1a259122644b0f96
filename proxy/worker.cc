#include "proxy/worker.h"

#include <sys/time.h>

#include "common/log.h"
#include "common/strings.h"
#include "proxy/client_connection.h"
#include "proxy/exchange.h"

namespace cuttle::proxy {

Worker::Worker(int index, SharedState& shared)
    : index_(index), shared_(shared), settings_(shared.settings) {
  shared_.metrics.addWorker(&metrics_);
  pool_.setIdleGauge(&metrics_.upstream_idle);
}

bool Worker::ready() const {
  if (draining_ || listeners_.empty()) return false;
  return !config().cache_dir || shared_.cache->persistent();
}

Worker::~Worker() {
  join();
  cache_context_.reset();  // its store reader goes before the store
}

Status Worker::start(std::vector<int> listen_fds) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &shutdown_async_, &Worker::onShutdownAsync);
  uv_async_init(&loop_, &settings_async_, &Worker::onSettingsAsync);
  settings_async_.data = this;
  uv_timer_init(&loop_, &shutdown_timer_);
  shutdown_async_.data = this;
  shutdown_timer_.data = this;
  deferred_ = std::make_unique<DeferredQueue>(&loop_);
  cache_context_ = shared_.cache->attach(&loop_);
  uv_timer_init(&loop_, &reap_timer_);
  reap_timer_.data = this;
  installAuthenticator();
  const conf::Config& c = config();
  dns::ResolverOptions options;
  options.nameservers = c.dns_nameservers;
  options.hosts_file = c.hosts_file;
  options.positive_ttl = c.positive_dns_ttl;
  options.negative_ttl = c.negative_dns_ttl;
  options.timeout = c.dns_timeout;
  auto resolver = dns::Resolver::create(&loop_, std::move(options));
  if (!resolver) return resolver.takeError();
  resolver_ = std::move(resolver.value());
  for (int fd : listen_fds) {
    Status s = listen(fd);
    if (!s) return s;
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

Status Worker::listen(int fd) {
  auto tcp = std::make_unique<uv_tcp_t>();
  uv_tcp_init(&loop_, tcp.get());
  tcp->data = this;
  int r = uv_tcp_open(tcp.get(), fd);
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(tcp.get()), 1024, &Worker::onAccept);
  listeners_.push_back(std::move(tcp));
  if (r != 0) return uvError(r, "listen", Side::kConfig);
  return {};
}

void Worker::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Everything is closed and the loop has run it all: authenticators may go.
  authenticator_.reset();
  retiring_.clear();
  int r = uv_loop_close(&loop_);
  if (r != 0) LOG_ERROR("worker %d: event loop closed with handles still open", index_);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::requestShutdown() { uv_async_send(&shutdown_async_); }

void Worker::updateSettings(std::shared_ptr<const Settings> settings) {
  {
    std::lock_guard<std::mutex> lock(settings_mutex_);
    pending_settings_ = std::move(settings);
  }
  uv_async_send(&settings_async_);
}

void Worker::onSettingsAsync(uv_async_t* async) {
  auto* self = static_cast<Worker*>(async->data);
  std::shared_ptr<const Settings> next;
  {
    std::lock_guard<std::mutex> lock(self->settings_mutex_);
    next = std::move(self->pending_settings_);
  }
  if (!next) return;
  const bool auth_changed = next->auth.config != self->settings_->auth.config ||
                            next->auth.file != self->settings_->auth.file;
  self->settings_ = std::move(next);
  if (auth_changed) self->installAuthenticator();
}

void Worker::installAuthenticator() {
  // A new configuration gets a new authenticator (cached verdicts go with the old one, so
  // a user removed from the password file is refused from the reload on).
  if (authenticator_) {
    authenticator_->close();
    retiring_.push_back(std::move(authenticator_));
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&reap_timer_))) {
      uv_timer_start(&reap_timer_, &Worker::onReapTimer, 1000, 1000);
    }
  }
  authenticator_ = Authenticator::create(&loop_, settings_->auth.config, settings_->auth.file);
}

void Worker::onReapTimer(uv_timer_t* timer) {
  auto* self = static_cast<Worker*>(timer->data);
  std::erase_if(self->retiring_, [](const std::unique_ptr<Authenticator>& a) { return a->finishedClosing(); });
  if (self->retiring_.empty()) uv_timer_stop(timer);
}

void Worker::onAccept(uv_stream_t* server, int status) {
  if (status < 0) return;  // EMFILE and the like: the next connection may work
  ClientConnection::accept(*static_cast<Worker*>(server->data), server);
}

std::string_view Worker::httpDate() { return date_cache_.get(wallClockMs() / 1000); }

int64_t Worker::wallClockMs() const {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

void Worker::addConnection(ClientConnection* c) {
  c->next = connections_;
  c->prev = nullptr;
  if (connections_ != nullptr) connections_->prev = c;
  connections_ = c;
  ++connection_count_;
}

void Worker::removeConnection(ClientConnection* c) {
  if (c->prev != nullptr) c->prev->next = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  if (connections_ == c) connections_ = c->next;
  --connection_count_;
  if (draining_) maybeFinishShutdown();
}

void Worker::adoptBackground(std::unique_ptr<Exchange> exchange) {
  Exchange* raw = exchange.get();
  background_.emplace(raw, std::move(exchange));
}

void Worker::releaseBackground(Exchange* exchange) {
  auto it = background_.find(exchange);
  if (it == background_.end()) return;
  deferred_->destroyLater(std::move(it->second));
  background_.erase(it);
  if (draining_) maybeFinishShutdown();
}

void Worker::onShutdownAsync(uv_async_t* async) { static_cast<Worker*>(async->data)->beginShutdown(); }

void Worker::beginShutdown() {
  if (draining_) return;
  draining_ = true;
  for (auto& l : listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l.get()), nullptr);
  pool_.closeAll();
  // Background work is best effort: it stops with the worker.
  for (auto& [raw, exchange] : background_) {
    exchange->abort();
    deferred_->destroyLater(std::move(exchange));
  }
  background_.clear();
  // drain() may close (and unlink) the connection: take the next one first.
  for (ClientConnection* c = connections_; c != nullptr;) {
    ClientConnection* next = c->next;
    c->drain();
    c = next;
  }
  uv_timer_start(&shutdown_timer_, &Worker::onShutdownTimer,
                 static_cast<uint64_t>(config().shutdown_lifetime.count()), 0);
  maybeFinishShutdown();
}

void Worker::onShutdownTimer(uv_timer_t* timer) {
  auto* self = static_cast<Worker*>(timer->data);
  for (ClientConnection* c = self->connections_; c != nullptr;) {
    ClientConnection* next = c->next;
    c->close();
    c = next;
  }
}

void Worker::maybeFinishShutdown() {
  if (!draining_ || finished_ || connection_count_ > 0) return;
  finished_ = true;
  uv_timer_stop(&shutdown_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&settings_async_), nullptr);
  pool_.closeAll();
  resolver_->close();
  deferred_->close();  // destroys the last exchanges, and with them their fill subscriptions
  cache_context_->close();
  authenticator_->close();
  for (auto& a : retiring_) a->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&reap_timer_), nullptr);
}

}  // namespace cuttle::proxy
