// Proxy authentication through the real binary (issue 4; RFC 9110 11.7.1 and 11.7.2,
// RFC 7617 Basic; squid's auth_param basic): 407 with Proxy-Authenticate without or with
// wrong credentials, the request forwarded without Proxy-Authorization with good ones and
// the user in the access log; htpasswd files (squid's basic_ncsa_auth line and cuttle's
// `auth_param basic file`), squid-protocol helpers, the credentials cache and a reload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "tests/support/proxy_credentials.h"
#include "tests/support/squid_log_line.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kRealm = "Cuttle Test Realm";

// auth_param lines (given) plus a realm and rules that require a verified user.
std::string authConfig(std::string_view auth_param_lines) {
  return std::string(auth_param_lines) + "auth_param basic realm " + std::string(kRealm) +
         "\n"
         "acl users proxy_auth REQUIRED\n"
         "http_access allow users\n"
         "http_access deny all\n";
}

// An htpasswd file: alice with an APR1-MD5 hash, bob with SHA-512-crypt (made by openssl).
std::string passwordFile(const TempDir& dir, bool with_bob = true) {
  std::string text = "alice:" + opensslPasswd("apr1", "wonder land") + "\n";
  if (with_bob) text += "bob:" + opensslPasswd("6", "builder") + "\n";
  return dir.write("passwd", text);
}

std::string authorized(std::string_view user, std::string_view password) {
  return "Proxy-Authorization: " + basicCredentials(user, password) + "\r\n";
}

HttpResponse getAs(const CuttleProcess& proxy, const OriginServer& origin, std::string_view path,
                   std::string_view extra) {
  return fetch(proxy.port(), getRequest(origin.url(path), extra));
}

void expectChallenge(const HttpResponse& r) {
  EXPECT_EQ(r.status, 407) << r.raw;
  EXPECT_EQ(r.headers.count("Proxy-Authenticate"), 1u) << r.head;
  EXPECT_EQ(r.headers.get("Proxy-Authenticate"), "Basic realm=\"" + std::string(kRealm) + "\"")
      << r.head;
  EXPECT_TRUE(r.complete) << r.raw;
}

// The access log line for `path`, waiting for n lines first.
SquidLogLine logLineFor(CuttleProcess& proxy, size_t n, const std::string& url) {
  proxy.waitForAccessLogLines(n);
  for (const SquidLogLine& l : parseSquidLog(proxy.accessLogLines())) {
    if (l.ok && l.url == url) return l;
  }
  ADD_FAILURE() << "no access log line for " << url << ":\n" << proxy.accessLog();
  return {};
}

// ---- htpasswd through squid's basic_ncsa_auth line ---------------------------------------

TEST(Auth, NoCredentialsGets407WithProxyAuthenticateAndNothingForwarded) {
  TempDir files;
  OriginServer origin(sentinelOrigin());
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/private");
  HttpResponse r = fetch(proxy.port(), getRequest(url));
  expectChallenge(r);
  SquidLogLine l = logLineFor(proxy, 1, url);
  EXPECT_EQ(l.result + "/" + std::to_string(l.status), "TCP_DENIED/407");
  EXPECT_EQ(origin.connectionCount(), 0);
}

TEST(Auth, GoodCredentialsAreForwardedWithoutProxyAuthorizationAndLogTheUser) {
  TempDir files;
  OriginServer origin(OriginServer::always(okResponse("secret page")));
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/private");
  HttpResponse r = fetch(proxy.port(), getRequest(url, authorized("alice", "wonder land")));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "secret page");
  ASSERT_TRUE(origin.waitForRequests(1));
  const HttpRequest up = origin.requests()[0];
  EXPECT_FALSE(up.headers.has("Proxy-Authorization")) << up.head;
  EXPECT_THAT(origin.receivedAll(),
              ::testing::Not(HasSubstr(basicCredentials("alice", "wonder land"))));
  SquidLogLine l = logLineFor(proxy, 1, url);
  EXPECT_EQ(l.user, "alice");
  EXPECT_EQ(l.status, 200);
}

TEST(Auth, EveryHashFormatInTheFileIsChecked) {
  TempDir files;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(getAs(proxy, origin, "/apr1", authorized("alice", "wonder land")).status, 200);
  EXPECT_EQ(getAs(proxy, origin, "/sha512", authorized("bob", "builder")).status, 200);
}

TEST(Auth, WrongPasswordOrUnknownUserGets407) {
  TempDir files;
  OriginServer origin(OriginServer::always(okResponse("unused")));
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  expectChallenge(getAs(proxy, origin, "/a", authorized("alice", "wonderland")));
  expectChallenge(getAs(proxy, origin, "/b", authorized("bob", "wonder land")));
  expectChallenge(getAs(proxy, origin, "/c", authorized("mallory", "builder")));
  expectChallenge(getAs(proxy, origin, "/d", "Proxy-Authorization: Basic !!notbase64\r\n"));
  expectChallenge(getAs(proxy, origin, "/e", "Proxy-Authorization: Bearer abc\r\n"));
  // Each answer came before any forward could start: the origin saw nothing.
  EXPECT_EQ(origin.connectionCount(), 0);
  EXPECT_EQ(origin.receivedAll(), "");
}

TEST(Auth, ChallengeThenCredentialsOnTheSameConnection) {
  TempDir files;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  RawClient c(proxy.port());
  c.send(getRequest(origin.url("/")));
  expectChallenge(c.readResponse());
  c.send(getRequest(origin.url("/"), authorized("alice", "wonder land")));
  HttpResponse r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.raw;
}

// ---- cuttle's `auth_param basic file` ----------------------------------------------------

TEST(Auth, BasicFileDirectiveChecksTheSameFile) {
  TempDir files;
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic file " + passwordFile(files) + "\n"));
  ASSERT_TRUE(proxy.started());
  expectChallenge(getAs(proxy, origin, "/", ""));
  expectChallenge(getAs(proxy, origin, "/", authorized("alice", "wrong")));
  HttpResponse r = getAs(proxy, origin, "/", authorized("alice", "wonder land"));
  EXPECT_EQ(r.status, 200) << r.raw;
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_FALSE(origin.requests()[0].headers.has("Proxy-Authorization"));
}

// ---- squid helper protocol ---------------------------------------------------------------

// A squid basic helper in bash: logs each request line to `log`, answers OK for
// "alice open%20sesame" (squid's rfc1738 escaping of "open sesame") and ERR otherwise.
std::string writeHelper(const TempDir& dir, const std::string& log) {
  const std::string path = dir.write("helper.sh",
                                     "#!/bin/bash\n"
                                     "while IFS= read -r line; do\n"
                                     "  printf '%s\\n' \"$line\" >> '" +
                                         log +
                                         "'\n"
                                         "  if [ \"$line\" = 'alice open%20sesame' ]; then\n"
                                         "    echo OK\n"
                                         "  else\n"
                                         "    echo 'ERR message=\"no such user\"'\n"
                                         "  fi\n"
                                         "done\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

std::vector<std::string> fileLines(const std::string& path) {
  std::istringstream in(readFile(path));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST(Auth, HelperProgramAnswersOkForItsUserAndErrForOthers) {
  TempDir files;
  const std::string log = files.path() + "/helper.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic program " + writeHelper(files, log) + "\n"));
  ASSERT_TRUE(proxy.started());
  const std::string url = origin.url("/h");
  HttpResponse good = fetch(proxy.port(), getRequest(url, authorized("alice", "open sesame")));
  EXPECT_EQ(good.status, 200) << good.raw;
  expectChallenge(getAs(proxy, origin, "/bad", authorized("alice", "close sesame")));
  expectChallenge(getAs(proxy, origin, "/other", authorized("eve", "open sesame")));
  EXPECT_THAT(fileLines(log), ::testing::ElementsAre("alice open%20sesame", "alice close%20sesame",
                                                     "eve open%20sesame"));
  EXPECT_EQ(logLineFor(proxy, 3, url).user, "alice");
  ASSERT_TRUE(origin.waitForRequests(1));
  EXPECT_FALSE(origin.requests()[0].headers.has("Proxy-Authorization"));
  EXPECT_EQ(origin.requests().size(), 1u);
}

TEST(Auth, CredentialsCacheAsksTheHelperOnceForTheSamePair) {
  TempDir files;
  const std::string log = files.path() + "/helper.log";
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic program " + writeHelper(files, log) +
                                 "\nauth_param basic credentialsttl 1 hour\n"));
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(getAs(proxy, origin, "/1", authorized("alice", "open sesame")).status, 200);
  EXPECT_EQ(getAs(proxy, origin, "/2", authorized("alice", "open sesame")).status, 200);
  // The helper writes its log line before answering: a second lookup would be there.
  EXPECT_THAT(fileLines(log), ::testing::ElementsAre("alice open%20sesame"));
  EXPECT_EQ(origin.requests().size(), 2u);
}

// ---- reload ------------------------------------------------------------------------------

TEST(Auth, ReloadAfterRemovingAUserFromTheFileRefusesThatUser) {
  TempDir files;
  const std::string passwd = passwordFile(files, /*with_bob=*/true);
  OriginServer origin(OriginServer::always(okResponse("ok")));
  CuttleProcess proxy(authConfig("auth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                                 passwd + "\npid_filename " + files.path() + "/cuttle.pid\n"));
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(getAs(proxy, origin, "/", authorized("bob", "builder")).status, 200);
  EXPECT_EQ(getAs(proxy, origin, "/", authorized("bob", "builder")).status, 200) << "cached";

  passwordFile(files, /*with_bob=*/false);  // rewrites the file without bob
  CommandResult k = runCuttle({"-k", "reconfigure", "-f", proxy.configPath()});
  EXPECT_EQ(k.exit_code, 0) << k.err;
  ASSERT_TRUE(proxy.waitForStderr("reconfigured"));

  expectChallenge(getAs(proxy, origin, "/", authorized("bob", "builder")));
  EXPECT_EQ(getAs(proxy, origin, "/", authorized("alice", "wonder land")).status, 200);
}

}  // namespace
}  // namespace cuttle::test
