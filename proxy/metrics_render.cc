// MetricsRegistry's renderings: the Prometheus text exposition and the /status page.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <map>

#include "proxy/metrics.h"

namespace cuttle::proxy {
namespace {

constexpr std::string_view kMethodNames[] = {"GET",   "HEAD",    "POST",  "PUT",   "DELETE", "CONNECT",
                                             "OPTIONS", "TRACE", "PATCH", "PURGE", "OTHER"};

void line(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void line(std::string& out, const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(buf, sizeof(buf), format, ap);
  va_end(ap);
  if (n > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
  out += '\n';
}

void help(std::string& out, const char* name, const char* type, const char* text) {
  line(out, "# HELP %s %s", name, text);
  line(out, "# TYPE %s %s", name, type);
}

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

void histogram(std::string& out, const char* name, const char* labels,
               const std::vector<const Histogram*>& parts) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= Histogram::kBounds.size(); ++i) {
    for (const Histogram* h : parts) cumulative += h->bucket(i);
    char le[32];
    if (i < Histogram::kBounds.size()) {
      snprintf(le, sizeof(le), "%g", Histogram::kBounds[i]);
    } else {
      snprintf(le, sizeof(le), "+Inf");
    }
    line(out, "%s_bucket{%s%sle=\"%s\"} %llu", name, labels, *labels ? "," : "", le, ull(cumulative));
  }
  double sum = 0;
  uint64_t count = 0;
  for (const Histogram* h : parts) {
    sum += h->sum();
    count += h->count();
  }
  const char* open = *labels ? "{" : "";
  const char* close = *labels ? "}" : "";
  line(out, "%s_sum%s%s%s %.6f", name, open, labels, close, sum);
  line(out, "%s_count%s%s%s %llu", name, open, labels, close, ull(count));
}

template <typename F>
uint64_t sum(const std::vector<const WorkerMetrics*>& workers, F f) {
  uint64_t n = 0;
  for (const WorkerMetrics* w : workers) n += f(*w);
  return n;
}

double ratio(uint64_t a, uint64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

std::string htmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string humanBytes(uint64_t b) {
  char buf[32];
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string MetricsRegistry::renderPrometheus(const cache::CacheStats& cache, uint64_t client_connections,
                                              bool ready) const {
  std::string out;
  out.reserve(16 * 1024);
  const auto& ws = workers_;
  help(out, "cuttle_requests_total", "counter", "Requests by method and squid result code.");
  for (size_t m = 0; m < WorkerMetrics::kMethods; ++m) {
    for (size_t r = 0; r < WorkerMetrics::kResults; ++r) {
      const uint64_t n = sum(ws, [&](const WorkerMetrics& w) { return w.requests[m][r].get(); });
      if (n == 0) continue;
      line(out, "cuttle_requests_total{method=\"%s\",result=\"%s\"} %llu", kMethodNames[m].data(),
           resultCodeName(static_cast<ResultCode>(r)).data(), ull(n));
    }
  }
  help(out, "cuttle_responses_total", "counter", "Responses by status class (none: no response).");
  const char* classes[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t c = 0; c < 6; ++c) {
    line(out, "cuttle_responses_total{class=\"%s\"} %llu", classes[c],
         ull(sum(ws, [&](const WorkerMetrics& w) { return w.responses[c].get(); })));
  }
  const Totals t = totals();
  uint64_t revalidated[3] = {0, 0, 0};
  for (size_t m = 0; m < WorkerMetrics::kMethods; ++m) {
    revalidated[0] += sum(ws, [&](const WorkerMetrics& w) {
      return w.requests[m][static_cast<size_t>(ResultCode::kRefreshUnmodified)].get();
    });
    revalidated[1] += sum(ws, [&](const WorkerMetrics& w) {
      return w.requests[m][static_cast<size_t>(ResultCode::kRefreshModified)].get();
    });
    revalidated[2] += sum(ws, [&](const WorkerMetrics& w) {
      return w.requests[m][static_cast<size_t>(ResultCode::kRefreshFailOld)].get();
    });
  }
  help(out, "cuttle_cache_hits_total", "counter", "Requests answered from the cache.");
  line(out, "cuttle_cache_hits_total %llu", ull(t.hits));
  help(out, "cuttle_cache_misses_total", "counter",
       "Requests not answered from the cache (cuttle's own pages, denials and tunnels aside).");
  line(out, "cuttle_cache_misses_total %llu", ull(t.requests - t.hits));
  help(out, "cuttle_cache_revalidations_total", "counter", "Stored responses validated with the origin.");
  line(out, "cuttle_cache_revalidations_total{result=\"unmodified\"} %llu", ull(revalidated[0]));
  line(out, "cuttle_cache_revalidations_total{result=\"modified\"} %llu", ull(revalidated[1]));
  line(out, "cuttle_cache_revalidations_total{result=\"failed_served_stale\"} %llu", ull(revalidated[2]));
  help(out, "cuttle_cache_hit_ratio", "gauge", "Hits over requests since start.");
  line(out, "cuttle_cache_hit_ratio %.6f", ratio(t.hits, t.requests));
  help(out, "cuttle_cache_byte_hit_ratio", "gauge", "Bytes sent from the cache over all bytes sent, since start.");
  line(out, "cuttle_cache_byte_hit_ratio %.6f", ratio(t.hit_bytes, t.bytes_out));
  help(out, "cuttle_client_received_bytes_total", "counter", "Bytes received from clients.");
  line(out, "cuttle_client_received_bytes_total %llu",
       ull(sum(ws, [](const WorkerMetrics& w) { return w.client_bytes_in.get(); })));
  help(out, "cuttle_client_sent_bytes_total", "counter", "Bytes sent to clients.");
  line(out, "cuttle_client_sent_bytes_total %llu",
       ull(sum(ws, [](const WorkerMetrics& w) { return w.client_bytes_out.get(); })));
  help(out, "cuttle_request_duration_seconds", "histogram", "Request duration, hits and misses apart.");
  std::vector<const Histogram*> hits, misses, dns;
  for (const WorkerMetrics* w : ws) {
    hits.push_back(&w->hit_latency);
    misses.push_back(&w->miss_latency);
    dns.push_back(&w->dns_latency);
  }
  histogram(out, "cuttle_request_duration_seconds", "cache=\"hit\"", hits);
  histogram(out, "cuttle_request_duration_seconds", "cache=\"miss\"", misses);
  help(out, "cuttle_client_connections", "gauge", "Open client connections.");
  line(out, "cuttle_client_connections %llu", ull(client_connections));
  const uint64_t up_open = sum(ws, [](const WorkerMetrics& w) { return w.upstream_open.get(); });
  const uint64_t up_idle = sum(ws, [](const WorkerMetrics& w) { return w.upstream_idle.get(); });
  help(out, "cuttle_upstream_connections", "gauge", "Open origin connections, in use or idle in the pool.");
  line(out, "cuttle_upstream_connections{state=\"active\"} %llu", ull(up_open >= up_idle ? up_open - up_idle : 0));
  line(out, "cuttle_upstream_connections{state=\"idle\"} %llu", ull(up_idle));
  help(out, "cuttle_upstream_connects_total", "counter", "Origin connections opened.");
  line(out, "cuttle_upstream_connects_total %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.upstream_connects.get(); })));
  help(out, "cuttle_upstream_reuses_total", "counter", "Requests sent on a pooled origin connection.");
  line(out, "cuttle_upstream_reuses_total %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.upstream_reuses.get(); })));
  help(out, "cuttle_dns_cache_hits_total", "counter", "Names answered without a lookup (cache, hosts file, literal).");
  line(out, "cuttle_dns_cache_hits_total %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.dns_cache_hits.get(); })));
  help(out, "cuttle_dns_lookups_total", "counter", "Names that needed a lookup.");
  line(out, "cuttle_dns_lookups_total %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.dns_lookups.get(); })));
  help(out, "cuttle_dns_failures_total", "counter", "Lookups that failed.");
  line(out, "cuttle_dns_failures_total %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.dns_failures.get(); })));
  help(out, "cuttle_dns_lookup_duration_seconds", "histogram", "Time to answer a lookup.");
  histogram(out, "cuttle_dns_lookup_duration_seconds", "", dns);
  help(out, "cuttle_cache_objects", "gauge", "Stored objects.");
  line(out, "cuttle_cache_objects{store=\"memory\"} %llu", ull(cache.memory.objects));
  line(out, "cuttle_cache_objects{store=\"disk\"} %llu", ull(cache.store.objects));
  help(out, "cuttle_cache_size_bytes", "gauge", "Stored bytes.");
  line(out, "cuttle_cache_size_bytes{store=\"memory\"} %llu", ull(cache.memory.bytes));
  line(out, "cuttle_cache_size_bytes{store=\"disk\"} %llu", ull(cache.store.bytes));
  help(out, "cuttle_cache_evictions_total", "counter", "Objects evicted to make room.");
  line(out, "cuttle_cache_evictions_total{store=\"memory\"} %llu", ull(cache.memory.evictions));
  line(out, "cuttle_cache_evictions_total{store=\"disk\"} %llu", ull(cache.store.evictions));
  help(out, "cuttle_cache_writer_queue_depth", "gauge", "Operations waiting for the store's writer.");
  line(out, "cuttle_cache_writer_queue_depth %llu", ull(cache.store.queue_depth));
  help(out, "cuttle_cache_fills_in_flight", "gauge", "Objects being fetched into the cache.");
  line(out, "cuttle_cache_fills_in_flight %llu", ull(cache.fills_in_flight));
  help(out, "cuttle_tunnels_open", "gauge", "Open CONNECT and Upgrade tunnels.");
  line(out, "cuttle_tunnels_open %llu", ull(sum(ws, [](const WorkerMetrics& w) { return w.tunnels_open.get(); })));
  help(out, "cuttle_config_reloads_total", "counter", "Configuration reloads by result.");
  line(out, "cuttle_config_reloads_total{result=\"success\"} %llu", ull(reloads_ok_.load()));
  line(out, "cuttle_config_reloads_total{result=\"failure\"} %llu", ull(reloads_failed_.load()));
  help(out, "cuttle_ready", "gauge", "1 when cuttle serves requests (cache open, listeners up).");
  line(out, "cuttle_ready %d", ready ? 1 : 0);
  help(out, "cuttle_start_time_seconds", "gauge", "Start time, unix seconds.");
  line(out, "cuttle_start_time_seconds %lld", static_cast<long long>(start_ms_ / 1000));
  return out;
}

std::string MetricsRegistry::renderStatus(const cache::CacheStats& cache, uint64_t cache_capacity,
                                          uint64_t client_connections, int64_t now_ms) const {
  std::vector<Point> points;
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    const size_t n = std::min(history_next_, kHistory);
    for (size_t i = history_next_ - n; i < history_next_; ++i) points.push_back(history_[i % kHistory]);
  }
  const Totals t = totals();
  std::string out = "<!doctype html><html><head><meta charset=\"utf-8\"><title>cuttle status</title><style>"
                    "body{font:14px sans-serif;margin:2em;color:#222}td,th{padding:2px 12px;text-align:left}"
                    "h2{margin-top:1.5em}</style></head><body><h1>cuttle</h1>";
  char buf[512];
  const int64_t up = (now_ms - start_ms_) / 1000;
  snprintf(buf, sizeof(buf), "<p>Up %lldd %02lld:%02lld:%02lld &middot; %llu requests &middot; %llu client connections</p>",
           static_cast<long long>(up / 86400), static_cast<long long>(up / 3600 % 24),
           static_cast<long long>(up / 60 % 60), static_cast<long long>(up % 60), ull(t.requests),
           ull(client_connections));
  out += buf;
  snprintf(buf, sizeof(buf), "<h2>Hit ratio</h2><p>%.1f%% of requests, %.1f%% of bytes since start.</p>",
           100 * ratio(t.hits, t.requests), 100 * ratio(t.hit_bytes, t.bytes_out));
  out += buf;
  // The hit ratio of each interval of the history, as an inline SVG chart.
  out += "<svg width=\"600\" height=\"160\" viewBox=\"0 0 600 160\" style=\"border:1px solid #ccc\">";
  if (points.size() >= 2) {
    std::string poly;
    const size_t intervals = points.size() - 1;
    for (size_t i = 1; i < points.size(); ++i) {
      const uint64_t req = points[i].totals.requests - points[i - 1].totals.requests;
      const uint64_t hit = points[i].totals.hits - points[i - 1].totals.hits;
      const double x = 600.0 * static_cast<double>(i - 1) / static_cast<double>(std::max<size_t>(1, intervals - 1));
      const double y = 155.0 - 150.0 * ratio(hit, req);
      snprintf(buf, sizeof(buf), "%.1f,%.1f ", x, y);
      poly += buf;
    }
    out += "<polyline fill=\"none\" stroke=\"#2a7\" stroke-width=\"2\" points=\"" + poly + "\"/>";
  }
  snprintf(buf, sizeof(buf), "<text x=\"4\" y=\"14\" font-size=\"11\">100%%</text><text x=\"4\" y=\"155\" "
           "font-size=\"11\">0%% &middot; last %zu min</text></svg>", points.size() / 6);
  out += buf;
  out += "<h2>Cache</h2><table><tr><th></th><th>objects</th><th>bytes</th><th>evictions</th></tr>";
  snprintf(buf, sizeof(buf), "<tr><td>memory</td><td>%llu</td><td>%s</td><td>%llu</td></tr>", ull(cache.memory.objects),
           humanBytes(cache.memory.bytes).c_str(), ull(cache.memory.evictions));
  out += buf;
  snprintf(buf, sizeof(buf), "<tr><td>disk</td><td>%llu</td><td>%s of %s (%.0f%%)</td><td>%llu</td></tr></table>",
           ull(cache.store.objects), humanBytes(cache.store.bytes).c_str(), humanBytes(cache_capacity).c_str(),
           100 * ratio(cache.store.bytes, cache_capacity), ull(cache.store.evictions));
  out += buf;
  std::map<std::string, uint64_t> hosts;
  for (const WorkerMetrics* w : workers_) {
    for (const HostCount& h : w->topHosts(20)) hosts[h.host] += h.requests;
  }
  std::vector<std::pair<std::string, uint64_t>> top(hosts.begin(), hosts.end());
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top.size() > 10) top.resize(10);
  out += "<h2>Top hosts</h2><table><tr><th>host</th><th>requests</th></tr>";
  for (const auto& [host, n] : top) {
    snprintf(buf, sizeof(buf), "<tr><td>%s</td><td>%llu</td></tr>", htmlEscape(host).c_str(), ull(n));
    out += buf;
  }
  out += "</table></body></html>\n";
  return out;
}

}  // namespace cuttle::proxy
