// Worker: one thread, one uv loop, its own listening sockets (SO_REUSEPORT siblings), its
// own resolver, upstream pool and connections. Workers share nothing on the request path
// but the access log and the connection counter.
//
// Thread: everything except start(), requestShutdown() and join() runs on the worker's
// thread.
#pragma once

#include <uv.h>

#include <atomic>
#include <mutex>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cache/cache.h"
#include "common/deferred.h"
#include "common/http_date.h"
#include "conf/config.h"
#include "dns/resolver.h"
#include "proxy/access_log.h"
#include "proxy/metrics.h"
#include "proxy/peer_select.h"
#include "proxy/settings.h"
#include "proxy/upstream_pool.h"

namespace cuttle::proxy {

class ClientConnection;
class Exchange;

// State shared by all workers of the process.
struct SharedState {
  std::shared_ptr<const Settings> settings;  // at start; reloads go to each worker
  std::unique_ptr<cache::Cache> cache;
  std::atomic<uint32_t> client_connections{0};
  MetricsRegistry metrics;
};

class Worker {
 public:
  Worker(int index, SharedState& shared);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Starts the thread, which adopts the given bound, listening sockets.
  Status start(std::vector<int> listen_fds);
  // Thread-safe: stop accepting, finish in-flight exchanges up to shutdown_lifetime, exit.
  void requestShutdown();
  // Thread-safe: new requests use `settings` from the worker's next loop turn on.
  void updateSettings(std::shared_ptr<const Settings> settings);
  void join();

  // Loop-thread accessors.
  uv_loop_t* loop() { return &loop_; }
  const conf::Config& config() const { return *settings_->config; }
  const Settings& settings() const { return *settings_; }
  SharedState& shared() { return shared_; }
  dns::Resolver& resolver() { return *resolver_; }
  UpstreamPool& pool() { return pool_; }
  DeferredQueue& deferred() { return *deferred_; }
  AccessLog& accessLog() { return *settings_->access_log; }
  cache::Cache& cache() { return *shared_.cache; }
  cache::Cache::Context& cacheContext() { return *cache_context_; }
  std::string_view visibleHostname() const { return settings_->visible_hostname; }
  // Current time as an HTTP date, cached per second.
  std::string_view httpDate();
  int64_t wallClockMs() const;
  bool draining() const { return draining_; }
  WorkerMetrics& metrics() { return metrics_; }
  Authenticator& authenticator() { return *authenticator_; }
  PeerHealth& peerHealth() { return peer_health_; }
  // /readyz: listeners up, not draining, and the cache store open when one is configured.
  bool ready() const;
  int index() const { return index_; }

  void addConnection(ClientConnection* c);
  void removeConnection(ClientConnection* c);
  // Exchanges that go on without a client (cache fills after a client abort, background
  // revalidations): owned here until they call releaseBackground().
  void adoptBackground(std::unique_ptr<Exchange> exchange);
  void releaseBackground(Exchange* exchange);

 private:
  void run();
  Status listen(int fd);
  static void onAccept(uv_stream_t* server, int status);
  static void onShutdownAsync(uv_async_t* async);
  static void onSettingsAsync(uv_async_t* async);
  static void onReapTimer(uv_timer_t* timer);
  void installAuthenticator();
  static void onShutdownTimer(uv_timer_t* timer);
  void beginShutdown();
  void maybeFinishShutdown();

  int index_;
  SharedState& shared_;
  uv_loop_t loop_;
  uv_async_t shutdown_async_;
  uv_async_t settings_async_;
  std::shared_ptr<const Settings> settings_;          // the loop thread's
  std::mutex settings_mutex_;
  std::shared_ptr<const Settings> pending_settings_;  // guarded by settings_mutex_
  std::unique_ptr<Authenticator> authenticator_;
  std::vector<std::unique_ptr<Authenticator>> retiring_;  // closed, freed once finished
  uv_timer_t reap_timer_;
  uv_timer_t shutdown_timer_;
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  std::unique_ptr<dns::Resolver> resolver_;
  std::unique_ptr<DeferredQueue> deferred_;
  std::unique_ptr<cache::Cache::Context> cache_context_;
  UpstreamPool pool_;
  DateCache date_cache_;
  WorkerMetrics metrics_;
  PeerHealth peer_health_;
  std::unordered_map<Exchange*, std::unique_ptr<Exchange>> background_;
  ClientConnection* connections_ = nullptr;  // intrusive list head
  size_t connection_count_ = 0;
  bool draining_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace cuttle::proxy
