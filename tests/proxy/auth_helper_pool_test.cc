// AuthHelperPool with small helper scripts written by the tests, and the Authenticator in
// helper mode. Loop tests: each ends with uv_loop_close() == 0.
#include "proxy/auth_helper_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "proxy/auth.h"
#include "tests/proxy/auth_test_support.h"

namespace cuttle::proxy {
namespace {

using testing_auth::basicField;
using testing_auth::TempDir;
using testing_auth::TestLoop;
using Kind = AuthHelperPool::Reply::Kind;

// Logs each request line to $1, then answers: OK for alice with the password
// "wonder land" (escaped by cuttle as wonder%20land), BH for "broken", exits for "crash",
// ERR otherwise.
constexpr const char* kHelper = R"(#!/bin/bash
log="$1"
while IFS= read -r line; do
  printf '%s\n' "$line" >> "$log"
  user=${line%% *}
  pass=${line#* }
  case "$user" in
    alice) if [ "$pass" = "wonder%20land" ]; then echo OK; else echo 'ERR message="bad password"'; fi ;;
    bob%20smith) if [ "$pass" = "p@ss%25%22%23%5C" ]; then echo OK; else echo ERR; fi ;;
    crash) exit 3 ;;
    broken) echo 'BH message="database down"' ;;
    kv) echo 'OK user=kv group="the staff"' ;;
    *) echo ERR ;;
  esac
done
)";

// concurrency=2: reads two lookups, answers the second first.
constexpr const char* kPairHelper = R"(#!/bin/bash
log="$1"
while IFS= read -r a && IFS= read -r b; do
  printf '%s\n%s\n' "$a" "$b" >> "$log"
  echo "${b%% *} ERR message=second"
  echo "${a%% *} OK"
done
)";

class AuthHelperPoolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (pool_) pool_->close();
    loop_.finish();
    pool_.reset();
  }

  AuthHelperPool& make(const char* script, int children = 2, int concurrency = 0,
                       size_t max_queue = 1024) {
    AuthHelperPool::Options options;
    options.argv = {dir_.write("helper.sh", script, true), log()};
    options.children = children;
    options.concurrency = concurrency;
    options.max_queue = max_queue;
    return makeWith(std::move(options));
  }
  AuthHelperPool& makeWith(AuthHelperPool::Options options) {
    pool_ = std::make_unique<AuthHelperPool>(loop_.get(), std::move(options));
    return *pool_;
  }
  std::string log() const { return dir_.path() + "/requests.log"; }
  std::vector<std::string> logged() const {
    std::vector<std::string> lines;
    std::string text = dir_.read("requests.log");
    for (size_t start = 0; start < text.size();) {
      size_t eol = text.find('\n', start);
      lines.push_back(text.substr(start, eol - start));
      start = eol + 1;
    }
    return lines;
  }

  // Submits and returns a slot that the reply fills.
  std::shared_ptr<std::optional<AuthHelperPool::Reply>> submit(const std::string& request) {
    auto out = std::make_shared<std::optional<AuthHelperPool::Reply>>();
    auto id = pool_->submit(request, [out](AuthHelperPool::Reply r) { *out = std::move(r); });
    EXPECT_TRUE(id.ok()) << id.error().cause;
    EXPECT_FALSE(out->has_value()) << "callback inside submit()";
    return out;
  }
  AuthHelperPool::Reply ask(const std::string& request) {
    auto out = submit(request);
    loop_.run([&out] { return out->has_value(); });
    return out->value_or(AuthHelperPool::Reply{});
  }

  TestLoop loop_;
  TempDir dir_;
  std::unique_ptr<AuthHelperPool> pool_;
};

TEST(AuthHelperEscapeTest, EscapesLikeSquidsRfc1738Escape) {
  EXPECT_EQ(helperEscape("alice"), "alice");
  EXPECT_EQ(helperEscape("bob smith"), "bob%20smith");
  EXPECT_EQ(helperEscape("a@b.c:d+e=f/g-h_i.j,k;l$m&n(o)p*q!r?"),
            "a@b.c:d+e=f/g-h_i.j,k;l$m&n(o)p*q!r?");
  EXPECT_EQ(helperEscape("\"#%'<>[\\]^`{|}~"), "%22%23%25%27%3C%3E%5B%5C%5D%5E%60%7B%7C%7D%7E");
  EXPECT_EQ(helperEscape("\t\x7f\n"), "%09%7F%0A");
  EXPECT_EQ(helperEscape("J\xc3\xbcrgen"), "J%C3%BCrgen");
}

TEST(AuthHelperReplyTest, ParsesSquidHelperAnswers) {
  struct Case {
    const char* line;
    Kind kind;
    const char* message;
  };
  for (const Case& c :
       {Case{"OK", Kind::kOk, ""}, Case{"OK\r", Kind::kOk, ""},
        Case{"OK user=alice", Kind::kOk, ""}, Case{"ERR", Kind::kErr, ""},
        Case{"ERR message=\"no such user\"", Kind::kErr, "no such user"},
        Case{"ERR message=short other=x", Kind::kErr, "short"},
        Case{"ERR a=\"x message=no\" message=yes", Kind::kErr, "yes"},
        Case{"ERR message=\"say \\\"hi\\\"\"", Kind::kErr, "say \"hi\""},
        Case{"ERR unknown user", Kind::kErr, "unknown user"}, Case{"BH", Kind::kBroken, ""},
        Case{"BH message=\"ldap down\"", Kind::kBroken, "ldap down"},
        Case{"", Kind::kBroken, "unexpected helper answer: "},
        Case{"YES", Kind::kBroken, "unexpected helper answer: YES"},
        Case{"ok", Kind::kBroken, "unexpected helper answer: ok"}}) {
    AuthHelperPool::Reply reply = AuthHelperPool::parseReply(c.line);
    EXPECT_EQ(reply.kind, c.kind) << c.line;
    EXPECT_EQ(reply.message, c.message) << c.line;
  }
}

TEST_F(AuthHelperPoolTest, AnswersOkErrAndBh) {
  make(kHelper);
  EXPECT_EQ(ask("alice wonder%20land").kind, Kind::kOk);
  AuthHelperPool::Reply wrong = ask("alice x");
  EXPECT_EQ(wrong.kind, Kind::kErr);
  EXPECT_EQ(wrong.message, "bad password");
  AuthHelperPool::Reply broken = ask("broken x");
  EXPECT_EQ(broken.kind, Kind::kBroken);
  EXPECT_EQ(broken.message, "database down");
  EXPECT_EQ(ask("kv x").kind, Kind::kOk);
  EXPECT_EQ(ask("zed z").kind, Kind::kErr);
  EXPECT_EQ(pool_->stats().started, 1u);  // one at a time: one child was enough
  EXPECT_EQ(pool_->stats().lookups, 5u);
  EXPECT_EQ(logged().size(), 5u);
}

TEST_F(AuthHelperPoolTest, StartsChildrenOnDemandUpToTheLimitAndQueuesTheRest) {
  make(kHelper, /*children=*/2);
  std::vector<std::shared_ptr<std::optional<AuthHelperPool::Reply>>> outs;
  for (int i = 0; i < 6; ++i)
    outs.push_back(submit(i % 2 == 0 ? "alice wonder%20land" : "alice no"));
  EXPECT_EQ(pool_->processes(), 2u);
  EXPECT_EQ(pool_->queued(), 4u);
  loop_.run([&outs] {
    for (const auto& o : outs) {
      if (!o->has_value()) return false;
    }
    return true;
  });
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*outs[i])->kind, i % 2 == 0 ? Kind::kOk : Kind::kErr) << i;
  EXPECT_EQ(pool_->stats().started, 2u);
  EXPECT_EQ(pool_->queued(), 0u);
}

TEST_F(AuthHelperPoolTest, RestartsAChildThatDiesAndFailsItsLookup) {
  make(kHelper, /*children=*/1);
  auto crash = submit("crash x");
  auto after = submit("alice wonder%20land");  // queued behind the crash
  loop_.run([&] { return crash->has_value() && after->has_value(); });
  EXPECT_EQ((*crash)->kind, Kind::kBroken);
  EXPECT_NE((*crash)->message.find("authentication helper"), std::string::npos)
      << (*crash)->message;
  EXPECT_EQ((*after)->kind, Kind::kOk);
  EXPECT_EQ(pool_->stats().started, 2u);
  loop_.run([this] { return pool_->processes() == 1; });  // the dead one's handles closed
  EXPECT_EQ(pool_->stats().exited, 1u);
}

TEST_F(AuthHelperPoolTest, HelpersThatExitAtOnceAreNotRestartedInATightLoop) {
  AuthHelperPool::Options options;
  options.argv = {"/bin/sh", "-c", "exit 1"};
  options.children = 1;
  makeWith(std::move(options));
  for (int i = 0; i < 3; ++i) {
    AuthHelperPool::Reply reply = ask("alice x");
    EXPECT_EQ(reply.kind, Kind::kBroken);
    loop_.run([this, i] { return pool_->stats().exited == static_cast<uint64_t>(i + 1); });
  }
  auto refused = pool_->submit("alice x", [](AuthHelperPool::Reply) { ADD_FAILURE(); });
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().cause.find("keeps exiting"), std::string::npos)
      << refused.error().cause;
  EXPECT_EQ(pool_->stats().started, 3u);
}

TEST_F(AuthHelperPoolTest, AProgramThatCannotStartFailsAtOnce) {
  AuthHelperPool::Options options;
  options.argv = {dir_.path() + "/no_such_helper"};
  makeWith(std::move(options));
  auto id = pool_->submit("alice x", [](AuthHelperPool::Reply) { ADD_FAILURE(); });
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().cause.find("cannot start authentication helper"), std::string::npos);
  EXPECT_EQ(pool_->queued(), 0u);
}

TEST_F(AuthHelperPoolTest, ConcurrencyUsesChannelIdsAndAnswersInAnyOrder) {
  make(kPairHelper, /*children=*/1, /*concurrency=*/2);
  auto first = submit("alice a");
  auto second = submit("bob b");
  EXPECT_EQ(pool_->processes(), 1u);
  EXPECT_EQ(pool_->queued(), 0u);  // both in the one child
  loop_.run([&] { return first->has_value() && second->has_value(); });
  EXPECT_EQ((*first)->kind, Kind::kOk);
  EXPECT_EQ((*second)->kind, Kind::kErr);
  EXPECT_EQ((*second)->message, "second");
  EXPECT_EQ(logged(), (std::vector<std::string>{"0 alice a", "1 bob b"}));
}

TEST_F(AuthHelperPoolTest, CancelledLookupsAreNotAnsweredNorSentWhenStillQueued) {
  make(kHelper, /*children=*/1);
  bool called = false;
  auto sent = pool_->submit("alice one", [&called](AuthHelperPool::Reply) { called = true; });
  auto queued = pool_->submit("alice two", [&called](AuthHelperPool::Reply) { called = true; });
  ASSERT_TRUE(sent.ok() && queued.ok());
  pool_->cancel(sent.value());
  pool_->cancel(queued.value());
  pool_->cancel(12345);  // unknown: ignored
  EXPECT_EQ(pool_->queued(), 0u);
  EXPECT_EQ(ask("alice wonder%20land").kind, Kind::kOk);
  EXPECT_FALSE(called);
  EXPECT_EQ(logged(), (std::vector<std::string>{"alice one", "alice wonder%20land"}));
}

// `exec sleep 600`: a helper that never answers (nor reads), its stdout kept open.
TEST_F(AuthHelperPoolTest, TheQueueIsBounded) {
  make("#!/bin/sh\nexec sleep 600\n", /*children=*/1, 0, /*max_queue=*/2);
  auto a = submit("a a");  // in the child, never answered
  auto b = submit("b b");
  auto c = submit("c c");
  auto d = pool_->submit("d d", [](AuthHelperPool::Reply) { ADD_FAILURE(); });
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().cause.find("too many"), std::string::npos);
  EXPECT_EQ(pool_->queued(), 2u);
}

TEST_F(AuthHelperPoolTest, CloseDropsLookupsAndEndsTheChildren) {
  make("#!/bin/sh\nexec sleep 600\n", /*children=*/2);
  int called = 0;
  for (int i = 0; i < 4; ++i) {
    auto id = pool_->submit("x y", [&called](AuthHelperPool::Reply) { ++called; });
    ASSERT_TRUE(id.ok());
  }
  EXPECT_EQ(pool_->processes(), 2u);
  pool_->close();
  pool_->close();
  EXPECT_FALSE(pool_->submit("x y", [&called](AuthHelperPool::Reply) { ++called; }).ok());
  loop_.drain();
  EXPECT_EQ(pool_->processes(), 0u);
  EXPECT_EQ(called, 0);
}

TEST_F(AuthHelperPoolTest, AChildIgnoringEofAndSigtermIsKilled) {
  // SIG_IGN survives exec: this sleep ignores SIGTERM and never reads its stdin. The answer
  // tells the test that the trap is in place.
  make("#!/bin/bash\ntrap '' TERM\nread -r line\necho OK\nexec sleep 600\n", /*children=*/1);
  EXPECT_EQ(ask("x y").kind, Kind::kOk);
  pool_->close();
  uint64_t start = uv_now(loop_.get());
  loop_.drain();  // ends after the SIGKILL
  EXPECT_GE(uv_now(loop_.get()) - start, 1900u);
  EXPECT_EQ(pool_->processes(), 0u);
}

TEST_F(AuthHelperPoolTest, ALineLongerThanTheLimitRetiresTheChild) {
  make("#!/bin/bash\nread -r line\nhead -c 70000 /dev/zero | tr '\\0' x\nexec sleep 600\n",
       /*children=*/1);
  AuthHelperPool::Reply reply = ask("x y");
  EXPECT_EQ(reply.kind, Kind::kBroken);
  EXPECT_NE(reply.message.find("longer than 64 KB"), std::string::npos) << reply.message;
}

TEST_F(AuthHelperPoolTest, ACallbackMayCloseThePool) {
  make(kHelper, /*children=*/1, /*concurrency=*/0);
  int called = 0;
  auto a = pool_->submit("alice x", [&](AuthHelperPool::Reply) {
    ++called;
    pool_->close();
  });
  auto b = pool_->submit("alice y", [&](AuthHelperPool::Reply) { ++called; });
  loop_.run([&called] { return called > 0; });
  loop_.drain();
  EXPECT_EQ(called, 1);
}

// ---- Authenticator with a helper program -----------------------------------------------

class AuthenticatorHelperTest : public AuthHelperPoolTest {
 protected:
  void TearDown() override {
    if (auth_) auth_->close();
    AuthHelperPoolTest::TearDown();
    auth_.reset();
  }
  Authenticator& makeAuth(std::vector<std::string> program, int children = 2) {
    BasicAuthConfig config;
    config.enabled = true;
    config.program = std::move(program);
    config.children = children;
    auth_ = Authenticator::create(loop_.get(), std::make_shared<const BasicAuthConfig>(config),
                                  nullptr);
    return *auth_;
  }
  Authenticator::Outcome checkNow(const std::string& field) {
    std::optional<Authenticator::Outcome> out;
    Authenticator::Check check =
        auth_->check(field, [&out](Authenticator::Outcome o) { out = std::move(o); });
    EXPECT_FALSE(out.has_value()) << "callback inside check()";
    loop_.run([&out] { return out.has_value(); });
    return out.value_or(Authenticator::Outcome{});
  }

  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorHelperTest, AsksTheHelperOnceAndEscapesLikeSquid) {
  makeAuth({dir_.write("helper.sh", kHelper, true), log()});
  Authenticator::Outcome ok = checkNow(basicField("Alice", "wonder land"));
  EXPECT_TRUE(ok.ok) << ok.reason;
  EXPECT_EQ(ok.user, "alice");
  EXPECT_TRUE(checkNow(basicField("alice", "wonder land")).ok);
  EXPECT_TRUE(checkNow(basicField("bob smith", "p@ss%\"#\\")).ok);
  Authenticator::Outcome wrong = checkNow(basicField("alice", "x"));
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.reason, "wrong user name or password (bad password)");
  EXPECT_FALSE(checkNow(basicField("alice", "x")).ok);  // cached failure
  EXPECT_EQ(logged(), (std::vector<std::string>{"alice wonder%20land",
                                                "bob%20smith p@ss%25%22%23%5C", "alice x"}));
  EXPECT_EQ(auth_->stats().verifications, 3u);
  EXPECT_EQ(auth_->stats().cache_hits, 2u);
}

TEST_F(AuthenticatorHelperTest, BrokenHelperAnswersAreNotCached) {
  makeAuth({dir_.write("helper.sh", kHelper, true), log()});
  Authenticator::Outcome first = checkNow(basicField("broken", "x"));
  EXPECT_FALSE(first.ok);
  EXPECT_EQ(first.reason, "authentication helper: database down");
  EXPECT_FALSE(checkNow(basicField("broken", "x")).ok);
  EXPECT_EQ(logged().size(), 2u);
}

TEST_F(AuthenticatorHelperTest, AHelperThatCrashesFailsItsCheckAndIsReplaced) {
  makeAuth({dir_.write("helper.sh", kHelper, true), log()}, /*children=*/1);
  Authenticator::Outcome crashed = checkNow(basicField("crash", "x"));
  EXPECT_FALSE(crashed.ok);
  EXPECT_NE(crashed.reason.find("authentication helper"), std::string::npos);
  EXPECT_TRUE(checkNow(basicField("alice", "wonder land")).ok);
  EXPECT_FALSE(checkNow(basicField("crash", "x")).ok);  // not cached: asked again
  EXPECT_EQ(logged(), (std::vector<std::string>{"crash x", "alice wonder%20land", "crash x"}));
}

TEST_F(AuthenticatorHelperTest, CloseWithAPendingHelperCheck) {
  makeAuth({dir_.write("helper.sh", "#!/bin/sh\nexec sleep 600\n", true)});
  bool called = false;
  Authenticator::Check check =
      auth_->check(basicField("alice", "x"), [&called](Authenticator::Outcome) { called = true; });
  loop_.run([this] { return auth_->helperProcesses() == 1; });
  auth_->close();
  EXPECT_FALSE(check.pending());
  loop_.drain();
  EXPECT_EQ(auth_->helperProcesses(), 0u);
  EXPECT_FALSE(called);
}

TEST_F(AuthenticatorHelperTest, AHelperThatCannotStartFailsTheCheckOnALaterTurn) {
  makeAuth({dir_.path() + "/missing"});
  Authenticator::Outcome o = checkNow(basicField("alice", "x"));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("cannot start authentication helper"), std::string::npos) << o.reason;
}

// The real squid helper, when installed, speaks the same protocol.
TEST_F(AuthenticatorHelperTest, SquidsOwnBasicNcsaAuthAsAHelper) {
  const char* helper = "/usr/lib/squid/basic_ncsa_auth";
  if (access(helper, X_OK) != 0) GTEST_SKIP() << helper << " not installed";
  std::string passwd = dir_.write("passwd", "alice:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\n");
  makeAuth({helper, passwd});
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_FALSE(checkNow(basicField("alice", "wrong")).ok);
  EXPECT_FALSE(checkNow(basicField("nobody", "secret")).ok);
}

}  // namespace
}  // namespace cuttle::proxy
