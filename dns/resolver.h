// Resolver: asynchronous name resolution for one worker's event loop, with a cache.
//
// c-ares is driven by the worker's uv loop: one uv_poll_t per c-ares socket (from
// ARES_OPT_SOCK_STATE_CB) and one uv_timer_t for c-ares timeouts. Nothing blocks the loop.
//
// Contract:
//   - Thread: every method must be called on the loop's thread.
//   - Numeric hosts ("10.0.0.1", "::1", with or without brackets) never cause a lookup.
//   - The hosts file (hosts_file, /etc/hosts by default) is read when the resolver is
//     created and consulted before DNS.
//   - Answers are cached per worker: positive answers for min(record TTL, positive_ttl),
//     failures (NXDOMAIN, no data, timeouts) for negative_ttl. Concurrent lookups of one
//     name share one query.
//   - Both A and AAAA are asked for; addresses come back in the order to try (connect to
//     the next one when one fails).
//   - resolve() never calls its callback before it returns. The returned Lookup cancels the
//     callback when destroyed; a callback never runs after its Lookup is gone.
//   - close() closes every handle; the Resolver may be destroyed once the loop has run the
//     close callbacks (uv_run until the loop has no more handles of its). close() is
//     idempotent and drops pending lookups WITHOUT calling their callbacks; afterwards
//     resolve() returns a Lookup that is not pending and never calls back.
//   - A Lookup may outlive its Resolver: delivery and close() detach it (pending() is false).
//   - Host names: letters, digits, '-', '_' and '.', at most 253 characters, no empty label
//     (one trailing dot is allowed and ignored); case-insensitive. Anything else fails with
//     kDnsFailed without a query. Search domains are never appended.
//   - The hosts file is parsed once by create(): "address name [aliases...]" lines, '#'
//     comments; a name listed on several lines gets all addresses in file order. Its entries
//     never expire. A missing or unreadable hosts file counts as empty.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/socket_address.h"

namespace cuttle::dns {

using AddressList = std::vector<SocketAddress>;  // ports are 0

struct ResolverOptions {
  // "ip", "ip:port" or "[ipv6]:port". Empty: the system's resolv.conf.
  std::vector<std::string> nameservers;
  std::string hosts_file = "/etc/hosts";  // "" or "none": no hosts file
  std::chrono::milliseconds positive_ttl{std::chrono::hours(6)};  // cap on cached answers
  std::chrono::milliseconds negative_ttl{std::chrono::minutes(1)};
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};   // whole lookup
  size_t max_cache_entries = 16384;
  // Clock for cache expiry, in milliseconds. Default: uv_now() of the loop. Tests inject one.
  std::function<uint64_t()> now_ms;
};

class Resolver;

// Cancels a pending lookup when destroyed (or when cancel() is called). Movable.
class Lookup {
 public:
  Lookup() = default;
  Lookup(Lookup&& o) noexcept;
  Lookup& operator=(Lookup&& o) noexcept;
  Lookup(const Lookup&) = delete;
  Lookup& operator=(const Lookup&) = delete;
  ~Lookup();
  void cancel();
  bool pending() const;

 private:
  friend class Resolver;
  // Registers this object with r as the owner of pending lookup id.
  Lookup(Resolver* r, uint64_t id);
  Resolver* resolver_ = nullptr;  // null once delivered, cancelled or closed
  uint64_t id_ = 0;
};

struct ResolverStats {
  // Answers taken from the cache or the hosts file (positive or negative), by cached() or
  // resolve(). Numeric hosts are not counted. cached() returning nullptr counts nothing.
  uint64_t cache_hits = 0;
  // resolve() calls that had to wait for a query (started one or joined one in flight).
  uint64_t cache_misses = 0;
  uint64_t queries = 0;          // lookups sent to c-ares
  uint64_t failures = 0;         // queries that ended in an error (including timeouts)
  uint64_t total_lookup_ms = 0;  // summed time of queries (loop time, ms)
};

class Resolver {
 public:
  using Callback = std::function<void(Result<AddressList>)>;

  // Errors: invalid nameserver syntax or c-ares initialisation failure (Side::kConfig or
  // kInternal).
  static Result<std::unique_ptr<Resolver>> create(uv_loop_t* loop, ResolverOptions options);
  ~Resolver();

  // Synchronous fast path: numeric hosts, hosts-file entries and fresh cache entries.
  // Returns nullptr when a lookup is needed. The pointer is valid until the next call into
  // the resolver.
  const AddressList* cached(std::string_view host);

  // Resolves host. The callback receives the addresses, or an Error with Side::kDns and
  // code kDnsFailed (no such name, no addresses) or kDnsTimeout.
  [[nodiscard]] Lookup resolve(std::string_view host, Callback callback);

  void close();
  const ResolverStats& stats() const;

 private:
  friend class Lookup;
  Resolver() = default;
  void cancel(uint64_t id);
  bool isPending(uint64_t id) const;
  void rebind(uint64_t id, Lookup* owner);  // a Lookup moved: update the back-pointer
  static void detach(Lookup* lookup) { lookup->resolver_ = nullptr; }
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::dns
