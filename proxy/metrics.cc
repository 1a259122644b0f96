#include "proxy/metrics.h"

#include <sys/time.h>

#include <algorithm>

namespace cuttle::proxy {
namespace {

constexpr std::string_view kResultNames[] = {
    "TCP_MISS", "TCP_HIT", "TCP_MEM_HIT", "TCP_IMS_HIT", "TCP_REFRESH_UNMODIFIED",
    "TCP_REFRESH_MODIFIED", "TCP_REFRESH_MISS", "TCP_REFRESH_FAIL_OLD", "TCP_CLIENT_REFRESH_MISS",
    "TCP_DENIED", "TCP_TUNNEL", "NONE"};

int64_t wallMs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

}  // namespace

// ---- pieces -------------------------------------------------------------------------------

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].add();
  count_.add();
  sum_us_.add(static_cast<uint64_t>(seconds * 1e6));
}

ResultCode resultCodeOf(std::string_view code) {
  for (size_t i = 0; i < std::size(kResultNames); ++i) {
    if (kResultNames[i] == code) return static_cast<ResultCode>(i);
  }
  return ResultCode::kNone;
}

std::string_view resultCodeName(ResultCode c) { return kResultNames[static_cast<size_t>(c)]; }

bool isHit(ResultCode c) {
  return c == ResultCode::kHit || c == ResultCode::kMemHit || c == ResultCode::kImsHit ||
         c == ResultCode::kRefreshUnmodified || c == ResultCode::kRefreshFailOld;
}

bool countsForHitRatio(ResultCode c) {
  return c != ResultCode::kNone && c != ResultCode::kDenied && c != ResultCode::kTunnel;
}

void WorkerMetrics::request(Method method, ResultCode result, int status, uint64_t bytes_in,
                            uint64_t bytes_out, double seconds, std::string_view host) {
  requests[static_cast<size_t>(method)][static_cast<size_t>(result)].add();
  responses[status >= 100 && status < 600 ? status / 100 : 0].add();
  client_bytes_in.add(bytes_in);
  client_bytes_out.add(bytes_out);
  if (countsForHitRatio(result)) cacheable_bytes_out.add(bytes_out);
  if (isHit(result)) {
    hit_bytes.add(bytes_out);
    hit_latency.observe(seconds);
  } else if (result != ResultCode::kTunnel) {
    miss_latency.observe(seconds);
  }
  if (!host.empty()) countHost(host);
}

void WorkerMetrics::countHost(std::string_view host) {
  std::lock_guard<std::mutex> lock(hosts_mutex_);
  for (HostCount& h : hosts_) {
    if (h.host == host) {
      ++h.requests;
      return;
    }
  }
  if (hosts_.size() < kTopCapacity) {
    hosts_.push_back(HostCount{std::string(host), 1});
    return;
  }
  // Space-saving: the new host takes the place of the least counted one, with its count.
  auto min = std::min_element(hosts_.begin(), hosts_.end(),
                              [](const HostCount& a, const HostCount& b) { return a.requests < b.requests; });
  min->host.assign(host);
  ++min->requests;
}

std::vector<HostCount> WorkerMetrics::topHosts(size_t n) const {
  std::vector<HostCount> out;
  {
    std::lock_guard<std::mutex> lock(hosts_mutex_);
    out = hosts_;
  }
  std::sort(out.begin(), out.end(), [](const HostCount& a, const HostCount& b) { return a.requests > b.requests; });
  if (out.size() > n) out.resize(n);
  return out;
}

// ---- registry -----------------------------------------------------------------------------

MetricsRegistry::MetricsRegistry() : start_ms_(wallMs()) { history_.resize(kHistory); }

void MetricsRegistry::addWorker(const WorkerMetrics* w) { workers_.push_back(w); }

void MetricsRegistry::reloadResult(bool ok) { (ok ? reloads_ok_ : reloads_failed_).fetch_add(1); }

MetricsRegistry::Totals MetricsRegistry::totals() const {
  Totals t;
  for (const WorkerMetrics* w : workers_) {
    for (size_t m = 0; m < WorkerMetrics::kMethods; ++m) {
      for (size_t r = 0; r < WorkerMetrics::kResults; ++r) {
        const uint64_t n = w->requests[m][r].get();
        const ResultCode code = static_cast<ResultCode>(r);
        if (!countsForHitRatio(code)) continue;
        t.requests += n;
        if (isHit(code)) t.hits += n;
      }
    }
    t.bytes_out += w->cacheable_bytes_out.get();
    t.hit_bytes += w->hit_bytes.get();
  }
  return t;
}

void MetricsRegistry::sample(int64_t now_ms) {
  Point p{now_ms, totals()};
  std::lock_guard<std::mutex> lock(history_mutex_);
  history_[history_next_ % kHistory] = p;
  ++history_next_;
}

}  // namespace cuttle::proxy
