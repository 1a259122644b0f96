#include "proxy/htpasswd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/proxy/auth_test_support.h"

namespace cuttle::proxy {
namespace {

using testing_auth::hashPassword;
using testing_auth::TempDir;

// `openssl passwd -apr1 -salt abcdefgh secret`, the same as `htpasswd -nbm` would give with
// that salt.
constexpr const char* kApr1Secret = "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/";

TEST(HtpasswdTest, SkipsCommentsAndBlankLinesAndCountsMalformedOnes) {
  std::string text = std::string("# users of the proxy\n") +
                     "\n"
                     "   \t \n"
                     "  # indented comment\n"
                     "alice:" +
                     kApr1Secret + "\r\n" +
                     "no-colon-here\n"
                     ":" +
                     kApr1Secret + "\n" +
                     "bob:plaintext\n"
                     "carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
                     "dave:$6$saltsalt$\n"
                     "erin:" +
                     kApr1Secret + ":extra:fields\n" + "alice:" + kApr1Secret + "\n" + "frank:\n";
  auto file = PasswordFile::parse(text, "mem");
  EXPECT_EQ(file->size(), 2u);
  EXPECT_TRUE(file->contains("alice"));
  EXPECT_TRUE(file->contains("erin"));
  EXPECT_FALSE(file->contains("bob"));
  const PasswordFile::Report& report = file->report();
  EXPECT_EQ(report.users, 2u);
  EXPECT_EQ(report.skipped, 7u);
  ASSERT_EQ(report.problems.size(), 7u);
  EXPECT_EQ(report.problems[0], "line 6: no ':' between user and password hash");
  EXPECT_EQ(report.problems[1], "line 7: empty user name");
  EXPECT_NE(report.problems[2].find("line 8: "), std::string::npos);
  EXPECT_NE(report.problems[2].find("plain-text passwords are not accepted"), std::string::npos);
  EXPECT_NE(report.problems[3].find("{SHA}"), std::string::npos);
  EXPECT_NE(report.problems[4].find("line 10: malformed hash"), std::string::npos);
  EXPECT_NE(report.problems[5].find("line 12: user \"alice\" already defined"), std::string::npos);
  EXPECT_NE(report.problems[6].find("line 13: empty password hash"), std::string::npos);
  EXPECT_TRUE(file->verify("erin", "secret"));  // fields after the hash are ignored
  EXPECT_EQ(file->path(), "mem");
}

TEST(HtpasswdTest, KeepsOnlyTheFirstProblemsButCountsThemAll) {
  std::string text;
  for (int i = 0; i < 25; ++i) text += "user" + std::to_string(i) + ":clear\n";
  auto file = PasswordFile::parse(text, "mem");
  EXPECT_EQ(file->size(), 0u);
  EXPECT_EQ(file->report().skipped, 25u);
  EXPECT_EQ(file->report().problems.size(), PasswordFile::kMaxProblems);
}

TEST(HtpasswdTest, UserNamesMayHoldBlanksAndTheFirstDuplicateWins) {
  std::string other = hashPassword("$1$", "other");
  auto file = PasswordFile::parse(
      std::string("John Smith:") + kApr1Secret + "\nJohn Smith:" + other + "\n", "mem");
  EXPECT_TRUE(file->verify("John Smith", "secret"));
  EXPECT_FALSE(file->verify("John Smith", "other"));
}

TEST(HtpasswdTest, LoadReadsAFileAndNamesTheProblem) {
  TempDir dir;
  std::string path = dir.write("users", std::string("alice:") + kApr1Secret + "\n");
  auto loaded = PasswordFile::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().cause;
  EXPECT_EQ(loaded.value()->path(), path);
  EXPECT_TRUE(loaded.value()->verify("alice", "secret"));

  auto missing = PasswordFile::load(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().side, Side::kConfig);
  EXPECT_NE(missing.error().cause.find(dir.path() + "/nope"), std::string::npos);

  auto directory = PasswordFile::load(dir.path());
  EXPECT_FALSE(directory.ok());
}

TEST(HtpasswdTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir dir;
  std::string path = dir.write("users", std::string("alice:") + kApr1Secret + "\n");
  chmod(path.c_str(), 0);
  auto loaded = PasswordFile::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kIo);
}

TEST(PasswordFileTest, Apr1) {
  auto file = PasswordFile::parse(std::string("alice:") + kApr1Secret +
                                      "\nbob:$apr1$Q/12.Zz9$qh2HLwl.UIze9s5dFp72I0\n"
                                      "long:$apr1$ABCDEFGH$rfU956MsVv3yiB59t0QtX/\n",
                                  "mem");
  ASSERT_EQ(file->size(), 3u);
  EXPECT_TRUE(file->verify("alice", "secret"));
  EXPECT_FALSE(file->verify("alice", "Secret"));
  EXPECT_FALSE(file->verify("alice", ""));
  EXPECT_FALSE(file->verify("alice", "secret "));
  EXPECT_TRUE(file->verify("bob", "hunter2"));
  EXPECT_TRUE(file->verify("long", std::string(100, 'a')));
  EXPECT_FALSE(file->verify("long", std::string(99, 'a')));
  EXPECT_FALSE(file->verify("nobody", "secret"));
}

struct Format {
  const char* name;
  const char* prefix;
};

class PasswordFileFormatTest : public ::testing::TestWithParam<Format> {};

TEST_P(PasswordFileFormatTest, VerifiesHashesMadeByLibcrypt) {
  std::string hash = hashPassword(GetParam().prefix, "correct horse");
  ASSERT_FALSE(hash.empty());
  std::string why;
  EXPECT_TRUE(PasswordFile::supportedHash(hash, &why)) << hash << ": " << why;
  auto file = PasswordFile::parse("alice:" + hash + "\n", "mem");
  ASSERT_EQ(file->size(), 1u) << hash;
  EXPECT_TRUE(file->verify("alice", "correct horse")) << hash;
  EXPECT_FALSE(file->verify("alice", "Correct horse")) << hash;
  // DES uses the first 8 characters only.
  if (std::string(GetParam().prefix) != "") {
    EXPECT_FALSE(file->verify("alice", "correct horse!")) << hash;
  }
  EXPECT_FALSE(file->verify("alice", "")) << hash;
  EXPECT_FALSE(file->verify("Alice", "correct horse")) << hash;  // case-sensitive by default
  EXPECT_TRUE(file->verify("ALICE", "correct horse", /*case_sensitive=*/false)) << hash;
}

INSTANTIATE_TEST_SUITE_P(All, PasswordFileFormatTest,
                         ::testing::Values(Format{"bcrypt", "$2b$"}, Format{"sha512", "$6$"},
                                           Format{"sha256", "$5$"}, Format{"md5crypt", "$1$"},
                                           Format{"yescrypt", "$y$"}, Format{"des", ""}),
                         [](const ::testing::TestParamInfo<Format>& param) {
                           return std::string(param.param.name);
                         });

TEST(PasswordFileTest, BcryptVariants2aAnd2y) {
  // $2a$ and $2y$ are the same computation as $2b$ for passwords under 256 bytes.
  std::string b = hashPassword("$2b$", "secret");
  for (const char* variant : {"$2a$", "$2y$"}) {
    std::string hash = std::string(variant) + b.substr(4);
    auto file = PasswordFile::parse("alice:" + hash + "\n", "mem");
    ASSERT_EQ(file->size(), 1u) << hash;
    EXPECT_TRUE(file->verify("alice", "secret")) << hash;
    EXPECT_FALSE(file->verify("alice", "secreT")) << hash;
  }
}

TEST(PasswordFileTest, PasswordsWithNulNeverVerify) {
  auto file = PasswordFile::parse(std::string("alice:") + hashPassword("$6$", "abc") + "\n", "mem");
  EXPECT_TRUE(file->verify("alice", "abc"));
  EXPECT_FALSE(file->verify("alice", std::string("abc\0def", 7)));
}

TEST(PasswordFileTest, CaseInsensitiveLookupTakesTheFirstFoldedMatch) {
  auto file = PasswordFile::parse(
      std::string("Alice:") + kApr1Secret + "\nALICE:" + hashPassword("$1$", "other") + "\n",
      "mem");
  EXPECT_EQ(file->size(), 2u);  // distinct names when case matters
  EXPECT_TRUE(file->verify("alice", "secret", false));
  EXPECT_FALSE(file->verify("alice", "other", false));
  EXPECT_TRUE(file->verify("ALICE", "other", true));
  EXPECT_FALSE(file->verify("alice", "secret", true));
  EXPECT_TRUE(file->contains("aLiCe", false));
  EXPECT_FALSE(file->contains("aLiCe", true));
}

TEST(PasswordFileTest, SupportedHashSaysWhy) {
  std::string why;
  EXPECT_FALSE(PasswordFile::supportedHash("secret", &why));
  EXPECT_NE(why.find("plain-text"), std::string::npos);
  EXPECT_FALSE(PasswordFile::supportedHash("$apr1$toolongsalt$h9FWgUz3n9YxylKLlR5SQ/", &why));
  EXPECT_FALSE(PasswordFile::supportedHash("$apr1$abcdefgh$short", &why));
  EXPECT_FALSE(PasswordFile::supportedHash("$6$salt$", &why));
  EXPECT_FALSE(PasswordFile::supportedHash("$nonsense$abc$def", &why));
  EXPECT_TRUE(PasswordFile::supportedHash(kApr1Secret, nullptr));
  EXPECT_TRUE(PasswordFile::supportedHash("abJnggxhB/yWI", nullptr));  // DES
  EXPECT_FALSE(PasswordFile::supportedHash("abJnggxhB/yW!", nullptr));
}

// squid's own basic_ncsa_auth, when installed, agrees with our reading of the file: the
// same file, the same answers.
TEST(PasswordFileTest, AgreesWithSquidsBasicNcsaAuth) {
  const char* helper = "/usr/lib/squid/basic_ncsa_auth";
  if (access(helper, X_OK) != 0) GTEST_SKIP() << helper << " not installed";
  TempDir dir;
  std::string path = dir.write("users", std::string("alice:") + kApr1Secret + "\n" +
                                            "bob:" + hashPassword("$2b$", "builder") + "\n" +
                                            "carol:" + hashPassword("$6$", "c4r0l") + "\n");
  auto file = PasswordFile::load(path);
  ASSERT_TRUE(file.ok());
  std::vector<std::pair<std::string, std::string>> cases = {{"alice", "secret"}, {"alice", "wrong"},
                                                            {"bob", "builder"},  {"bob", "Builder"},
                                                            {"carol", "c4r0l"},  {"nobody", "x"}};
  std::string input;
  for (const auto& [user, password] : cases) input += user + " " + password + "\n";
  std::string in_path = dir.write("input", input);
  std::string command = std::string(helper) + " " + path + " < " + in_path;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<std::string> answers;
  char line[256];
  while (fgets(line, sizeof line, pipe) != nullptr) answers.emplace_back(line);
  pclose(pipe);
  ASSERT_EQ(answers.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    bool squid_ok = answers[i].rfind("OK", 0) == 0;
    EXPECT_EQ(file.value()->verify(cases[i].first, cases[i].second), squid_ok)
        << cases[i].first << " " << cases[i].second << ": squid said " << answers[i];
  }
}

}  // namespace
}  // namespace cuttle::proxy
