// Cost of AccessRules::check() (conf/access.h): an empty rule set, Debian's default rules,
// and issue 4's large set (1,000 dstdomain entries, 50 http_access lines), for requests
// that stop early and for requests that go through every line.
//
//   ./build-rel/tools/acl_bench [--benchmark_filter=Large]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "conf/access.h"
#include "conf/config.h"

namespace {

using cuttle::SocketAddress;
using cuttle::conf::AccessRequest;
using cuttle::conf::AccessRules;

std::shared_ptr<const AccessRules> buildRules(const std::string& text) {
  cuttle::conf::ParseOutcome out = cuttle::conf::parseConfigText(text, "bench.conf");
  if (!out.config) std::abort();
  std::vector<cuttle::conf::Diagnostic> errors;
  auto rules = AccessRules::build(*out.config, &errors, nullptr);
  if (!rules) std::abort();
  return rules;
}

const char* const kDebian =
    "acl localnet src 0.0.0.1-0.255.255.255 10.0.0.0/8 100.64.0.0/10 169.254.0.0/16\n"
    "acl localnet src 172.16.0.0/12 192.168.0.0/16 fc00::/7 fe80::/10\n"
    "acl SSL_ports port 443\n"
    "acl Safe_ports port 80 21 443 70 210 1025-65535 280 488 591 777\n"
    "http_access deny !Safe_ports\n"
    "http_access deny CONNECT !SSL_ports\n"
    "http_access allow localhost manager\n"
    "http_access deny manager\n"
    "http_access allow localnet\n"
    "http_access allow localhost\n"
    "http_access deny all\n";

// 1,000 dstdomain entries and 50 http_access lines; a request from `localnet` to a host
// that is not blocked is evaluated against every line but the last.
std::string largeConfig() {
  std::string text = kDebian;
  text.resize(text.find("http_access"));
  text += "acl blocked dstdomain";
  for (int i = 0; i < 1000; ++i) text += " .blocked" + std::to_string(i) + ".example";
  text += "\n";
  for (int i = 0; i < 45; ++i) {
    std::string n = std::to_string(i);
    text += "acl net" + n + " src 198.18." + n + ".0/24\n";
    text += "http_access deny net" + n + " blocked\n";
  }
  text +=
      "http_access deny !Safe_ports\n"
      "http_access deny CONNECT !SSL_ports\n"
      "http_access deny blocked\n"
      "http_access allow localnet\n"
      "http_access deny all\n";
  return text;
}

struct Request {
  explicit Request(const char* client_ip, const char* h) : host(h) {
    r.client = *SocketAddress::parseIp(client_ip, 40000);
    r.method = "GET";
    r.scheme = "http";
    r.host = host;
    r.port = 80;
    url = "http://" + host + "/index.html";
    r.url = url;
    r.path = "/index.html";
  }
  std::string host;
  std::string url;
  AccessRequest r;
};

void run(benchmark::State& state, const AccessRules& rules, const AccessRequest& r) {
  for (auto _ : state) {
    auto d = rules.check(r);
    benchmark::DoNotOptimize(d);
  }
}

void BM_Empty(benchmark::State& state) {
  auto rules = buildRules("http_access allow all\n");
  Request req("10.1.2.3", "www.news.example");
  run(state, *rules, req.r);
}
BENCHMARK(BM_Empty);

void BM_Debian_Allowed(benchmark::State& state) {
  auto rules = buildRules(kDebian);
  Request req("10.1.2.3", "www.news.example");
  run(state, *rules, req.r);
}
BENCHMARK(BM_Debian_Allowed);

void BM_Large_AllowedAfterEveryLine(benchmark::State& state) {
  auto rules = buildRules(largeConfig());
  Request req("10.1.2.3", "www.some.long.host.name.news.example");
  run(state, *rules, req.r);
}
BENCHMARK(BM_Large_AllowedAfterEveryLine);

void BM_Large_BlockedDomain(benchmark::State& state) {
  auto rules = buildRules(largeConfig());
  Request req("10.1.2.3", "cdn.blocked777.example");
  run(state, *rules, req.r);
}
BENCHMARK(BM_Large_BlockedDomain);

void BM_Large_ClientInEveryNet(benchmark::State& state) {
  // Each "deny netN blocked" line's dstdomain lookup runs: the worst case.
  std::string text = largeConfig();
  for (int i = 0; i < 45; ++i) {
    std::string n = std::to_string(i);
    size_t at = text.find("198.18." + n + ".0/24");
    text.replace(at, ("198.18." + n + ".0/24").size(), "10.0.0.0/8");
  }
  auto rules = buildRules(text);
  Request req("10.1.2.3", "www.some.long.host.name.news.example");
  run(state, *rules, req.r);
}
BENCHMARK(BM_Large_ClientInEveryNet);

// tools/bench-acl-rules.sh, the rules of `tools/bench.sh acl`: 48 lines each denying its
// own one-entry dstdomain ACL, one denying the 1,000 entries, then the allow line.
std::string benchRulesConfig() {
  std::string text;
  for (int i = 1; i <= 1000; ++i) text += "acl blocked dstdomain .blocked-" + std::to_string(i) + ".example\n";
  text += "acl bench_src src 127.0.0.1/32\nacl bench_port port 18000-18999\n";
  for (int i = 1; i <= 48; ++i) {
    std::string n = std::to_string(i);
    text += "acl rule" + n + " dstdomain .rule-" + n + ".example\nhttp_access deny rule" + n + "\n";
  }
  text += "http_access deny blocked\nhttp_access allow bench_src bench_port\n";
  return text;
}

void BM_BenchRules(benchmark::State& state, const char* host) {
  auto rules = buildRules(benchRulesConfig());
  Request req("127.0.0.1", host);
  req.r.port = 18100;
  run(state, *rules, req.r);
}
BENCHMARK_CAPTURE(BM_BenchRules, IpHost, "127.0.0.1");
BENCHMARK_CAPTURE(BM_BenchRules, NameHost, "www.some.long.host.name.news.example");

}  // namespace

BENCHMARK_MAIN();
