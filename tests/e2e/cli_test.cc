// The command line: -v, -k parse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace cuttle::test {
namespace {

using ::testing::HasSubstr;

TEST(CommandLine, VersionNamesCuttleAndItsLibraries) {
  CommandResult r = runCuttle({"-v"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"cuttle", "libuv", "llhttp", "LMDB", "c-ares"}) {
    EXPECT_THAT(r.out, HasSubstr(name));
  }
}

TEST(CommandLine, ParseAcceptsAValidConfig) {
  CommandResult r = parseConfig("http_port 127.0.0.1:0\nworkers 1\nread_timeout 30 seconds\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(CommandLine, ParseRejectsABadConfigNamingFileLineAndDirective) {
  CommandResult r = parseConfig("http_port 127.0.0.1:0\nread_timeout banana\n");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_THAT(all, HasSubstr("cuttle.conf:2"));
  EXPECT_THAT(all, HasSubstr("read_timeout"));
}

TEST(CommandLine, ParseDoesNotStartTheProxy) {
  // -k parse must exit by itself: runCuttle fails the test if it has to kill it.
  CommandResult r = parseConfig("http_port 127.0.0.1:0\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("listening on")));
}

TEST(CommandLine, BadConfigPreventsStartup) {
  TempDir dir;
  std::string path = dir.write(
      "bad.conf", "http_port 127.0.0.1:0\nno_such_directive_really on\ncuttle_strict on\n");
  CommandResult r = runCuttle({"-f", path});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("bad.conf"));
}

}  // namespace
}  // namespace cuttle::test
