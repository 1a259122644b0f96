#include "common/strings.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle {
namespace {

std::vector<std::string> elements(std::string_view list) {
  std::vector<std::string> out;
  ListIterator it(list);
  std::string_view e;
  while (it.next(&e)) out.emplace_back(e);
  return out;
}

using List = std::vector<std::string>;

TEST(Strings, AsciiLowerOnlyFoldsAsciiLetters) {
  EXPECT_EQ(asciiLower('A'), 'a');
  EXPECT_EQ(asciiLower('Z'), 'z');
  EXPECT_EQ(asciiLower('a'), 'a');
  EXPECT_EQ(asciiLower('@'), '@');  // just before 'A'
  EXPECT_EQ(asciiLower('['), '[');  // just after 'Z'
  EXPECT_EQ(asciiLower('\xC4'), '\xC4');
}

TEST(Strings, IequalsIsAsciiCaseInsensitive) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("CONTENT-LENGTH", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Host", "Hos"));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_FALSE(iequals("Host", "Hist"));
  // '@' and '`' differ from 'A'/'a' by the case bit only outside the letter range.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  // Non-ASCII bytes are compared exactly.
  EXPECT_FALSE(iequals("\xC4", "\xE4"));
}

TEST(Strings, IstartsWithAndToLower) {
  EXPECT_TRUE(istartsWith("Keep-Alive", "keep-"));
  EXPECT_TRUE(istartsWith("abc", ""));
  EXPECT_TRUE(istartsWith("abc", "ABC"));
  EXPECT_FALSE(istartsWith("ab", "abc"));
  EXPECT_FALSE(istartsWith("xabc", "abc"));
  EXPECT_EQ(toLower("MiXeD-Case_09"), "mixed-case_09");
  EXPECT_EQ(toLower(""), "");
}

TEST(Strings, TcharAndToken) {
  // RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
  //                         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
  for (char c : std::string_view("!#$%&'*+-.^_`|~09azAZ")) EXPECT_TRUE(isTchar(c)) << c;
  for (char c : std::string_view("\"(),/:;<=>?@[\\]{} \t\x7f\x01"))
    EXPECT_FALSE(isTchar(c)) << int(c);
  EXPECT_FALSE(isTchar('\0'));
  EXPECT_FALSE(isTchar('\x80'));
  EXPECT_TRUE(isToken("chunked"));
  EXPECT_TRUE(isToken("X-Custom_1"));
  EXPECT_FALSE(isToken(""));
  EXPECT_FALSE(isToken("a b"));
  EXPECT_FALSE(isToken("a:b"));
}

TEST(Strings, TrimOwsRemovesSpaceAndTabOnly) {
  EXPECT_EQ(trimOws(" \t a b \t "), "a b");
  EXPECT_EQ(trimOws("   "), "");
  EXPECT_EQ(trimOws(""), "");
  EXPECT_EQ(trimOws("\r\nx\r\n"), "\r\nx\r\n");  // CR and LF are not OWS
}

TEST(Strings, ListIteratorSplitsAndTrims) {
  EXPECT_EQ(elements("a"), (List{"a"}));
  EXPECT_EQ(elements("a,b"), (List{"a", "b"}));
  EXPECT_EQ(elements(" a , b\t,\tc "), (List{"a", "b", "c"}));
  EXPECT_EQ(elements("keep-alive, Upgrade"), (List{"keep-alive", "Upgrade"}));
}

TEST(Strings, ListIteratorSkipsEmptyElements) {
  // RFC 9110 5.6.1: empty list elements do not count.
  EXPECT_EQ(elements(""), List{});
  EXPECT_EQ(elements(","), List{});
  EXPECT_EQ(elements(" , ,\t, "), List{});
  EXPECT_EQ(elements(",a,,b,"), (List{"a", "b"}));
  EXPECT_EQ(elements("a , , , b"), (List{"a", "b"}));
}

TEST(Strings, ListIteratorKeepsQuotedCommas) {
  EXPECT_EQ(elements("a=\"x,y\", b"), (List{"a=\"x,y\"", "b"}));
  EXPECT_EQ(elements("\"a,b\""), (List{"\"a,b\""}));
  // A quoted-pair escapes a quote: the string does not end there.
  EXPECT_EQ(elements("x=\"a\\\",b\", c"), (List{"x=\"a\\\",b\"", "c"}));
  // An escaped backslash does not escape the closing quote.
  EXPECT_EQ(elements("x=\"a\\\\\", c"), (List{"x=\"a\\\\\"", "c"}));
  // Two quoted strings in one element.
  EXPECT_EQ(elements("a=\"1,2\";b=\"3,4\",c"), (List{"a=\"1,2\";b=\"3,4\"", "c"}));
  // An unterminated quoted string runs to the end of the list.
  EXPECT_EQ(elements("x=\"a,b, c"), (List{"x=\"a,b, c"}));
  // A backslash as the very last byte inside a quote does not read past the end.
  EXPECT_EQ(elements("x=\"a\\"), (List{"x=\"a\\"}));
}

TEST(Strings, ListIteratorStaysExhausted) {
  ListIterator it("a");
  std::string_view e;
  ASSERT_TRUE(it.next(&e));
  EXPECT_EQ(e, "a");
  EXPECT_FALSE(it.next(&e));
  EXPECT_FALSE(it.next(&e));
  EXPECT_EQ(e, "a");  // untouched when nothing is returned
}

TEST(Strings, ListContainsIsCaseInsensitiveAndWholeElement) {
  EXPECT_TRUE(listContains("keep-alive, Close", "close"));
  EXPECT_TRUE(listContains("CLOSE", "close"));
  EXPECT_FALSE(listContains("closed", "close"));
  EXPECT_FALSE(listContains("x-close", "close"));
  EXPECT_FALSE(listContains("", "close"));
  EXPECT_FALSE(listContains("\"close\"", "close"));
  EXPECT_FALSE(listContains("a=\"x,close\"", "close"));
}

TEST(Strings, ParseDecimalAcceptsDigitsOnly) {
  EXPECT_EQ(parseDecimal("0"), 0u);
  EXPECT_EQ(parseDecimal("42"), 42u);
  EXPECT_EQ(parseDecimal("007"), 7u);
  EXPECT_EQ(parseDecimal("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parseDecimal("000000000000000000000018446744073709551615"), UINT64_MAX);
  for (std::string_view bad : {"", "+1", "-1", " 1", "1 ", "1\t", "0x10", "1a", "a1", "1.5", "1,2",
                               "1e3", "\xD9\xA1" /* Arabic-Indic one */}) {
    EXPECT_FALSE(parseDecimal(bad).has_value()) << bad;
  }
}

TEST(Strings, ParseDecimalRejectsOverflow) {
  EXPECT_FALSE(parseDecimal("18446744073709551616").has_value());  // UINT64_MAX + 1
  EXPECT_FALSE(parseDecimal("18446744073709551620").has_value());
  EXPECT_FALSE(parseDecimal("99999999999999999999").has_value());
  EXPECT_FALSE(parseDecimal("184467440737095516150").has_value());  // UINT64_MAX * 10
  EXPECT_EQ(parseDecimal("18446744073709551609"), 18446744073709551609u);
}

TEST(Strings, ParseHexAcceptsBothCases) {
  EXPECT_EQ(parseHex("0"), 0u);
  EXPECT_EQ(parseHex("a"), 10u);
  EXPECT_EQ(parseHex("F"), 15u);
  EXPECT_EQ(parseHex("1aB"), 0x1abu);
  EXPECT_EQ(parseHex("ffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(parseHex("FFFFFFFFFFFFFFFF"), UINT64_MAX);
  for (std::string_view bad : {"", "g", "0x1", "-1", "+1", " 1", "1 ", "1;ext", "1g", "ff\r"}) {
    EXPECT_FALSE(parseHex(bad).has_value()) << bad;
  }
}

TEST(Strings, ParseHexRejectsOverflowButNotLeadingZeros) {
  EXPECT_FALSE(parseHex("10000000000000000").has_value());  // 2^64
  EXPECT_FALSE(parseHex("fffffffffffffffff").has_value());
  EXPECT_FALSE(parseHex("FFFFFFFFFFFFFFFFF3").has_value());
  // 1*HEXDIG: leading zeros do not overflow (RFC 9112 7.1 chunk-size).
  EXPECT_EQ(parseHex("00000000000000001"), 1u);
  EXPECT_EQ(parseHex("0000000000000000000000ffffffffffffffff"), UINT64_MAX);
}

TEST(Strings, AppendDecimal) {
  std::string out = "x=";
  appendDecimal(out, 0);
  EXPECT_EQ(out, "x=0");
  out.clear();
  appendDecimal(out, 7);
  appendDecimal(out, 10);
  appendDecimal(out, 1234567890);
  EXPECT_EQ(out, "7101234567890");
  out.clear();
  appendDecimal(out, UINT64_MAX);
  EXPECT_EQ(out, "18446744073709551615");
  EXPECT_EQ(parseDecimal(out), UINT64_MAX);
}

TEST(Strings, AppendHexIsLowerCaseWithoutPrefix) {
  std::string out;
  appendHex(out, 0);
  EXPECT_EQ(out, "0");
  out.clear();
  appendHex(out, 0xabc);
  EXPECT_EQ(out, "abc");
  out.clear();
  appendHex(out, 16);
  EXPECT_EQ(out, "10");
  out.clear();
  appendHex(out, UINT64_MAX);
  EXPECT_EQ(out, "ffffffffffffffff");
  out = "size ";
  appendHex(out, 0x1000);
  EXPECT_EQ(out, "size 1000");
  for (uint64_t v :
       {uint64_t{1}, uint64_t{255}, uint64_t{0x8000000000000000}, uint64_t{12345678}}) {
    std::string s;
    appendHex(s, v);
    EXPECT_EQ(parseHex(s), v) << s;
  }
}

}  // namespace
}  // namespace cuttle
