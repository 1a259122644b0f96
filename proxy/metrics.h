// Metrics: what /metrics (Prometheus text format) and /status report.
//
// Each worker owns a WorkerMetrics and is the only writer of its counters: they are
// relaxed atomics updated by a plain load and store (no locked instruction on the request
// path), readable from any thread. A scrape sums the workers. Names follow Prometheus
// conventions with a cuttle_ prefix.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.h"
#include "common/message.h"

namespace cuttle::proxy {

// A counter with a single writer thread.
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Seconds, with Prometheus' default buckets from 1 ms to 10 s.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  void observe(double seconds);
  uint64_t bucket(size_t i) const { return buckets_[i].get(); }  // i == kBounds.size(): +Inf
  uint64_t count() const { return count_.get(); }
  double sum() const { return static_cast<double>(sum_us_.get()) / 1e6; }

 private:
  std::array<Counter, kBounds.size() + 1> buckets_;
  Counter count_;
  Counter sum_us_;
};

// squid's result codes, as counted.
enum class ResultCode : uint8_t {
  kMiss, kHit, kMemHit, kImsHit, kRefreshUnmodified, kRefreshModified, kRefreshMiss,
  kRefreshFailOld, kClientRefreshMiss, kDenied, kTunnel, kNone, kCount,
};
ResultCode resultCodeOf(std::string_view squid_code);
std::string_view resultCodeName(ResultCode c);
bool isHit(ResultCode c);
// Requests the cache could have answered: hit ratios count these only (not cuttle's own
// pages and errors, denials or tunnels).
bool countsForHitRatio(ResultCode c);

struct HostCount {
  std::string host;
  uint64_t requests = 0;
};

class WorkerMetrics {
 public:
  static constexpr size_t kMethods = static_cast<size_t>(Method::kOther) + 1;
  static constexpr size_t kResults = static_cast<size_t>(ResultCode::kCount);

  // One finished request (called once per exchange or tunnel).
  void request(Method method, ResultCode result, int status, uint64_t bytes_in, uint64_t bytes_out,
               double seconds, std::string_view host);

  Counter requests[kMethods][kResults];
  Counter responses[6];  // by status class: 1xx..5xx, [0] for none (aborted before a response)
  Counter client_bytes_in;
  Counter client_bytes_out;
  Counter hit_bytes;  // bytes sent to clients from the cache
  Counter cacheable_bytes_out;  // bytes sent for requests that count for the hit ratio
  Histogram hit_latency;
  Histogram miss_latency;
  Counter upstream_open;  // gauge
  Counter upstream_idle;  // gauge
  Counter upstream_connects;
  Counter upstream_reuses;
  Counter tunnels_open;  // gauge
  Counter dns_cache_hits;
  Counter dns_lookups;
  Counter dns_failures;
  Histogram dns_latency;

  // The most requested hosts (space-saving sketch; approximate counts).
  std::vector<HostCount> topHosts(size_t n) const;

 private:
  void countHost(std::string_view host);
  static constexpr size_t kTopCapacity = 64;
  mutable std::mutex hosts_mutex_;
  std::vector<HostCount> hosts_;
};

// Process-wide: the workers' metrics, reloads, and the hit ratio history for /status.
class MetricsRegistry {
 public:
  MetricsRegistry();
  void addWorker(const WorkerMetrics* w);
  void reloadResult(bool ok);

  // Every ~10 s from the main loop: a point of the /status history.
  void sample(int64_t now_ms);

  struct Totals {
    uint64_t requests = 0;
    uint64_t hits = 0;
    uint64_t bytes_out = 0;
    uint64_t hit_bytes = 0;
  };
  Totals totals() const;

  // The Prometheus text exposition (format 0.0.4).
  std::string renderPrometheus(const cache::CacheStats& cache, uint64_t client_connections,
                               bool ready) const;
  // The status page, self-contained HTML.
  std::string renderStatus(const cache::CacheStats& cache, uint64_t cache_capacity,
                           uint64_t client_connections, int64_t now_ms) const;

 private:
  struct Point {
    int64_t time_ms = 0;
    Totals totals;
  };
  int64_t start_ms_;
  std::vector<const WorkerMetrics*> workers_;  // set before the workers start
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_failed_{0};
  mutable std::mutex history_mutex_;
  std::vector<Point> history_;  // ring of kHistory points
  size_t history_next_ = 0;
  static constexpr size_t kHistory = 180;  // 30 minutes at 10 s
};

}  // namespace cuttle::proxy
