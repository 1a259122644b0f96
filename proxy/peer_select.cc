#include "proxy/peer_select.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cache/object.h"

namespace cuttle::proxy {

double carpScore(std::string_view url, const conf::CachePeer& peer) {
  std::string key = peer.name;
  key.push_back('\0');
  key.append(url);
  uint64_t hi, lo;
  cache::hash128(key, 0xca59, &hi, &lo);
  // Weighted rendezvous hashing: -weight / ln(u), u uniform in (0, 1].
  const double u = (static_cast<double>(hi >> 11) + 1.0) / 9007199254740992.0;
  return -static_cast<double>(peer.weight) / std::log(u);
}

std::vector<Route> selectRoutes(const PeerSelection& in) {
  std::vector<Route> routes;
  const Route direct{nullptr, "HIER_DIRECT"};
  if (in.peers == nullptr || in.peers->empty() || in.always_direct) {
    routes.push_back(direct);
    return routes;
  }
  std::vector<Route> carp, firstup, defaults;
  for (const conf::CachePeer& p : *in.peers) {
    if (p.carp) {
      carp.push_back(Route{&p, "CARP"});
    } else if (p.default_parent) {
      defaults.push_back(Route{&p, "DEFAULT_PARENT"});
    } else {
      firstup.push_back(Route{&p, "FIRSTUP_PARENT"});
    }
  }
  std::sort(carp.begin(), carp.end(), [&](const Route& a, const Route& b) {
    return carpScore(in.url, *a.peer) > carpScore(in.url, *b.peer);
  });
  std::vector<Route> parents;
  for (auto* group : {&carp, &firstup, &defaults}) parents.insert(parents.end(), group->begin(), group->end());
  if (in.healthy) {
    std::stable_partition(parents.begin(), parents.end(), [&](const Route& r) { return in.healthy(*r.peer); });
  }
  const bool hierarchical = in.method == Method::kGet || in.method == Method::kHead;
  if (!hierarchical && !in.never_direct) routes.push_back(direct);
  routes.insert(routes.end(), parents.begin(), parents.end());
  if (hierarchical && !in.never_direct) routes.push_back(direct);
  return routes;
}

PeerHealth::State* PeerHealth::find(const std::string& name) {
  for (auto& [n, s] : states_) {
    if (n == name) return &s;
  }
  return nullptr;
}

const PeerHealth::State* PeerHealth::find(const std::string& name) const {
  return const_cast<PeerHealth*>(this)->find(name);
}

bool PeerHealth::healthy(const conf::CachePeer& peer, uint64_t now_ms) const {
  const State* s = find(peer.name);
  return s == nullptr || now_ms >= s->down_until;
}

void PeerHealth::failed(const conf::CachePeer& peer, uint64_t now_ms) {
  State* s = find(peer.name);
  if (s == nullptr) {
    states_.emplace_back(peer.name, State{});
    s = &states_.back().second;
  }
  if (++s->failures >= peer.connect_fail_limit) {
    s->down_until = now_ms + kDownMs;
    s->failures = 0;
  }
}

void PeerHealth::succeeded(const conf::CachePeer& peer) {
  if (State* s = find(peer.name)) {
    s->failures = 0;
    s->down_until = 0;
  }
}

}  // namespace cuttle::proxy
