// Resolver: hosts file, cache, query coalescing and delivery on top of AresChannel.
//
// Delivery: results never reach a callback from inside c-ares (a callback may call close(),
// which destroys the channel). Finished lookups are queued in `ready`; the queue is drained
// right after each batch of c-ares processing and otherwise by an idle handle on the next
// loop turn, which is also how answers known at resolve() time (numeric, hosts file,
// cache, invalid names) arrive after resolve() has returned.
#include "dns/resolver.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <unordered_map>

#include "dns/ares_channel.h"
#include "dns/dns_cache.h"
#include "dns/host_name.h"
#include "dns/hosts_file.h"

namespace cuttle::dns {

using Answer = DnsCache::Answer;

struct Resolver::Impl {
  struct Waiter {
    Callback callback;
    Lookup* owner = nullptr;  // the Lookup that cancels it; detached before the callback
  };
  // One ares_getaddrinfo. Owned by c-ares (its `arg`) until its callback, which deletes it.
  struct Query {
    Impl* impl;
    std::string name;
    std::vector<uint64_t> waiters;  // ids; cancelled ones are skipped at delivery
    uint64_t started_ms;            // loop time
    bool abandoned = false;         // the guard timed it out; its late answer is dropped
    std::list<Query*>::iterator by_start_pos;
  };
  struct Ready {
    uint64_t id;
    Answer answer;
  };
  // What resolve()/cached() can answer without a query.
  struct Local {
    const Answer* answer = nullptr;  // nullptr: a query is needed
    bool cache_hit = false;          // from the hosts file or the cache
  };

  Impl(uv_loop_t* l, ResolverOptions o)
      : loop(l), options(std::move(o)), cache(options.max_cache_entries) {}

  uint64_t nowMs() const { return options.now_ms(); }
  Local local(std::string_view host, std::string* name);
  void startQuery(const std::string& name, uint64_t waiter);
  static void onAresDone(void* arg, int status, int timeouts, ares_addrinfo* res);
  void finishQuery(Query* query, Answer answer, uint64_t expires_ms);
  static void onGuard(uv_timer_t* handle);
  void armGuard();
  void post(uint64_t id, Answer answer);
  void drainReady();
  void close();

  uv_loop_t* loop;
  ResolverOptions options;
  HostsFile hosts;
  DnsCache cache;
  std::unique_ptr<AresChannel> ares;
  uv_idle_t idle;    // delivers `ready` on the next turn
  uv_timer_t guard;  // whole-lookup timeout of the oldest query in `by_start`
  int open_handles = 0;
  bool closed = false;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, Waiter> waiters;
  std::unordered_map<std::string, Query*> inflight;  // by name; not abandoned
  std::list<Query*> by_start;                        // inflight, oldest first
  std::deque<Ready> ready;
  std::optional<Answer> scratch;  // numeric and invalid hosts, for cached()
  ResolverStats stats;
};

namespace {

std::string shown(std::string_view host) {
  constexpr size_t kMax = 260;
  return std::string(host.substr(0, kMax));
}

Error dnsError(int status, const std::string& name) {
  switch (status) {
    case ARES_ENOTFOUND:
      return Error(ErrorCode::kDnsFailed, Side::kDns, "no such host: " + name);
    case ARES_ENODATA:
      return Error(ErrorCode::kDnsFailed, Side::kDns, "no address for: " + name);
    case ARES_ETIMEOUT:
      return Error(ErrorCode::kDnsTimeout, Side::kDns, "DNS lookup timed out: " + name);
    default:
      return Error(ErrorCode::kDnsFailed, Side::kDns,
                   "DNS lookup failed: " + name + ": " + ares_strerror(status));
  }
}

// The addresses of res in c-ares order (RFC 6724 sorted), without duplicates, ports 0; and
// the smallest TTL of the answer's records (address and CNAME), in seconds.
AddressList addressesOf(const ares_addrinfo* res, int64_t* ttl) {
  AddressList list;
  *ttl = INT32_MAX;
  for (const ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
    SocketAddress address = SocketAddress::fromSockaddr(n->ai_addr);
    if (address.empty()) continue;
    address.setPort(0);
    if (std::find(list.begin(), list.end(), address) == list.end()) list.push_back(address);
    *ttl = std::min<int64_t>(*ttl, n->ai_ttl);
  }
  for (const ares_addrinfo_cname* c = res->cnames; c != nullptr; c = c->next) {
    *ttl = std::min<int64_t>(*ttl, c->ttl);
  }
  *ttl = std::max<int64_t>(*ttl, 0);
  return list;
}

}  // namespace

Resolver::Impl::Local Resolver::Impl::local(std::string_view host, std::string* name) {
  if (std::optional<SocketAddress> ip = SocketAddress::parseIp(host)) {
    scratch.emplace(AddressList{*ip});
    return {&*scratch, false};
  }
  std::optional<std::string> normalized = normalizeHostName(host);
  if (!normalized) {
    scratch.emplace(Error(ErrorCode::kDnsFailed, Side::kDns, "invalid host name: " + shown(host)));
    return {&*scratch, false};
  }
  if (const AddressList* listed = hosts.find(*normalized)) {
    scratch.emplace(*listed);
    return {&*scratch, true};
  }
  if (const Answer* cached = cache.find(*normalized, nowMs())) return {cached, true};
  *name = std::move(*normalized);
  return {};
}

void Resolver::Impl::startQuery(const std::string& name, uint64_t waiter) {
  auto it = inflight.find(name);
  if (it != inflight.end()) {
    it->second->waiters.push_back(waiter);
    return;
  }
  auto* query = new Query{this, name, {waiter}, uv_now(loop), false, {}};
  inflight.emplace(name, query);
  query->by_start_pos = by_start.insert(by_start.end(), query);
  if (by_start.size() == 1) armGuard();
  stats.queries++;
  ares->start(name, &Impl::onAresDone, query);  // may call back at once
}

void Resolver::Impl::onAresDone(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
  std::unique_ptr<Query> query(static_cast<Query*>(arg));
  std::unique_ptr<ares_addrinfo, void (*)(ares_addrinfo*)> owned(res, ares_freeaddrinfo);
  Impl* self = query->impl;
  if (self->closed || query->abandoned) return;
  uint64_t now = self->nowMs();
  int64_t ttl_s = 0;
  AddressList list;
  if (status == ARES_SUCCESS && res != nullptr) list = addressesOf(res, &ttl_s);
  if (status == ARES_SUCCESS && list.empty()) status = ARES_ENODATA;
  if (status != ARES_SUCCESS) {
    self->stats.failures++;
    uint64_t expires = now + static_cast<uint64_t>(self->options.negative_ttl.count());
    self->finishQuery(query.get(), dnsError(status, query->name), expires);
    return;
  }
  uint64_t ttl_ms = std::min<uint64_t>(static_cast<uint64_t>(ttl_s) * 1000,
                                       static_cast<uint64_t>(self->options.positive_ttl.count()));
  self->finishQuery(query.get(), std::move(list), now + ttl_ms);
}

// Caches the answer and queues it for every waiter. The query leaves `inflight`; its
// memory stays with c-ares until its callback.
void Resolver::Impl::finishQuery(Query* query, Answer answer, uint64_t expires_ms) {
  inflight.erase(query->name);
  by_start.erase(query->by_start_pos);
  stats.total_lookup_ms += uv_now(loop) - query->started_ms;
  cache.put(query->name, answer, expires_ms);
  for (uint64_t id : query->waiters) {
    if (waiters.count(id) != 0) post(id, answer);
  }
}

void Resolver::Impl::onGuard(uv_timer_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  uint64_t now = uv_now(self->loop);
  auto timeout = static_cast<uint64_t>(self->options.timeout.count());
  while (!self->by_start.empty() && self->by_start.front()->started_ms + timeout <= now) {
    Query* query = self->by_start.front();
    query->abandoned = true;  // c-ares still owns it; its late callback just frees it
    self->stats.failures++;
    uint64_t expires = self->nowMs() + static_cast<uint64_t>(self->options.negative_ttl.count());
    self->finishQuery(query, dnsError(ARES_ETIMEOUT, query->name), expires);
  }
  self->armGuard();
  self->drainReady();
}

void Resolver::Impl::armGuard() {
  if (by_start.empty()) {
    uv_timer_stop(&guard);
    return;
  }
  uint64_t deadline = by_start.front()->started_ms + static_cast<uint64_t>(options.timeout.count());
  uint64_t now = uv_now(loop);
  uv_timer_start(&guard, &Impl::onGuard, deadline > now ? deadline - now : 0, 0);
}

void Resolver::Impl::post(uint64_t id, Answer answer) {
  ready.push_back(Ready{id, std::move(answer)});
  uv_idle_start(&idle, [](uv_idle_t* handle) { static_cast<Impl*>(handle->data)->drainReady(); });
}

// Delivers what is queued now; what the callbacks queue waits for the next turn.
void Resolver::Impl::drainReady() {
  std::deque<Ready> batch;
  batch.swap(ready);
  for (Ready& item : batch) {
    if (closed) return;  // a callback closed the resolver: nothing more is delivered
    auto it = waiters.find(item.id);
    if (it == waiters.end()) continue;  // cancelled
    Waiter waiter = std::move(it->second);
    waiters.erase(it);
    if (waiter.owner != nullptr) Resolver::detach(waiter.owner);
    waiter.callback(std::move(item.answer));
  }
  if (!closed && ready.empty()) uv_idle_stop(&idle);
}

void Resolver::Impl::close() {
  if (closed) return;
  closed = true;
  for (auto& [id, waiter] : waiters) {
    if (waiter.owner != nullptr) Resolver::detach(waiter.owner);
  }
  waiters.clear();
  ready.clear();
  inflight.clear();
  by_start.clear();
  ares->close();  // every query calls back (and is freed) in here
  auto on_closed = [](uv_handle_t* handle) { static_cast<Impl*>(handle->data)->open_handles--; };
  uv_close(reinterpret_cast<uv_handle_t*>(&idle), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard), on_closed);
}

// --- Resolver ---

Result<std::unique_ptr<Resolver>> Resolver::create(uv_loop_t* loop, ResolverOptions options) {
  AresChannel::Config config;
  for (const std::string& text : options.nameservers) {
    std::optional<SocketAddress> server = SocketAddress::parseIpPort(text);
    if (!server) server = SocketAddress::parseIp(text, 53);
    if (!server || server->port() == 0) {
      return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                   "invalid DNS server \"" + text + "\": expected ip, ip:port or [ipv6]:port");
    }
    config.nameservers.push_back(*server);
  }
  config.timeout = std::max(options.timeout, std::chrono::milliseconds(1));
  if (!options.now_ms) options.now_ms = [loop] { return uv_now(loop); };
  auto impl = std::make_unique<Impl>(loop, std::move(options));
  impl->options.timeout = config.timeout;
  const std::string& hosts_path = impl->options.hosts_file;
  if (!hosts_path.empty() && hosts_path != "none") impl->hosts = HostsFile::load(hosts_path);
  Impl* raw = impl.get();
  auto ares = AresChannel::create(loop, config, [raw] { raw->drainReady(); });
  if (!ares.ok()) return ares.takeError();
  impl->ares = std::move(ares.value());
  uv_idle_init(loop, &impl->idle);
  uv_timer_init(loop, &impl->guard);
  impl->idle.data = raw;
  impl->guard.data = raw;
  impl->open_handles = 2;
  std::unique_ptr<Resolver> resolver(new Resolver());
  resolver->impl_ = std::move(impl);
  return resolver;
}

Resolver::~Resolver() {
  // Destroy only after close() and after the loop has run the close callbacks.
  assert(!impl_ || (impl_->closed && impl_->open_handles == 0 && impl_->ares->closed()));
}

const AddressList* Resolver::cached(std::string_view host) {
  std::string name;
  Impl::Local found = impl_->local(host, &name);
  if (found.answer == nullptr || !found.answer->ok()) return nullptr;
  if (found.cache_hit) impl_->stats.cache_hits++;
  return &found.answer->value();
}

Lookup Resolver::resolve(std::string_view host, Callback callback) {
  if (impl_->closed) return Lookup();
  uint64_t id = impl_->next_id++;
  impl_->waiters.emplace(id, Impl::Waiter{std::move(callback), nullptr});
  std::string name;
  Impl::Local found = impl_->local(host, &name);
  if (found.answer != nullptr) {
    if (found.cache_hit) impl_->stats.cache_hits++;
    impl_->post(id, *found.answer);
  } else {
    impl_->stats.cache_misses++;
    impl_->startQuery(name, id);
  }
  return Lookup(this, id);
}

void Resolver::close() { impl_->close(); }

const ResolverStats& Resolver::stats() const { return impl_->stats; }

void Resolver::cancel(uint64_t id) { impl_->waiters.erase(id); }

bool Resolver::isPending(uint64_t id) const { return impl_->waiters.count(id) != 0; }

void Resolver::rebind(uint64_t id, Lookup* owner) {
  auto it = impl_->waiters.find(id);
  if (it != impl_->waiters.end()) it->second.owner = owner;
}

// --- Lookup ---

Lookup::Lookup(Resolver* r, uint64_t id) : resolver_(r), id_(id) { r->rebind(id, this); }

Lookup::Lookup(Lookup&& o) noexcept : resolver_(o.resolver_), id_(o.id_) {
  o.resolver_ = nullptr;
  if (resolver_ != nullptr) resolver_->rebind(id_, this);
}

Lookup& Lookup::operator=(Lookup&& o) noexcept {
  if (this != &o) {
    cancel();
    resolver_ = o.resolver_;
    id_ = o.id_;
    o.resolver_ = nullptr;
    if (resolver_ != nullptr) resolver_->rebind(id_, this);
  }
  return *this;
}

Lookup::~Lookup() { cancel(); }

void Lookup::cancel() {
  if (resolver_ == nullptr) return;
  Resolver* r = resolver_;
  resolver_ = nullptr;
  r->cancel(id_);
}

bool Lookup::pending() const { return resolver_ != nullptr && resolver_->isPending(id_); }

}  // namespace cuttle::dns
