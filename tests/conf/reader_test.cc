// Tests conf/reader.cc: squid.conf lines, comments, continuations, quotes, include and
// conditionals, through the public parseConfigText / parseConfigFile.
#include "conf/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/conf/conf_test_util.h"

namespace cuttle::conf {
namespace {

using test::dump;
using test::parseOk;
using test::parseOneError;
using test::TempDir;
using test::withMessage;

std::vector<std::string> args(const RawDirective& r) { return r.args; }

TEST(Tokenize, SplitsOnWhitespaceAndStopsAtComment) {
  Statement st;
  st.text = "acl  a\tsrc 10.0.0.0/8   # local net";
  std::string error;
  ASSERT_TRUE(tokenizeLine(&st, &error));
  ASSERT_EQ(st.tokens.size(), 4u);
  EXPECT_EQ(st.tokens[0].value, "acl");
  EXPECT_EQ(st.tokens[1].value, "a");
  EXPECT_EQ(st.tokens[2].value, "src");
  EXPECT_EQ(st.tokens[3].value, "10.0.0.0/8");
  EXPECT_EQ(st.tokens[3].begin, 11u);
  EXPECT_EQ(st.end, 24u);
  EXPECT_EQ(st.restFrom(1), "src 10.0.0.0/8");
}

TEST(Tokenize, QuotedStringsAndEscapes) {
  Statement st;
  st.text = R"(x "a b" "q\"uote" "back\\slash" "\d" a#b "")";
  std::string error;
  ASSERT_TRUE(tokenizeLine(&st, &error)) << error;
  ASSERT_EQ(st.tokens.size(), 7u);
  EXPECT_EQ(st.tokens[1].value, "a b");
  EXPECT_EQ(st.tokens[1].raw, "\"a b\"");
  EXPECT_TRUE(st.tokens[1].quoted);
  EXPECT_EQ(st.tokens[2].value, "q\"uote");
  EXPECT_EQ(st.tokens[3].value, "back\\slash");
  EXPECT_EQ(st.tokens[4].value, "\\d");
  EXPECT_EQ(st.tokens[5].value, "a#b");  // '#' inside a word is not a comment
  EXPECT_FALSE(st.tokens[5].quoted);
  EXPECT_EQ(st.tokens[6].value, "");
  EXPECT_EQ(st.tokens[6].raw, "\"\"");
}

TEST(Tokenize, QuotedHashIsNotAComment) {
  Statement st;
  st.text = "x \"# not a comment\" y";
  std::string error;
  ASSERT_TRUE(tokenizeLine(&st, &error));
  ASSERT_EQ(st.tokens.size(), 3u);
  EXPECT_EQ(st.tokens[1].value, "# not a comment");
  EXPECT_EQ(st.tokens[2].value, "y");
}

TEST(Tokenize, RejectsUnterminatedAndGluedQuotes) {
  Statement st;
  std::string error;
  st.text = "x \"abc";
  EXPECT_FALSE(tokenizeLine(&st, &error));
  EXPECT_EQ(error, "unterminated quoted string");
  st.text = "x \"abc\"def";
  EXPECT_FALSE(tokenizeLine(&st, &error));
  EXPECT_EQ(error, "unexpected text after a quoted string");
}

TEST(Reader, CommentsAndBlankLines) {
  auto cfg = parseOk(
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      "\t\n"
      "visible_hostname proxy.example   # trailing comment\n"
      "acl a#b src 10.0.0.1#x\n");
  EXPECT_EQ(cfg->visible_hostname, "proxy.example");
  ASSERT_EQ(cfg->rules.size(), 1u);
  EXPECT_EQ(args(cfg->rules[0]), (std::vector<std::string>{"a#b", "src", "10.0.0.1#x"}));
  EXPECT_EQ(cfg->rules[0].line, 6);
}

TEST(Reader, LineContinuation) {
  auto cfg = parseOk(
      "acl localnet src \\\n"
      "    10.0.0.0/8 \\\n"
      "# a comment line inside the continuation is skipped, as in squid\n"
      "    192.168.0.0/16\n"
      "acl glued src 1.2.3.\\\n"
      "   4\n"
      "http_access allow localnet\n");
  ASSERT_EQ(cfg->rules.size(), 3u);
  EXPECT_EQ(args(cfg->rules[0]),
            (std::vector<std::string>{"localnet", "src", "10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_EQ(cfg->rules[0].line, 1);  // the first line of the directive
  EXPECT_EQ(args(cfg->rules[1]), (std::vector<std::string>{"glued", "src", "1.2.3.4"}));
  EXPECT_EQ(cfg->rules[1].line, 5);
  EXPECT_EQ(cfg->rules[2].line, 7);
}

TEST(Reader, ContinuationAtEndOfFileAndTrailingSpaces) {
  auto cfg = parseOk("visible_hostname \\   \n  cont.example \\");
  EXPECT_EQ(cfg->visible_hostname, "cont.example");
}

TEST(Reader, CrLfLineEndings) {
  auto cfg = parseOk("visible_hostname crlf.example\r\nvia off\r\n");
  EXPECT_EQ(cfg->visible_hostname, "crlf.example");
  EXPECT_FALSE(cfg->via);
}

TEST(Reader, QuotedArgumentsAreUnquotedForValuesAndKeptInRules) {
  auto cfg = parseOk(
      "visible_hostname \"quoted.example\"\n"
      "acl blocked dstdomain \"/etc/cuttle/blocked.txt\"\n");
  EXPECT_EQ(cfg->visible_hostname, "quoted.example");
  ASSERT_EQ(cfg->rules.size(), 1u);
  EXPECT_EQ(cfg->rules[0].args[2], "\"/etc/cuttle/blocked.txt\"");
}

TEST(Reader, UnterminatedQuoteIsAnErrorAtItsLine) {
  Diagnostic d = parseOneError("via on\n\nvisible_hostname \"oops\n", 3, "visible_hostname");
  EXPECT_EQ(d.message, "unterminated quoted string");
}

TEST(Reader, IncludeGlobRelativeToIncludingFile) {
  TempDir dir;
  dir.write("conf.d/20-b.conf", "acl b src 10.0.0.2\n");
  dir.write("conf.d/10-a.conf", "acl a src 10.0.0.1\n");
  dir.write("conf.d/ignored.txt", "this is not a directive\n");
  std::string top = dir.write("squid.conf",
                              "acl first src 10.0.0.0\n"
                              "include conf.d/*.conf\n"
                              "acl last src 10.0.0.3\n");
  ParseOutcome out = parseConfigFile(top);
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  const auto& rules = out.config->rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].args[0], "first");
  EXPECT_EQ(rules[1].args[0], "a");  // glob results sorted
  EXPECT_EQ(rules[1].file, dir.path() + "/conf.d/10-a.conf");
  EXPECT_EQ(rules[1].line, 1);
  EXPECT_EQ(rules[2].args[0], "b");
  EXPECT_EQ(rules[3].args[0], "last");
  EXPECT_EQ(rules[3].file, top);
  EXPECT_EQ(rules[3].line, 3);
  EXPECT_TRUE(out.warnings.empty()) << dump(out.warnings);
}

TEST(Reader, NestedIncludesAreRelativeToTheirOwnDirectory) {
  TempDir dir;
  dir.write("sub/inner.conf", "include deeper/last.conf\nvisible_hostname inner\n");
  dir.write("sub/deeper/last.conf", "via off\n");
  std::string top = dir.write("top.conf", "include sub/inner.conf " + dir.path() + "/extra.conf\n");
  dir.write("extra.conf", "workers 3\n");
  ParseOutcome out = parseConfigFile(top);
  ASSERT_TRUE(out.errors.empty()) << dump(out.errors);
  EXPECT_FALSE(out.config->via);
  EXPECT_EQ(out.config->visible_hostname, "inner");
  EXPECT_EQ(out.config->workers, 3);
}

TEST(Reader, MissingIncludeIsAnErrorWithFileAndLine) {
  TempDir dir;
  std::string top = dir.write("top.conf", "via on\n\ninclude nowhere.conf\ninclude none/*.conf\n");
  ParseOutcome out = parseConfigFile(top);
  EXPECT_EQ(out.config, nullptr);
  ASSERT_EQ(out.errors.size(), 2u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].file, top);
  EXPECT_EQ(out.errors[0].line, 3);
  EXPECT_EQ(out.errors[0].directive, "include");
  EXPECT_NE(out.errors[0].message.find(dir.path() + "/nowhere.conf"), std::string::npos);
  EXPECT_EQ(out.errors[1].line, 4);
  EXPECT_EQ(out.errors[1].message, "no file matches '" + dir.path() + "/none/*.conf'");
}

TEST(Reader, ErrorsInIncludedFilesNameThatFile) {
  TempDir dir;
  std::string inc = dir.write("inc.conf", "\n\nworkers lots\n");
  std::string top = dir.write("top.conf", "include inc.conf\n");
  ParseOutcome out = parseConfigFile(top);
  ASSERT_EQ(out.errors.size(), 1u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].toString(), inc + ":3: workers: 'lots' is not an integer");
}

TEST(Reader, IncludeDepthIsLimitedTo16) {
  TempDir dir;
  // f0 includes f1 ... includes f17: f17 is at depth 17.
  for (int i = 0; i < 17; ++i) {
    dir.write("f" + std::to_string(i) + ".conf", "include f" + std::to_string(i + 1) + ".conf\n");
  }
  dir.write("f17.conf", "via off\n");
  ParseOutcome out = parseConfigFile(dir.path() + "/f0.conf");
  ASSERT_EQ(out.errors.size(), 1u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].file, dir.path() + "/f16.conf");
  EXPECT_EQ(out.errors[0].line, 1);
  EXPECT_NE(out.errors[0].message.find("nested too deeply"), std::string::npos);

  dir.write("f16.conf", "via off\n");  // now 16 deep: fine
  out = parseConfigFile(dir.path() + "/f0.conf");
  EXPECT_TRUE(out.errors.empty()) << dump(out.errors);
  ASSERT_NE(out.config, nullptr);
  EXPECT_FALSE(out.config->via);
}

TEST(Reader, SelfIncludeIsAnError) {
  TempDir dir;
  std::string top = dir.write("loop.conf", "via off\ninclude loop.conf\n");
  ParseOutcome out = parseConfigFile(top);
  ASSERT_EQ(out.errors.size(), 1u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].line, 2);
  EXPECT_NE(out.errors[0].message.find("includes itself"), std::string::npos);
}

TEST(Reader, MissingTopLevelFile) {
  ParseOutcome out = parseConfigFile("/nonexistent/cuttle.conf");
  EXPECT_EQ(out.config, nullptr);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].file, "/nonexistent/cuttle.conf");
  EXPECT_EQ(out.errors[0].line, 0);
  EXPECT_EQ(out.errors[0].toString(),
            "/nonexistent/cuttle.conf: cannot read the configuration file: No such file or "
            "directory");
}

TEST(Reader, Conditionals) {
  auto cfg = parseOk(
      "if true\n"
      "  workers 2\n"
      "else\n"
      "  workers 3\n"
      "endif\n"
      "if 1 = 2\n"
      "  via off\n"
      "endif\n"
      "if false\n"
      "  if true\n"
      "    visible_hostname never\n"
      "  endif\n"
      "else\n"
      "  visible_hostname always\n"
      "endif\n");
  EXPECT_EQ(cfg->workers, 2);
  EXPECT_TRUE(cfg->via);
  EXPECT_EQ(cfg->visible_hostname, "always");
}

TEST(Reader, ConditionalErrors) {
  ParseOutcome out = parseConfigText(
      "endif\n"
      "if ${process_number} = 1\n"
      "endif\n"
      "if maybe\n"
      "endif\n"
      "else\n"
      "if true\n",
      "c.conf");
  ASSERT_EQ(out.errors.size(), 5u) << dump(out.errors);
  EXPECT_EQ(out.errors[0].line, 1);
  EXPECT_EQ(out.errors[0].message, "'endif' without 'if'");
  EXPECT_EQ(out.errors[1].line, 2);
  EXPECT_NE(out.errors[1].message.find("macros"), std::string::npos);
  EXPECT_EQ(out.errors[2].line, 4);
  EXPECT_EQ(out.errors[3].line, 6);
  EXPECT_EQ(out.errors[3].message, "'else' without 'if'");
  EXPECT_EQ(out.errors[4].line, 7);
  EXPECT_EQ(out.errors[4].message, "'if' without 'endif'");
}

TEST(Reader, MacrosAreNotExpandedAndWarned) {
  ParseOutcome out;
  auto cfg = parseOk("cache_log /var/log/cuttle/cache${process_number}.log\n", &out);
  EXPECT_EQ(cfg->cache_log, "/var/log/cuttle/cache${process_number}.log");
  ASSERT_EQ(withMessage(out.warnings, "macros").size(), 1u) << dump(out.warnings);
}

}  // namespace
}  // namespace cuttle::conf
