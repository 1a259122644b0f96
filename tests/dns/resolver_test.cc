// Loop tests of dns/resolver.cc against the fake DNS server on 127.0.0.1.
#include "dns/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "tests/support/fake_dns_server.h"

namespace cuttle {
// Readable addresses in gtest messages.
void PrintTo(const SocketAddress& a, std::ostream* os) { *os << a.ipString(); }
}  // namespace cuttle

namespace cuttle::dns {
namespace {

using test::FakeDnsServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

SocketAddress ip(const char* text) { return *SocketAddress::parseIp(text); }

// What a callback received.
struct Outcome {
  int calls = 0;
  std::optional<Result<AddressList>> result;
  Resolver::Callback callback() {
    return [this](Result<AddressList> r) {
      ++calls;
      result.emplace(std::move(r));
    };
  }
  bool done() const { return calls > 0; }
};

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_EQ(uv_timer_init(&loop_, &watchdog_), 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog_));
    watchdog_.data = this;
    ASSERT_TRUE(server_.start()) << server_.error();
  }

  void TearDown() override {
    closeResolver();
    uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  ResolverOptions options() {
    ResolverOptions o;
    o.nameservers = {server_.address()};
    o.hosts_file = "none";
    o.timeout = std::chrono::seconds(5);
    o.now_ms = [this] { return now_; };
    return o;
  }

  void create(ResolverOptions o) {
    auto r = Resolver::create(&loop_, std::move(o));
    ASSERT_TRUE(r.ok()) << r.error().cause;
    resolver_ = std::move(r.value());
  }
  void create() { create(options()); }

  void closeResolver() {
    if (!resolver_) return;
    resolver_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    resolver_.reset();
  }

  // Runs the loop until done() holds, the loop runs out of work, or 10 s pass.
  bool runUntil(const std::function<bool()>& done) {
    bool expired = false;
    watchdog_.data = &expired;
    uv_timer_start(
        &watchdog_, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 10000, 0);
    while (!done() && !expired) {
      if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !done()) break;
    }
    uv_timer_stop(&watchdog_);
    return done();
  }

  // resolve() plus the loop until its callback ran; checks it did not run inside resolve().
  Result<AddressList> resolveAndWait(std::string_view host) {
    Outcome out;
    Lookup lookup = resolver_->resolve(host, out.callback());
    EXPECT_FALSE(out.done()) << "callback ran inside resolve()";
    EXPECT_TRUE(runUntil([&] { return out.done(); })) << "no answer for " << host;
    EXPECT_EQ(out.calls, 1);
    EXPECT_FALSE(lookup.pending());
    if (!out.result) return Error(ErrorCode::kInternal, Side::kInternal, "no answer");
    return std::move(*out.result);
  }

  uv_loop_t loop_;
  uv_timer_t watchdog_;
  FakeDnsServer server_;
  std::unique_ptr<Resolver> resolver_;
  uint64_t now_ = 1000000;
};

TEST_F(ResolverTest, ResolvesA) {
  server_.addA("www.example.test", "192.0.2.1");
  create();
  auto r = resolveAndWait("www.example.test");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), ElementsAre(ip("192.0.2.1")));
  EXPECT_EQ(r.value()[0].port(), 0);
  EXPECT_EQ(resolver_->stats().queries, 1u);
  EXPECT_EQ(resolver_->stats().cache_misses, 1u);
  EXPECT_EQ(resolver_->stats().failures, 0u);
}

TEST_F(ResolverTest, ResolvesAAAA) {
  server_.addAAAA("v6.example.test", "2001:db8::1");
  create();
  auto r = resolveAndWait("v6.example.test");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), ElementsAre(ip("2001:db8::1")));
}

TEST_F(ResolverTest, ResolvesBothFamiliesWithoutDuplicates) {
  server_.addA("dual.example.test", "192.0.2.1");
  server_.addA("dual.example.test", "192.0.2.2");
  server_.addA("dual.example.test", "192.0.2.1");
  server_.addAAAA("dual.example.test", "2001:db8::1");
  create();
  auto r = resolveAndWait("dual.example.test");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), UnorderedElementsAre(ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8::1")));
  EXPECT_EQ(server_.queryCount("dual.example.test", FakeDnsServer::kTypeA), 1);
  EXPECT_EQ(server_.queryCount("dual.example.test", FakeDnsServer::kTypeAaaa), 1);
}

TEST_F(ResolverTest, FollowsCname) {
  server_.addCname("alias.example.test", "target.example.test");
  server_.addA("target.example.test", "192.0.2.9");
  create();
  auto r = resolveAndWait("alias.example.test");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), ElementsAre(ip("192.0.2.9")));
}

TEST_F(ResolverTest, LargeAnswerFallsBackToTcp) {
  for (int i = 1; i <= 40; ++i) {
    server_.addA("big.example.test", "192.0.2." + std::to_string(i));
  }
  create();
  auto r = resolveAndWait("big.example.test");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_EQ(r.value().size(), 40u);
}

TEST_F(ResolverTest, NamesAreCaseInsensitiveAndTrailingDotIgnored) {
  server_.addA("mixed.example.test", "192.0.2.3");
  create();
  auto r = resolveAndWait("MIXED.Example.test.");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), ElementsAre(ip("192.0.2.3")));
  const AddressList* cached = resolver_->cached("mixed.example.TEST");
  ASSERT_NE(cached, nullptr);
  EXPECT_THAT(*cached, ElementsAre(ip("192.0.2.3")));
}

TEST_F(ResolverTest, NxdomainIsNoSuchHost) {
  server_.setNxdomain("missing.example.test");
  create();
  auto r = resolveAndWait("missing.example.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDnsFailed);
  EXPECT_EQ(r.error().side, Side::kDns);
  EXPECT_EQ(r.error().cause, "no such host: missing.example.test");
  EXPECT_EQ(resolver_->stats().failures, 1u);
}

TEST_F(ResolverTest, NoDataIsNoAddress) {
  server_.setNodata("empty.example.test");
  create();
  auto r = resolveAndWait("empty.example.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDnsFailed);
  EXPECT_EQ(r.error().cause, "no address for: empty.example.test");
}

TEST_F(ResolverTest, ServerFailureIsDnsFailed) {
  server_.setServfail("broken.example.test");
  create();
  auto r = resolveAndWait("broken.example.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDnsFailed);
  EXPECT_THAT(r.error().cause, HasSubstr("broken.example.test"));
}

TEST_F(ResolverTest, TimesOutAndCachesTheTimeout) {
  server_.setNoResponse("slow.example.test");
  ResolverOptions o = options();
  o.timeout = std::chrono::milliseconds(300);
  create(std::move(o));
  uint64_t before = uv_now(&loop_);
  auto r = resolveAndWait("slow.example.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDnsTimeout);
  EXPECT_EQ(r.error().side, Side::kDns);
  EXPECT_EQ(r.error().cause, "DNS lookup timed out: slow.example.test");
  uv_update_time(&loop_);
  EXPECT_LT(uv_now(&loop_) - before, 2000u);
  EXPECT_GE(server_.queryCount("slow.example.test"), 2);
  EXPECT_EQ(resolver_->stats().failures, 1u);
  // Negative caching covers timeouts: no second wait.
  int queries = server_.queryCount("slow.example.test");
  auto again = resolveAndWait("slow.example.test");
  EXPECT_EQ(again.error().code, ErrorCode::kDnsTimeout);
  EXPECT_EQ(server_.queryCount("slow.example.test"), queries);
  EXPECT_EQ(resolver_->stats().cache_hits, 1u);
}

TEST_F(ResolverTest, HonoursRecordTtl) {
  server_.addA("ttl.example.test", "192.0.2.4", 5);
  create();
  ASSERT_TRUE(resolveAndWait("ttl.example.test").ok());
  now_ += 4999;
  EXPECT_NE(resolver_->cached("ttl.example.test"), nullptr);
  EXPECT_TRUE(resolveAndWait("ttl.example.test").ok());
  EXPECT_EQ(server_.queryCount("ttl.example.test", FakeDnsServer::kTypeA), 1);
  now_ += 1;
  EXPECT_EQ(resolver_->cached("ttl.example.test"), nullptr);
  EXPECT_TRUE(resolveAndWait("ttl.example.test").ok());
  EXPECT_EQ(server_.queryCount("ttl.example.test", FakeDnsServer::kTypeA), 2);
  EXPECT_EQ(resolver_->stats().cache_hits, 2u);  // cached() once, resolve() once
  EXPECT_EQ(resolver_->stats().cache_misses, 2u);
}

TEST_F(ResolverTest, SmallestTtlOfTheAnswerWins) {
  server_.addA("mixttl.example.test", "192.0.2.5", 100);
  server_.addAAAA("mixttl.example.test", "2001:db8::5", 10);
  create();
  ASSERT_TRUE(resolveAndWait("mixttl.example.test").ok());
  now_ += 9999;
  EXPECT_NE(resolver_->cached("mixttl.example.test"), nullptr);
  now_ += 1;
  EXPECT_EQ(resolver_->cached("mixttl.example.test"), nullptr);
}

TEST_F(ResolverTest, PositiveTtlCapsRecordTtl) {
  server_.addA("long.example.test", "192.0.2.6", 3600);
  ResolverOptions o = options();
  o.positive_ttl = std::chrono::seconds(2);
  create(std::move(o));
  ASSERT_TRUE(resolveAndWait("long.example.test").ok());
  now_ += 1999;
  EXPECT_NE(resolver_->cached("long.example.test"), nullptr);
  now_ += 1;
  EXPECT_EQ(resolver_->cached("long.example.test"), nullptr);
}

TEST_F(ResolverTest, NegativeAnswersAreCachedForNegativeTtl) {
  server_.setNxdomain("gone.example.test");
  ResolverOptions o = options();
  o.negative_ttl = std::chrono::seconds(30);
  create(std::move(o));
  EXPECT_FALSE(resolveAndWait("gone.example.test").ok());
  EXPECT_EQ(resolver_->cached("gone.example.test"), nullptr);  // errors are not "cached()"
  now_ += 29999;
  auto again = resolveAndWait("gone.example.test");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().cause, "no such host: gone.example.test");
  EXPECT_EQ(server_.queryCount("gone.example.test", FakeDnsServer::kTypeA), 1);
  now_ += 1;
  server_.addA("gone.example.test", "192.0.2.7");
  auto later = resolveAndWait("gone.example.test");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(server_.queryCount("gone.example.test", FakeDnsServer::kTypeA), 2);
}

TEST_F(ResolverTest, ConcurrentLookupsShareOneQuery) {
  server_.addA("shared.example.test", "192.0.2.8");
  create();
  Outcome a, b;
  Lookup la = resolver_->resolve("shared.example.test", a.callback());
  Lookup lb = resolver_->resolve("SHARED.example.test", b.callback());
  EXPECT_TRUE(la.pending());
  EXPECT_TRUE(lb.pending());
  ASSERT_TRUE(runUntil([&] { return a.done() && b.done(); }));
  EXPECT_TRUE(a.result->ok());
  EXPECT_TRUE(b.result->ok());
  EXPECT_EQ(server_.queryCount("shared.example.test", FakeDnsServer::kTypeA), 1);
  EXPECT_EQ(resolver_->stats().queries, 1u);
  EXPECT_EQ(resolver_->stats().cache_misses, 2u);
}

TEST_F(ResolverTest, CancellingOneLookupLeavesTheOther) {
  server_.addA("cancel.example.test", "192.0.2.9");
  create();
  Outcome a, b;
  std::optional<Lookup> la = resolver_->resolve("cancel.example.test", a.callback());
  Lookup lb = resolver_->resolve("cancel.example.test", b.callback());
  la.reset();  // destroying the Lookup cancels it
  ASSERT_TRUE(runUntil([&] { return b.done(); }));
  EXPECT_TRUE(b.result->ok());
  EXPECT_EQ(a.calls, 0);
  lb.cancel();  // after delivery: nothing to cancel
  EXPECT_FALSE(lb.pending());
}

TEST_F(ResolverTest, ResultIsCachedWhenAllLookupsCancelled) {
  server_.addA("orphan.example.test", "192.0.2.10");
  create();
  Outcome a;
  {
    Lookup la = resolver_->resolve("orphan.example.test", a.callback());
    la.cancel();
    EXPECT_FALSE(la.pending());
  }
  ASSERT_TRUE(runUntil([&] { return resolver_->cached("orphan.example.test") != nullptr; }));
  EXPECT_EQ(a.calls, 0);
  EXPECT_EQ(server_.queryCount("orphan.example.test", FakeDnsServer::kTypeA), 1);
}

TEST_F(ResolverTest, MovedLookupStillDeliversAndMoveAssignCancels) {
  server_.addA("move.example.test", "192.0.2.11");
  create();
  Outcome a, b;
  Lookup first = resolver_->resolve("move.example.test", a.callback());
  Lookup moved(std::move(first));
  EXPECT_FALSE(first.pending());  // NOLINT(bugprone-use-after-move): moved-from state
  EXPECT_TRUE(moved.pending());
  Lookup other = resolver_->resolve("move.example.test", b.callback());
  other = std::move(moved);  // cancels b's lookup, takes over a's
  ASSERT_TRUE(runUntil([&] { return a.done(); }));
  EXPECT_EQ(b.calls, 0);
  EXPECT_FALSE(other.pending());
}

TEST_F(ResolverTest, NumericHostsNeedNoQuery) {
  create();
  for (const char* host : {"192.0.2.12", "::1", "[2001:db8::12]"}) {
    auto r = resolveAndWait(host);
    ASSERT_TRUE(r.ok()) << host << ": " << r.error().cause;
    ASSERT_EQ(r.value().size(), 1u);
    EXPECT_EQ(r.value()[0], ip(host));
    const AddressList* cached = resolver_->cached(host);
    ASSERT_NE(cached, nullptr);
    EXPECT_THAT(*cached, ElementsAre(ip(host)));
  }
  EXPECT_EQ(server_.totalQueries(), 0);
  EXPECT_EQ(resolver_->stats().queries, 0u);
  EXPECT_EQ(resolver_->stats().cache_hits, 0u);
}

TEST_F(ResolverTest, CacheHitsArriveOnALaterTurn) {
  server_.addA("hit.example.test", "192.0.2.13");
  create();
  ASSERT_TRUE(resolveAndWait("hit.example.test").ok());
  auto again = resolveAndWait("hit.example.test");  // checks "not inside resolve()"
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(resolver_->stats().cache_hits, 1u);
  EXPECT_EQ(resolver_->stats().queries, 1u);
}

TEST_F(ResolverTest, InvalidNamesFailWithoutQuery) {
  create();
  std::string too_long;
  while (too_long.size() < 254) too_long += "abcdefgh.";
  for (std::string host :
       {std::string(""), std::string("bad name"), std::string("a..b"), std::string(".a"),
        std::string("exa$mple.test"), std::string("[not.an.ip]"), too_long}) {
    auto r = resolveAndWait(host);
    ASSERT_FALSE(r.ok()) << host;
    EXPECT_EQ(r.error().code, ErrorCode::kDnsFailed);
    EXPECT_EQ(r.error().side, Side::kDns);
    EXPECT_EQ(resolver_->cached(host), nullptr);
  }
  EXPECT_EQ(server_.totalQueries(), 0);
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    std::string pattern = ::testing::TempDir() + "cuttle_hosts_XXXXXX";
    int fd = mkstemp(pattern.data());
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(ResolverTest, HostsFileEntriesComeFirstAndNeverExpire) {
  TempFile hosts(
      "# a comment\n"
      "127.0.0.1 localhost\n"
      "192.0.2.20   MyHost alias1   # trailing comment\n"
      "2001:db8::20\tmyhost\n"
      "192.0.2.21 myhost\n"
      "not-an-address somename\n"
      "192.0.2.20 myhost\n");
  server_.addA("myhost", "198.51.100.1");  // DNS would say otherwise
  ResolverOptions o = options();
  o.hosts_file = hosts.path();
  create(std::move(o));
  auto r = resolveAndWait("MYHOST");
  ASSERT_TRUE(r.ok()) << r.error().cause;
  EXPECT_THAT(r.value(), ElementsAre(ip("192.0.2.20"), ip("2001:db8::20"), ip("192.0.2.21")));
  auto alias = resolveAndWait("alias1");
  ASSERT_TRUE(alias.ok());
  EXPECT_THAT(alias.value(), ElementsAre(ip("192.0.2.20")));
  now_ += 365ull * 24 * 3600 * 1000;
  EXPECT_NE(resolver_->cached("myhost"), nullptr);
  EXPECT_FALSE(resolveAndWait("somename").ok());
  EXPECT_EQ(server_.queryCount("myhost"), 0);
  EXPECT_EQ(resolver_->stats().queries, 1u);  // somename only
}

TEST_F(ResolverTest, MissingHostsFileIsEmpty) {
  ResolverOptions o = options();
  o.hosts_file = "/nonexistent/cuttle/hosts";
  create(std::move(o));
  server_.addA("x.example.test", "192.0.2.22");
  EXPECT_TRUE(resolveAndWait("x.example.test").ok());
}

TEST_F(ResolverTest, NameserverSyntax) {
  for (const char* bad : {"", "not-an-ip", "1.2.3.4:99999", "1.2.3.4:", "[::1]:", "[::1",
                          "1.2.3.4:0", "example.com:53", "::1:53:x"}) {
    ResolverOptions o = options();
    o.nameservers = {bad};
    auto r = Resolver::create(&loop_, std::move(o));
    ASSERT_FALSE(r.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(r.error().side, Side::kConfig);
    EXPECT_THAT(r.error().cause, HasSubstr(bad));
  }
  ResolverOptions o = options();
  o.nameservers = {"192.0.2.53", "192.0.2.53:5353", "[::1]:53", "::1", server_.address()};
  create(std::move(o));
}

// No nameservers: the system's resolv.conf. Only created and closed: no query may leave
// this machine.
TEST_F(ResolverTest, SystemConfigurationIsAccepted) {
  ResolverOptions o = options();
  o.nameservers.clear();
  create(std::move(o));
}

TEST_F(ResolverTest, CloseDropsPendingLookupsWithoutCallbacks) {
  server_.setNoResponse("hang.example.test");
  server_.addA("fast.example.test", "192.0.2.23");
  create();
  Outcome a, b, c, d;
  Lookup la = resolver_->resolve("hang.example.test", a.callback());
  Lookup lb = resolver_->resolve("192.0.2.24", b.callback());
  ASSERT_TRUE(runUntil([&] { return b.done(); }));
  Lookup lc = resolver_->resolve("fast.example.test", c.callback());
  Lookup ld = resolver_->resolve("192.0.2.24", d.callback());  // queued for the next turn
  resolver_->close();
  resolver_->close();  // idempotent
  EXPECT_FALSE(la.pending());
  EXPECT_FALSE(lc.pending());
  Lookup after = resolver_->resolve("fast.example.test", c.callback());
  EXPECT_FALSE(after.pending());
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(a.calls, 0);
  EXPECT_EQ(c.calls, 0);
  EXPECT_EQ(d.calls, 0);
  resolver_.reset();
  la.cancel();  // Lookups may outlive the resolver
}

TEST_F(ResolverTest, CloseFromACallbackStopsFurtherDelivery) {
  server_.addA("close.example.test", "192.0.2.25");
  create();
  int calls = 0;
  auto closing = [&](Result<AddressList>) {
    ++calls;
    resolver_->close();
  };
  Lookup la = resolver_->resolve("close.example.test", closing);
  Lookup lb = resolver_->resolve("close.example.test", closing);
  ASSERT_TRUE(runUntil([&] { return calls > 0; }));
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(lb.pending());
}

TEST_F(ResolverTest, CacheIsBoundedLeastRecentlyUsedFirst) {
  server_.addA("one.example.test", "192.0.2.31");
  server_.addA("two.example.test", "192.0.2.32");
  server_.addA("three.example.test", "192.0.2.33");
  ResolverOptions o = options();
  o.max_cache_entries = 2;
  create(std::move(o));
  ASSERT_TRUE(resolveAndWait("one.example.test").ok());
  ASSERT_TRUE(resolveAndWait("two.example.test").ok());
  EXPECT_NE(resolver_->cached("one.example.test"), nullptr);  // one is now the most recent
  ASSERT_TRUE(resolveAndWait("three.example.test").ok());
  EXPECT_EQ(resolver_->cached("two.example.test"), nullptr);
  EXPECT_NE(resolver_->cached("one.example.test"), nullptr);
  EXPECT_NE(resolver_->cached("three.example.test"), nullptr);
}

TEST_F(ResolverTest, CallbackMayStartAnotherLookup) {
  server_.addA("first.example.test", "192.0.2.41");
  server_.addA("second.example.test", "192.0.2.42");
  create();
  Outcome second;
  Lookup inner;
  Outcome first;
  Lookup outer = resolver_->resolve("first.example.test", [&](Result<AddressList> r) {
    first.callback()(std::move(r));
    inner = resolver_->resolve("second.example.test", second.callback());
  });
  ASSERT_TRUE(runUntil([&] { return second.done(); }));
  EXPECT_TRUE(second.result->ok());
  EXPECT_EQ(first.calls, 1);
}

}  // namespace
}  // namespace cuttle::dns
