// parseAuthConfig() and loadAuthSetup() on squid.conf text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/config.h"
#include "proxy/auth.h"
#include "tests/proxy/auth_test_support.h"

namespace cuttle::proxy {
namespace {

using testing_auth::TempDir;

constexpr const char* kApr1Secret = "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/";

struct Parsed {
  std::shared_ptr<const BasicAuthConfig> config;
  std::vector<conf::Diagnostic> errors;
  std::vector<conf::Diagnostic> warnings;

  std::string allErrors() const {
    std::string out;
    for (const auto& d : errors) out += d.toString() + "\n";
    return out;
  }
  bool warned(const std::string& part) const {
    for (const auto& d : warnings) {
      if (d.toString().find(part) != std::string::npos) return true;
    }
    return false;
  }
  bool erred(const std::string& part) const {
    for (const auto& d : errors) {
      if (d.toString().find(part) != std::string::npos) return true;
    }
    return false;
  }
};

Parsed parse(const std::string& text, const std::string& name = "/etc/cuttle/test.conf") {
  conf::ParseOutcome outcome = conf::parseConfigText(text, name);
  EXPECT_TRUE(outcome.errors.empty()) << outcome.errors.front().toString();
  Parsed parsed;
  if (outcome.config) {
    parsed.config = parseAuthConfig(*outcome.config, &parsed.errors, &parsed.warnings);
  }
  return parsed;
}

TEST(AuthConfigTest, NoAuthParamMeansDisabled) {
  Parsed p = parse("http_access allow all\n");
  ASSERT_TRUE(p.config);
  EXPECT_FALSE(p.config->enabled);
  EXPECT_TRUE(p.errors.empty());
}

// The lines of Debian's squid.conf examples, with basic_ncsa_auth: cuttle reads the file
// itself.
TEST(AuthConfigTest, BasicNcsaAuthProgramIsReadAsThePasswordFile) {
  TempDir dir;
  std::string passwd = dir.write("passwd", std::string("alice:") + kApr1Secret + "\n");
  Parsed p = parse("auth_param basic program /usr/lib/squid/basic_ncsa_auth " + passwd + "\n" +
                   "auth_param basic children 5 startup=5 idle=1\n"
                   "auth_param basic realm Squid proxy-caching web server\n"
                   "auth_param basic credentialsttl 2 hours\n"
                   "auth_param basic casesensitive off\n"
                   "acl authenticated proxy_auth REQUIRED\n"
                   "http_access allow authenticated\n");
  ASSERT_TRUE(p.config) << p.allErrors();
  EXPECT_TRUE(p.errors.empty());
  EXPECT_TRUE(p.warnings.empty()) << p.warnings.front().toString();
  EXPECT_TRUE(p.config->enabled);
  EXPECT_EQ(p.config->password_file, passwd);
  EXPECT_TRUE(p.config->program.empty());
  EXPECT_EQ(p.config->realm, "Squid proxy-caching web server");
  EXPECT_EQ(p.config->credentials_ttl, std::chrono::hours(2));
  EXPECT_FALSE(p.config->case_sensitive);
  EXPECT_EQ(p.config->children, 5);
  EXPECT_EQ(p.config->source_file, "/etc/cuttle/test.conf");
  EXPECT_EQ(p.config->source_line, 1);
}

TEST(AuthConfigTest, AnyPathEndingInBasicNcsaAuthAndTheOldNcsaAuth) {
  TempDir dir;
  std::string passwd = dir.write("passwd", "");
  for (const char* program : {"/usr/local/squid/libexec/basic_ncsa_auth",
                              "/usr/lib/squid3/ncsa_auth", "\"/usr/lib/squid/basic_ncsa_auth\""}) {
    Parsed p = parse(std::string("auth_param basic program ") + program + " \"" + passwd + "\"\n");
    ASSERT_TRUE(p.config) << program << ": " << p.allErrors();
    EXPECT_EQ(p.config->password_file, passwd) << program;
    EXPECT_TRUE(p.config->program.empty());
  }
}

TEST(AuthConfigTest, FileExtensionAndRelativePaths) {
  TempDir dir;
  dir.write("passwd", std::string("alice:") + kApr1Secret + "\n");
  Parsed p = parse("auth_param basic file passwd\n", dir.path() + "/cuttle.conf");
  ASSERT_TRUE(p.config) << p.allErrors();
  EXPECT_EQ(p.config->password_file, dir.path() + "/passwd");
  EXPECT_EQ(p.config->realm, "cuttle");
  EXPECT_EQ(p.config->credentials_ttl, std::chrono::hours(2));
}

TEST(AuthConfigTest, OtherProgramsRunAsHelpers) {
  TempDir dir;
  std::string helper = dir.write("helper.sh", "#!/bin/sh\n", /*executable=*/true);
  Parsed p = parse("auth_param basic program " + helper +
                   " --db \"/var/lib/my db\"\n"
                   "auth_param basic children 3 concurrency=4 queue-size=50\n"
                   "auth_param basic casesensitive on\n"
                   "auth_param basic realm \"My \\\"proxy\\\"\"\n");
  ASSERT_TRUE(p.config) << p.allErrors();
  EXPECT_TRUE(p.config->enabled);
  EXPECT_TRUE(p.config->password_file.empty());
  EXPECT_EQ(p.config->program, (std::vector<std::string>{helper, "--db", "/var/lib/my db"}));
  EXPECT_EQ(p.config->children, 3);
  EXPECT_EQ(p.config->concurrency, 4);
  EXPECT_EQ(p.config->queue_size, 50u);
  EXPECT_TRUE(p.config->case_sensitive);
  EXPECT_EQ(p.config->realm, "My \"proxy\"");
  EXPECT_TRUE(p.warnings.empty());
}

TEST(AuthConfigTest, ErrorsNameFileAndLine) {
  TempDir dir;
  Parsed missing_file = parse("\n\nauth_param basic program /usr/lib/squid/basic_ncsa_auth " +
                              dir.path() + "/nope\n");
  EXPECT_FALSE(missing_file.config);
  EXPECT_TRUE(missing_file.erred(
      "/etc/cuttle/test.conf:3: auth_param: cannot read the password file " + dir.path() + "/nope"))
      << missing_file.allErrors();

  Parsed no_file = parse("auth_param basic program /usr/lib/squid/basic_ncsa_auth\n");
  EXPECT_FALSE(no_file.config);
  EXPECT_TRUE(no_file.erred(
      "test.conf:1: auth_param: /usr/lib/squid/basic_ncsa_auth needs the password file"))
      << no_file.allErrors();

  Parsed directory = parse("auth_param basic file " + dir.path() + "\n");
  EXPECT_FALSE(directory.config);
  EXPECT_TRUE(directory.erred("it is a directory")) << directory.allErrors();

  Parsed no_program = parse("auth_param basic realm Proxy\nauth_param basic children 4\n");
  EXPECT_FALSE(no_program.config);
  EXPECT_TRUE(no_program.erred("test.conf:1: auth_param: auth_param basic needs a program"))
      << no_program.allErrors();

  Parsed not_executable = parse("auth_param basic program " + dir.path() + "/absent_helper\n");
  EXPECT_FALSE(not_executable.config);
  EXPECT_TRUE(not_executable.erred("cannot run the authentication helper"))
      << not_executable.allErrors();

  Parsed bad_values = parse("auth_param basic file " + dir.write("p", "") + "\n" +
                            "auth_param basic children 0\n"
                            "auth_param basic credentialsttl soon\n"
                            "auth_param basic casesensitive maybe\n"
                            "auth_param basic children 2 concurrency=x\n"
                            "auth_param basic realm\n"
                            "auth_param basic\n");
  EXPECT_FALSE(bad_values.config);
  for (const char* part : {"test.conf:2:", "test.conf:3:", "test.conf:4:", "test.conf:5:",
                           "test.conf:6:", "test.conf:7:"}) {
    EXPECT_TRUE(bad_values.erred(part)) << part << "\n" << bad_values.allErrors();
  }
}

TEST(AuthConfigTest, WarningsForWhatCuttleIgnores) {
  TempDir dir;
  std::string passwd = dir.write("passwd", "");
  Parsed p = parse(
      "auth_param digest program /usr/lib/squid/digest_file_auth -c /etc/squid/digest\n"
      "auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth\n"
      "auth_param basic file " +
      passwd + "\n" +
      "auth_param basic utf8 on\n"
      "auth_param basic credentialsttl 90\n"
      "auth_param basic children 5 on-persistent-overload=ERR\n"
      "auth_param basic frobnicate yes\n"
      "auth_param basic realm One\n"
      "auth_param basic realm Two\n");
  ASSERT_TRUE(p.config) << p.allErrors();
  EXPECT_TRUE(p.warned("test.conf:1: auth_param: the digest scheme is not supported"));
  EXPECT_TRUE(p.warned("test.conf:2: auth_param: the negotiate scheme is not supported"));
  EXPECT_TRUE(p.warned("test.conf:4: auth_param: auth_param basic utf8 is not supported"));
  EXPECT_TRUE(p.warned("test.conf:5: auth_param: no unit given for credentialsttl"));
  EXPECT_TRUE(p.warned("test.conf:6: auth_param: children option \"on-persistent-overload=ERR\""));
  EXPECT_TRUE(p.warned("test.conf:7: auth_param: unknown auth_param basic parameter"));
  EXPECT_TRUE(p.warned("test.conf:9: auth_param: auth_param basic realm given again"));
  EXPECT_EQ(p.config->credentials_ttl, std::chrono::seconds(90));
  EXPECT_EQ(p.config->realm, "Two");
}

TEST(AuthConfigTest, OnlyOtherSchemesLeavesBasicDisabled) {
  Parsed p =
      parse("auth_param ntlm program /usr/bin/ntlm_auth --helper-protocol=squid-2.5-ntlmssp\n");
  ASSERT_TRUE(p.config);
  EXPECT_FALSE(p.config->enabled);
  EXPECT_TRUE(p.warned("the ntlm scheme is not supported"));
}

TEST(AuthConfigTest, LoadAuthSetupLoadsThePasswordFileAndReportsSkippedLines) {
  TempDir dir;
  std::string passwd = dir.write("passwd", std::string("alice:") + kApr1Secret + "\nbob:clear\n");
  conf::ParseOutcome outcome = conf::parseConfigText(
      "auth_param basic program /usr/lib/squid/basic_ncsa_auth " + passwd + "\n", "x.conf");
  ASSERT_TRUE(outcome.config);
  std::vector<conf::Diagnostic> errors, warnings;
  AuthSetup setup = loadAuthSetup(*outcome.config, &errors, &warnings);
  ASSERT_TRUE(setup.config);
  ASSERT_TRUE(setup.file);
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(setup.file->verify("alice", "secret"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].toString().find("x.conf:1: auth_param: password file " + passwd +
                                        ": 1 line(s) skipped; line 2: "),
            std::string::npos)
      << warnings[0].toString();

  // Reload: the file is read again.
  dir.write("passwd", "bob:" + std::string(kApr1Secret) + "\n");
  AuthSetup reloaded = loadAuthSetup(*outcome.config, &errors, &warnings);
  ASSERT_TRUE(reloaded.file);
  EXPECT_FALSE(reloaded.file->contains("alice"));
  EXPECT_TRUE(reloaded.file->verify("bob", "secret"));
  EXPECT_TRUE(setup.file->verify("alice", "secret"));  // the old one is unchanged

  dir.write("passwd", "# nobody yet\n");
  warnings.clear();
  AuthSetup empty = loadAuthSetup(*outcome.config, &errors, &warnings);
  ASSERT_TRUE(empty.file);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].message.find("no usable entry"), std::string::npos);
}

TEST(AuthConfigTest, LoadAuthSetupWithAHelperHasNoFile) {
  TempDir dir;
  std::string helper = dir.write("helper.sh", "#!/bin/sh\n", true);
  conf::ParseOutcome outcome =
      conf::parseConfigText("auth_param basic program " + helper + "\n", "x.conf");
  ASSERT_TRUE(outcome.config);
  std::vector<conf::Diagnostic> errors;
  AuthSetup setup = loadAuthSetup(*outcome.config, &errors, nullptr);
  ASSERT_TRUE(setup.config);
  EXPECT_FALSE(setup.file);
}

}  // namespace
}  // namespace cuttle::proxy
