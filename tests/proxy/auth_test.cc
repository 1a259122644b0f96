// Basic credentials parsing and the Authenticator with a password file (loop tests).
// Helper-program tests are in auth_helper_pool_test.cc.
#include "proxy/auth.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/proxy/auth_test_support.h"

namespace cuttle::proxy {
namespace {

using testing_auth::base64;
using testing_auth::basicField;
using testing_auth::hashPassword;
using testing_auth::TestLoop;

constexpr const char* kApr1Secret = "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/";

// ---- parseBasicCredentials ----------------------------------------------------------

TEST(AuthBasicCredentialsTest, DecodesUserAndPassword) {
  auto c = parseBasicCredentials("Basic " + base64("alice:open sesame"));
  ASSERT_TRUE(c.ok()) << c.error().cause;
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "open sesame");
  // RFC 7617 2: the password may contain ':'; the user ends at the first one.
  auto colon = parseBasicCredentials("Basic " + base64("bob:a:b:c"));
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->user, "bob");
  EXPECT_EQ(colon->password, "a:b:c");
  auto empty_password = parseBasicCredentials("Basic " + base64("carol:"));
  ASSERT_TRUE(empty_password.ok());
  EXPECT_EQ(empty_password->password, "");
  // RFC 7617 example.
  auto rfc = parseBasicCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(rfc.ok());
  EXPECT_EQ(rfc->user, "Aladdin");
  EXPECT_EQ(rfc->password, "open sesame");
}

TEST(AuthBasicCredentialsTest, SchemeIsCaseInsensitiveAndBlanksAreTolerated) {
  for (const std::string& field :
       {"basic " + base64("u:p"), "BASIC " + base64("u:p"), "bAsIc \t  " + base64("u:p") + "  ",
        "  Basic " + base64("u:p")}) {
    auto c = parseBasicCredentials(field);
    ASSERT_TRUE(c.ok()) << field << ": " << c.error().cause;
    EXPECT_EQ(c->user, "u");
    EXPECT_EQ(c->password, "p");
  }
}

TEST(AuthBasicCredentialsTest, PaddingIsOptional) {
  std::string padded = base64("alice:xy");  // 8 bytes: one '='
  ASSERT_EQ(padded.back(), '=');
  auto c = parseBasicCredentials("Basic " + padded.substr(0, padded.size() - 1));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->password, "xy");
}

TEST(AuthBasicCredentialsTest, RejectsMalformedFieldsWithAReason) {
  struct Case {
    std::string field;
    const char* reason;
  };
  std::vector<Case> cases = {
      {"", "empty"},
      {"Digest username=\"x\"", "unsupported authentication scheme \"Digest\""},
      {"Bearer abc", "unsupported authentication scheme"},
      {"Basicx " + base64("u:p"), "unsupported authentication scheme"},
      {"Basic", "no credentials"},
      {"Basic    ", "no credentials"},
      {"Basic !!!!", "bad base64"},
      {"Basic " + base64("u:p") + "====", "bad base64"},
      {"Basic a", "bad base64"},
      {"Basic " + base64("nocolon"), "no ':'"},
      {"Basic " + base64(":password"), "empty user name"},
      {"Basic " + base64(std::string("u\x01:p")), "control characters"},
      {"Basic " + base64(std::string("u:p\0q", 5)), "control characters"},
      {"Basic " + base64("u:p") + " " + base64("v:q"), "more than one token"},
      {"Basic realm=\"x\", " + base64("u:p"), "more than one token"},
      {"Basic " + std::string(9000, 'A'), "longer than 8 KB"},
  };
  for (const Case& c : cases) {
    auto parsed = parseBasicCredentials(c.field);
    ASSERT_FALSE(parsed.ok()) << c.field;
    EXPECT_EQ(parsed.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(parsed.error().side, Side::kClient);
    EXPECT_NE(parsed.error().cause.find(c.reason), std::string::npos)
        << c.field.substr(0, 60) << " -> " << parsed.error().cause;
  }
}

TEST(AuthBasicCredentialsTest, ChallengeQuotesTheRealm) {
  EXPECT_EQ(basicChallenge("cuttle"), "Basic realm=\"cuttle\"");
  EXPECT_EQ(basicChallenge("a \"b\" \\c"), "Basic realm=\"a \\\"b\\\" \\\\c\"");
  EXPECT_EQ(basicChallenge("x\r\ny"), "Basic realm=\"xy\"");
}

// ---- Authenticator with a password file ------------------------------------------------

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = PasswordFile::parse(std::string("alice:") + kApr1Secret + "\n" +
                                    "Bob:" + hashPassword("$2b$", "builder") + "\n" +
                                    "carol:" + hashPassword("$6$", "c4r0l") + "\n",
                                "mem");
    ASSERT_EQ(file_->size(), 3u);
    config_.enabled = true;
    config_.password_file = "mem";
  }
  void TearDown() override {
    if (auth_) auth_->close();
    loop_.finish();
    auth_.reset();
  }

  Authenticator& make() {
    auth_ = Authenticator::create(loop_.get(), std::make_shared<const BasicAuthConfig>(config_),
                                  file_, [this] { return now_ms_; });
    return *auth_;
  }

  // Starts a check whose outcome lands in `out`.
  Authenticator::Check start(const std::string& field, std::optional<Authenticator::Outcome>* out) {
    return auth_->check(field, [out](Authenticator::Outcome o) { *out = std::move(o); });
  }

  Authenticator::Outcome checkNow(const std::string& field) {
    std::optional<Authenticator::Outcome> out;
    Authenticator::Check check = start(field, &out);
    EXPECT_FALSE(out.has_value()) << "callback ran inside check()";
    loop_.run([&out] { return out.has_value(); });
    EXPECT_FALSE(check.pending());
    return out.value_or(Authenticator::Outcome{});
  }

  TestLoop loop_;
  BasicAuthConfig config_;
  std::shared_ptr<const PasswordFile> file_;
  std::unique_ptr<Authenticator> auth_;
  uint64_t now_ms_ = 1000000;
};

TEST_F(AuthenticatorTest, AcceptsTheRightPasswordAndRefusesOthers) {
  make();
  Authenticator::Outcome ok = checkNow(basicField("alice", "secret"));
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.user, "alice");
  EXPECT_EQ(ok.reason, "");

  Authenticator::Outcome wrong = checkNow(basicField("alice", "Secret"));
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.user, "alice");
  EXPECT_EQ(wrong.reason, "wrong user name or password");

  EXPECT_FALSE(checkNow(basicField("mallory", "secret")).ok);
  EXPECT_TRUE(checkNow(basicField("carol", "c4r0l")).ok);
  EXPECT_EQ(auth_->stats().verifications, 4u);
  EXPECT_EQ(auth_->realm(), "cuttle");
  EXPECT_EQ(auth_->challenge(), "Basic realm=\"cuttle\"");
}

TEST_F(AuthenticatorTest, UserNamesAreFoldedUnlessCaseSensitive) {
  make();
  Authenticator::Outcome bob = checkNow(basicField("BOB", "builder"));  // file says "Bob"
  EXPECT_TRUE(bob.ok);
  EXPECT_EQ(bob.user, "bob");
  EXPECT_FALSE(checkNow(basicField("bob", "BUILDER")).ok);  // passwords never fold
  auth_->close();
  loop_.drain();

  config_.case_sensitive = true;
  make();
  Authenticator::Outcome exact = checkNow(basicField("Bob", "builder"));
  EXPECT_TRUE(exact.ok);
  EXPECT_EQ(exact.user, "Bob");
  EXPECT_FALSE(checkNow(basicField("bob", "builder")).ok);
}

TEST_F(AuthenticatorTest, MalformedFieldsFailOnALaterTurn) {
  make();
  Authenticator::Outcome bad = checkNow("Basic %%%");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.reason.find("malformed credentials: bad base64"), std::string::npos);
  Authenticator::Outcome digest = checkNow("Digest username=\"alice\"");
  EXPECT_FALSE(digest.ok);
  EXPECT_NE(digest.reason.find("unsupported authentication scheme"), std::string::npos);
  EXPECT_EQ(auth_->stats().malformed, 2u);
  EXPECT_EQ(auth_->stats().verifications, 0u);
}

TEST_F(AuthenticatorTest, SecondCheckIsAnsweredFromTheCache) {
  make();
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_EQ(auth_->stats().verifications, 1u);
  Authenticator::Outcome again = checkNow(basicField("alice", "secret"));  // also: not inline
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.user, "alice");
  EXPECT_EQ(auth_->stats().verifications, 1u);
  EXPECT_EQ(auth_->stats().cache_hits, 1u);
  // Another password for the same user is another entry.
  EXPECT_FALSE(checkNow(basicField("alice", "guess")).ok);
  EXPECT_EQ(auth_->stats().verifications, 2u);
}

TEST_F(AuthenticatorTest, CachedVerdictsExpire) {
  config_.credentials_ttl = std::chrono::seconds(60);
  config_.failure_ttl = std::chrono::seconds(5);
  make();
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_FALSE(checkNow(basicField("alice", "nope")).ok);
  EXPECT_EQ(auth_->stats().verifications, 2u);

  now_ms_ += 4999;
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_FALSE(checkNow(basicField("alice", "nope")).ok);
  EXPECT_EQ(auth_->stats().verifications, 2u);  // both cached

  now_ms_ += 1;  // the failure is forgotten after failure_ttl
  EXPECT_FALSE(checkNow(basicField("alice", "nope")).ok);
  EXPECT_EQ(auth_->stats().verifications, 3u);
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_EQ(auth_->stats().verifications, 3u);

  now_ms_ += 55000;  // credentials_ttl after the first success
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_EQ(auth_->stats().verifications, 4u);
}

TEST_F(AuthenticatorTest, FailuresAreNotRememberedLongerThanSuccesses) {
  config_.credentials_ttl = std::chrono::seconds(2);
  config_.failure_ttl = std::chrono::seconds(30);
  make();
  EXPECT_FALSE(checkNow(basicField("alice", "nope")).ok);
  now_ms_ += 2000;
  EXPECT_FALSE(checkNow(basicField("alice", "nope")).ok);
  EXPECT_EQ(auth_->stats().verifications, 2u);
}

TEST_F(AuthenticatorTest, ConcurrentChecksShareOneVerification) {
  make();
  std::optional<Authenticator::Outcome> a, b, c;
  Authenticator::Check ca = start(basicField("alice", "secret"), &a);
  Authenticator::Check cb = start(basicField("ALICE", "secret"), &b);  // folds to the same
  Authenticator::Check cc = start(basicField("alice", "other"), &c);
  EXPECT_TRUE(ca.pending() && cb.pending() && cc.pending());
  loop_.run([&] { return a && b && c; });
  EXPECT_TRUE(a->ok);
  EXPECT_TRUE(b->ok);
  EXPECT_FALSE(c->ok);
  EXPECT_EQ(auth_->stats().verifications, 2u);
  EXPECT_EQ(auth_->stats().shared, 1u);
}

TEST_F(AuthenticatorTest, DestroyingTheCheckCancelsTheCallback) {
  make();
  bool called = false;
  {
    Authenticator::Check check = auth_->check(basicField("alice", "secret"),
                                              [&called](Authenticator::Outcome) { called = true; });
    EXPECT_TRUE(check.pending());
  }
  // The verification goes on: a second check joins it, and its answer arrives alone.
  std::optional<Authenticator::Outcome> second;
  Authenticator::Check keep = start(basicField("alice", "secret"), &second);
  EXPECT_EQ(auth_->stats().shared, 1u);
  loop_.run([&second] { return second.has_value(); });
  EXPECT_TRUE(second->ok);
  EXPECT_FALSE(called);
  // Cancelled answers known at check() time too.
  {
    Authenticator::Check cached = auth_->check(
        basicField("alice", "secret"), [&called](Authenticator::Outcome) { called = true; });
    Authenticator::Check malformed =
        auth_->check("Basic ???", [&called](Authenticator::Outcome) { called = true; });
  }
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);  // a later turn has come
  EXPECT_FALSE(called);
}

TEST_F(AuthenticatorTest, CancelAndMoveOfChecks) {
  make();
  bool called = false;
  Authenticator::Check check = auth_->check(basicField("alice", "secret"),
                                            [&called](Authenticator::Outcome) { called = true; });
  Authenticator::Check moved = std::move(check);
  EXPECT_FALSE(check.pending());  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_TRUE(moved.pending());
  moved.cancel();
  EXPECT_FALSE(moved.pending());
  std::optional<Authenticator::Outcome> out;
  Authenticator::Check other = start(basicField("alice", "secret"), &out);
  other = std::move(moved);  // cancels `other`'s own check
  EXPECT_FALSE(other.pending());
  EXPECT_TRUE(checkNow(basicField("alice", "secret")).ok);
  EXPECT_FALSE(called);
  EXPECT_FALSE(out.has_value());
}

TEST_F(AuthenticatorTest, CloseDropsPendingChecksWithoutCallbacks) {
  make();
  int called = 0;
  auto count = [&called](Authenticator::Outcome) { ++called; };
  Authenticator::Check verifying = auth_->check(basicField("Bob", "builder"), count);
  Authenticator::Check malformed = auth_->check("Basic", count);
  auth_->close();
  auth_->close();  // idempotent
  EXPECT_FALSE(verifying.pending());
  EXPECT_FALSE(malformed.pending());
  Authenticator::Check after = auth_->check(basicField("alice", "secret"), count);
  EXPECT_FALSE(after.pending());
  loop_.drain();  // the bcrypt work ends, its answer is dropped
  EXPECT_EQ(called, 0);
}

TEST_F(AuthenticatorTest, ChecksMayOutliveTheAuthenticator) {
  make();
  Authenticator::Check check =
      auth_->check(basicField("alice", "secret"),
                   [](Authenticator::Outcome) { ADD_FAILURE() << "called after close"; });
  auth_->close();
  loop_.drain();
  auth_.reset();
  EXPECT_FALSE(check.pending());
}  // `check` is destroyed here, after the Authenticator

TEST_F(AuthenticatorTest, CallbackMayCloseTheAuthenticator) {
  make();
  int called = 0;
  Authenticator::Check first = auth_->check("Basic ???", [&](Authenticator::Outcome) {
    ++called;
    auth_->close();
  });
  Authenticator::Check second =
      auth_->check("Basic !!!", [&](Authenticator::Outcome) { ++called; });
  loop_.run([&called] { return called > 0; });
  loop_.drain();
  EXPECT_EQ(called, 1);
}

TEST_F(AuthenticatorTest, CallbackMayCheckAgain) {
  make();
  std::optional<Authenticator::Outcome> inner;
  Authenticator::Check inner_check;
  bool inline_call = false;
  Authenticator::Check outer =
      auth_->check(basicField("alice", "secret"), [&](Authenticator::Outcome o) {
        EXPECT_TRUE(o.ok);
        inner_check = start(basicField("alice", "secret"), &inner);
        inline_call = inner.has_value();
      });
  loop_.run([&inner] { return inner.has_value(); });
  EXPECT_FALSE(inline_call);
  EXPECT_TRUE(inner->ok);
}

TEST_F(AuthenticatorTest, WithoutThePasswordFileEveryCheckFails) {
  file_ = nullptr;
  make();
  Authenticator::Outcome o = checkNow(basicField("alice", "secret"));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "no password file loaded");
}

TEST_F(AuthenticatorTest, NotConfiguredMeansNoOneGetsIn) {
  config_ = BasicAuthConfig();
  make();
  Authenticator::Outcome o = checkNow(basicField("alice", "secret"));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "proxy authentication is not configured");
}

TEST_F(AuthenticatorTest, RealmComesFromTheConfig) {
  config_.realm = "Squid proxy-caching web server";
  make();
  EXPECT_EQ(auth_->realm(), "Squid proxy-caching web server");
  EXPECT_EQ(auth_->challenge(), "Basic realm=\"Squid proxy-caching web server\"");
}

TEST_F(AuthenticatorTest, ManyChecksAtOnce) {
  make();
  std::vector<std::optional<Authenticator::Outcome>> outs(200);
  std::vector<Authenticator::Check> checks;
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string password = i % 3 == 0 ? "secret" : "wrong" + std::to_string(i % 7);
    checks.push_back(start(basicField("alice", password), &outs[i]));
  }
  loop_.run([&outs] {
    for (const auto& o : outs) {
      if (!o) return false;
    }
    return true;
  });
  for (size_t i = 0; i < outs.size(); ++i) EXPECT_EQ(outs[i]->ok, i % 3 == 0) << i;
  EXPECT_EQ(auth_->stats().verifications, 8u);  // "secret" and seven wrong passwords
}

TEST_F(AuthenticatorTest, VerificationsInFlightAreBounded) {
  make();
  size_t total = Authenticator::kMaxVerifications + 10;
  std::vector<std::optional<Authenticator::Outcome>> outs(total);
  std::vector<Authenticator::Check> checks;
  for (size_t i = 0; i < total; ++i) {
    checks.push_back(start(basicField("Bob", "guess" + std::to_string(i)), &outs[i]));
  }
  EXPECT_EQ(auth_->stats().verifications, Authenticator::kMaxVerifications);
  loop_.run([&outs] {
    for (const auto& o : outs) {
      if (!o) return false;
    }
    return true;
  });
  size_t refused = 0;
  for (const auto& o : outs) {
    EXPECT_FALSE(o->ok);
    if (o->reason == "too many password verifications in progress") ++refused;
  }
  EXPECT_EQ(refused, 10u);
  // Once the pool has drained, checks are verified again.
  EXPECT_TRUE(checkNow(basicField("Bob", "builder")).ok);
}

}  // namespace
}  // namespace cuttle::proxy
