// http_access and http_upgrade_request_protocols evaluation (conf/access.cc): first match,
// AND and negation, squid's implicit last line, errors, kNeed*, 407 challenges.
#include <gtest/gtest.h>

#include "tests/conf/access_test_util.h"

namespace cuttle::conf {
namespace {

using test::build;
using test::buildAny;
using test::buildOneError;
using test::Built;
using test::contains;
using test::dump;
using test::Req;
using test::TempDir;

constexpr const char* kAcls =
    "acl lan src 10.0.0.0/8\n"               // 1
    "acl web port 80 443\n"                  // 2
    "acl blocked dstdomain .bad.example\n";  // 3

TEST(HttpAccess, NoRulesDenyEverything) {
  Built b = build(kAcls);
  AccessDecision d = b.rules->check(Req());
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_TRUE(d.implicit);
  EXPECT_EQ(d.line, 0);
  EXPECT_TRUE(d.file.empty());
  EXPECT_FALSE(d.challenge);
}

TEST(HttpAccess, FirstMatchWinsAndNamesTheLine) {
  Built b = build(std::string(kAcls) +
                  "http_access deny blocked\n"  // 4
                  "http_access allow lan\n"     // 5
                  "http_access deny all\n");    // 6
  AccessDecision d = b.rules->check(Req().host("www.bad.example"));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.file, "test.conf");
  EXPECT_EQ(d.rule, "http_access deny blocked");
  EXPECT_FALSE(d.implicit);
  d = b.rules->check(Req());
  EXPECT_EQ(d.result, AccessResult::kAllow);
  EXPECT_EQ(d.line, 5);
  d = b.rules->check(Req().client("192.0.2.1"));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, 6);
  EXPECT_EQ(d.rule, "http_access deny all");
}

TEST(HttpAccess, AndWithinALineAndNegation) {
  Built b = build(std::string(kAcls) +
                  "http_access deny !web\n"           // 4
                  "http_access allow lan !blocked\n"  // 5
                  "http_access deny all\n");
  EXPECT_EQ(b.rules->check(Req().port(25)).line, 4);
  EXPECT_EQ(b.rules->check(Req().port(443)).result, AccessResult::kAllow);
  EXPECT_EQ(b.rules->check(Req().host("x.bad.example")).line, 6);
  EXPECT_EQ(b.rules->check(Req().client("192.0.2.1")).line, 6);
}

TEST(HttpAccess, ImplicitLastLineIsTheOppositeOfTheLastAction) {
  Built allow_last = build(std::string(kAcls) + "http_access allow lan\n");
  AccessDecision d = allow_last.rules->check(Req().client("192.0.2.1"));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_TRUE(d.implicit);
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.rule, "http_access allow lan");
  Built deny_last = build(std::string(kAcls) + "http_access deny blocked\n");
  d = deny_last.rules->check(Req());
  EXPECT_EQ(d.result, AccessResult::kAllow);
  EXPECT_TRUE(d.implicit);
  EXPECT_EQ(d.line, 4);
}

TEST(HttpAccess, AclNamesAreCaseInsensitive) {
  Built b = build("acl Lan src 10.0.0.0/8\nhttp_access allow LAN\nhttp_access deny ALL\n");
  EXPECT_EQ(test::result(b, Req()), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("192.0.2.1")), AccessResult::kDeny);
}

TEST(HttpAccess, ErrorsNameTheLine) {
  Diagnostic e = buildOneError(std::string(kAcls) + "http_access allow lan nosuch\n", 4);
  EXPECT_EQ(e.directive, "http_access");
  EXPECT_EQ(e.file, "test.conf");
  EXPECT_TRUE(contains(e.message, "ACL 'nosuch' is not defined")) << e.message;
  e = buildOneError("http_access allow !\n", 1);
  EXPECT_TRUE(contains(e.message, "missing after '!'")) << e.message;
  e = buildOneError("http_access Allow all\n", 1);
  EXPECT_TRUE(contains(e.message, "expected 'allow' or 'deny', got 'Allow'")) << e.message;
}

TEST(HttpAccess, AnAclMustBeDefinedBeforeItsFirstUse) {
  Diagnostic e = buildOneError("http_access allow later\nacl later src 10.0.0.1\n", 1);
  EXPECT_TRUE(contains(e.message, "defined at test.conf:2")) << e.message;
}

TEST(HttpAccess, UsingAnAclWhoseDefinitionFailedSaysSo) {
  Built b = buildAny("acl x foobar 1\nhttp_access allow x\n");
  ASSERT_EQ(b.errors.size(), 2u) << dump(b.errors);
  EXPECT_EQ(b.errors[1].line, 2);
  EXPECT_TRUE(contains(b.errors[1].message, "its definition at test.conf:1 has errors"))
      << b.errors[1].message;
}

TEST(HttpAccess, IncludedFilesNameThemselves) {
  TempDir dir;
  dir.write("conf.d/10-acl.conf", "acl lan src 10.0.0.0/8\n\nhttp_access allow lan\n");
  dir.write("conf.d/20-bad.conf", "# nothing\nhttp_access deny nosuch\n");
  std::string main = dir.write("squid.conf", "include conf.d/10-acl.conf\nhttp_access deny all\n");
  ParseOutcome out = parseConfigFile(main);
  ASSERT_NE(out.config, nullptr) << dump(out.errors);
  auto rules = AccessRules::build(*out.config, nullptr, nullptr);
  ASSERT_NE(rules, nullptr);
  AccessDecision d = rules->check(Req());
  EXPECT_EQ(d.file, dir.path() + "/conf.d/10-acl.conf");
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(rules->check(Req().client("192.0.2.1")).file, main);

  std::string bad = dir.write("bad.conf", "include conf.d/*.conf\n");
  out = parseConfigFile(bad);
  ASSERT_NE(out.config, nullptr) << dump(out.errors);
  std::vector<Diagnostic> errors;
  EXPECT_EQ(AccessRules::build(*out.config, &errors, nullptr), nullptr);
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].file, dir.path() + "/conf.d/20-bad.conf");
  EXPECT_EQ(errors[0].line, 2);
}

TEST(HttpAccess, AllErrorsAreReported) {
  Built b = buildAny(
      "acl a src 10.0.0.0/8 bogus\n"  // 1
      "acl b port 99999\n"            // 2
      "acl a port 80\n"               // 3: other type
      "http_access allow a c\n");     // 4
  EXPECT_EQ(b.rules, nullptr);
  ASSERT_EQ(b.errors.size(), 4u) << dump(b.errors);
  EXPECT_EQ(b.errors[0].line, 1);
  EXPECT_EQ(b.errors[1].line, 2);
  EXPECT_EQ(b.errors[2].line, 3);
  EXPECT_TRUE(contains(b.errors[2].message, "already has type src (test.conf:1)"));
  EXPECT_EQ(b.errors[3].line, 4);
}

TEST(HttpAccess, ALineWithoutAclIsSkippedWithAWarning) {
  Built b = build("http_access allow\nhttp_access deny all\n");
  EXPECT_EQ(test::withMessage(b.warnings, "no ACL").size(), 1u) << dump(b.warnings);
  EXPECT_EQ(b.rules->check(Req()).line, 2);
}

TEST(HttpAccess, LinesOfOneNameAddUp) {
  Built b = build(
      "acl lan src 10.0.0.0/8\n"
      "http_access allow lan\n"
      "acl lan src 192.168.0.0/16\n"  // after its first use: still part of it (squid)
      "http_access deny all\n");
  EXPECT_EQ(test::result(b, Req().client("10.1.1.1")), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("192.168.1.1")), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("172.16.1.1")), AccessResult::kDeny);
}

// ---- values from files ---------------------------------------------------------------------

TEST(AclFiles, ValuesCommentsBlankLinesAndRelativePaths) {
  TempDir dir;
  dir.write("lists/domains.txt",
            "# blocked sites\n\n.ads.example\n  tracker.example \t\r\n"
            "\t# indented comment\nother.example");  // no final newline
  std::string conf = dir.write("squid.conf",
                               "acl blocked dstdomain \"lists/domains.txt\" inline.example\n"
                               "http_access deny blocked\nhttp_access allow all\n");
  ParseOutcome out = parseConfigFile(conf);
  ASSERT_NE(out.config, nullptr) << dump(out.errors);
  std::vector<Diagnostic> errors, warnings;
  auto rules = AccessRules::build(*out.config, &errors, &warnings);
  ASSERT_NE(rules, nullptr) << dump(errors);
  EXPECT_TRUE(warnings.empty()) << dump(warnings);
  EXPECT_EQ(rules->check(Req().host("x.ads.example")).result, AccessResult::kDeny);
  EXPECT_EQ(rules->check(Req().host("tracker.example")).result, AccessResult::kDeny);
  EXPECT_EQ(rules->check(Req().host("other.example")).result, AccessResult::kDeny);
  EXPECT_EQ(rules->check(Req().host("inline.example")).result, AccessResult::kDeny);
  EXPECT_EQ(rules->check(Req().host("comment")).result, AccessResult::kAllow);
}

TEST(AclFiles, TheWholeLineIsOneValueAsInSquid) {
  // squid 5.7 reads "a b" as one value, and "x # y" too: no comments after a value.
  TempDir dir;
  std::string words = dir.write("words.txt", "^/a b$\n");
  Built re = build("acl x urlpath_regex \"" + words + "\"\nhttp_access deny x\n");
  EXPECT_EQ(test::result(re, Req().path("/a b")), AccessResult::kDeny);
  EXPECT_EQ(test::result(re, Req().path("/a")), AccessResult::kAllow);
  EXPECT_EQ(test::result(re, Req().path("b")), AccessResult::kAllow);
  std::string domains = dir.write("domains.txt", "ads.example # trailing comment\n");
  Built d = build("acl x dstdomain \"" + domains + "\"\nhttp_access deny x\n");
  EXPECT_EQ(test::result(d, Req().host("ads.example")), AccessResult::kAllow);
  ASSERT_EQ(test::withMessage(d.warnings, "contains whitespace").size(), 1u) << dump(d.warnings);
  EXPECT_EQ(test::withMessage(d.warnings, "contains whitespace")[0].line, 1);
}

TEST(AclFiles, AbsolutePathsAndRegexOptionsInTheFile) {
  TempDir dir;
  std::string list = dir.write("re.txt", "-i\n\\.EXE$\n+i\n\\.Zip$\n");
  Built b = build("acl bin urlpath_regex \"" + list + "\"\nhttp_access deny bin\n");
  EXPECT_EQ(test::result(b, Req().path("/a.exe")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().path("/a.Zip")), AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().path("/a.zip")), AccessResult::kAllow);
}

TEST(AclFiles, UnreadableFileIsAnErrorAtTheAclLine) {
  Diagnostic e =
      buildOneError("acl ok src 10.0.0.1\nacl x dstdomain \"/nonexistent/cuttle/list\"\n", 2);
  EXPECT_EQ(e.file, "test.conf");
  EXPECT_EQ(e.directive, "acl");
  EXPECT_TRUE(contains(e.message, "/nonexistent/cuttle/list")) << e.message;
  TempDir dir;
  e = buildOneError("acl x dstdomain \"" + dir.path() + "\"\n", 1);
  EXPECT_TRUE(contains(e.message, "directory")) << e.message;
}

TEST(AclFiles, BadValueInAFileNamesTheFileAndItsLine) {
  TempDir dir;
  std::string list = dir.write("nets.txt", "10.0.0.0/8\n# comment\nnot-an-address\n");
  Built b = buildAny("acl nets src \"" + list + "\"\n");
  ASSERT_EQ(b.errors.size(), 1u) << dump(b.errors);
  EXPECT_EQ(b.errors[0].file, list);
  EXPECT_EQ(b.errors[0].line, 3);
  EXPECT_TRUE(contains(b.errors[0].message, "ACL 'nets'")) << b.errors[0].message;
}

// ---- predefined names ----------------------------------------------------------------------

TEST(AclPredefinedNames, OtherTypeIsAnError) {
  Diagnostic e = buildOneError("acl all port 80\n", 1);
  EXPECT_TRUE(contains(e.message, "ACL 'all' is predefined with type src")) << e.message;
  e = buildOneError("acl manager src 10.0.0.1\n", 1);
  EXPECT_TRUE(contains(e.message, "ACL 'manager' is predefined")) << e.message;
}

TEST(AclPredefinedNames, TheSameDefinitionIsRedundant) {
  Built b = build(
      "acl all src all\n"
      "acl localhost src 127.0.0.1/32 ::1\n"
      "acl to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1/128 ::/128\n"
      "acl CONNECT method CONNECT\n"
      "acl manager proto cache_object\n"
      "http_access allow localhost\n");
  EXPECT_EQ(test::withMessage(b.warnings, "predefined with this definition").size(), 4u)
      << dump(b.warnings);
  EXPECT_EQ(test::withMessage(b.warnings, "ACL 'manager' is built into cuttle").size(), 1u);
  EXPECT_EQ(test::result(b, Req().client("127.0.0.1")), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("127.0.0.2")), AccessResult::kDeny);
}

TEST(AclPredefinedNames, OtherValuesOfTheSameTypeAddUpAsInSquid) {
  Built b = build("acl localhost src 127.0.0.0/8\nhttp_access allow localhost\n");
  EXPECT_EQ(test::withMessage(b.warnings, "values are added").size(), 1u) << dump(b.warnings);
  EXPECT_EQ(test::result(b, Req().client("127.0.0.2")), AccessResult::kAllow);
  EXPECT_EQ(test::result(b, Req().client("::1")), AccessResult::kAllow);
}

// ---- kNeedDestination, kNeedAuth, challenges -------------------------------------------------

constexpr const char* kAuth = "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/pw\n";

TEST(HttpAccessNeeds, DestinationOnlyWhenTheDstAclIsReached) {
  Built b = build(
      "acl lan src 10.0.0.0/8\nacl internal dst 10.0.0.0/8\n"
      "http_access deny lan internal\n"  // 3
      "http_access allow lan\n");
  // A client outside lan never reaches the dst ACL.
  EXPECT_EQ(b.rules->check(Req().client("192.0.2.1").host("intranet")).result, AccessResult::kDeny);
  AccessDecision d = b.rules->check(Req().host("intranet"));
  EXPECT_EQ(d.result, AccessResult::kNeedDestination);
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(test::result(b, Req().host("intranet").destinations({"10.1.1.1"})),
            AccessResult::kDeny);
  EXPECT_EQ(test::result(b, Req().host("intranet").destinations({"192.0.2.9"})),
            AccessResult::kAllow);
}

TEST(HttpAccessNeeds, AuthStopsEvaluationAndTheVerifiedUserDecides) {
  Built b = build(std::string(kAuth) +
                  "acl users proxy_auth alice\n"
                  "acl lan src 10.0.0.0/8\n"
                  "http_access deny !lan\n"    // 4
                  "http_access allow users\n"  // 5
                  "http_access deny all\n");   // 6
  EXPECT_TRUE(b.rules->usesAuth());
  EXPECT_EQ(b.rules->check(Req().client("192.0.2.1")).line, 4);  // before any proxy_auth
  AccessDecision d = b.rules->check(Req());
  EXPECT_EQ(d.result, AccessResult::kNeedAuth);
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(test::result(b, Req().user("alice")), AccessResult::kAllow);
  d = b.rules->check(Req().user("bob"));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_EQ(d.line, 6);
  EXPECT_FALSE(d.challenge);  // "deny all": 403, as squid
}

// ---- many dstdomain lines (the DomainIndex and runs of dstdomain-led lines) ---------------
// A check settles every dstdomain ACL with one lookup of the host and skips runs of lines led
// by dstdomain ACLs the host matches none of; the outcome must be what evaluating each line
// in turn gives.

// 40 lines "http_access deny siteN" (lines 2..41 after "acl lan"), then allow lan (line 42)
// and deny all; siteN is ".siteN.example" plus, for N=7, an exact "7.example" too.
std::string blocklist() {
  std::string text = "acl lan src 10.0.0.0/8\n";  // 1
  for (int i = 0; i < 40; ++i) {
    std::string n = std::to_string(i);
    text += "acl site" + n + " dstdomain .site" + n + ".example" + (i == 7 ? " 7.example" : "") + "\n";
  }
  for (int i = 0; i < 40; ++i) text += "http_access deny site" + std::to_string(i) + "\n";
  text += "http_access allow lan\nhttp_access deny all\n";
  return text;
}

TEST(HttpAccessDomains, EachLineOfALongRunStillDecidesForItsHosts) {
  Built b = build(blocklist());
  // acl lines are 1..41, http_access deny siteN is line 42 + N.
  for (int i = 0; i < 40; ++i) {
    std::string n = std::to_string(i);
    AccessDecision d = b.rules->check(Req().host("www.site" + n + ".example"));
    EXPECT_EQ(d.result, AccessResult::kDeny) << n;
    EXPECT_EQ(d.line, 42 + i) << n;
    EXPECT_EQ(d.rule, "http_access deny site" + n);
  }
  EXPECT_EQ(b.rules->check(Req().host("site39.EXAMPLE.")).line, 81);
  EXPECT_EQ(b.rules->check(Req().host("7.example")).line, 49);       // the exact entry
  EXPECT_EQ(b.rules->check(Req().host("www.7.example")).line, 82);   // not a suffix entry
  AccessDecision d = b.rules->check(Req().host("www.elsewhere.example"));
  EXPECT_EQ(d.result, AccessResult::kAllow);  // past the whole run
  EXPECT_EQ(d.line, 82);
  EXPECT_EQ(b.rules->check(Req().host("www.elsewhere.example").client("192.0.2.1")).line, 83);
  EXPECT_EQ(b.rules->check(Req().host("")).line, 82);
}

TEST(HttpAccessDomains, AHostWithMoreLabelsThanTheContextKeepsStillMatches) {
  Built b = build(blocklist());
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "l" + std::to_string(i) + ".";
  EXPECT_EQ(b.rules->check(Req().host(deep + "site12.example")).line, 54);
  EXPECT_EQ(b.rules->check(Req().host(deep + "other.example")).line, 82);
}

TEST(HttpAccessDomains, IpLiteralHostsMatchOnlyTheirOwnText) {
  Built b = build(
      "acl lan src 10.0.0.0/8\nacl addr dstdomain 192.0.2.1 .2.1\nacl name dstdomain .example\n"
      "http_access deny addr\nhttp_access deny name\nhttp_access allow lan\n");
  EXPECT_EQ(b.rules->check(Req().host("192.0.2.1")).line, 4);
  EXPECT_EQ(b.rules->check(Req().host("10.0.2.1")).line, 6);
  EXPECT_EQ(b.rules->check(Req().host("a.example")).line, 5);
}

TEST(HttpAccessDomains, NegatedAndLaterDomainTermsAreEvaluatedAsWritten) {
  Built b = build(
      "acl lan src 10.0.0.0/8\nacl ok dstdomain .ok.example\nacl bad dstdomain .bad.example\n"
      "http_access deny bad\n"            // 4
      "http_access deny !ok lan\n"        // 5: negated lead, not a skippable line
      "http_access allow lan bad\n"       // 6: dstdomain not first
      "http_access allow all\n");         // 7
  EXPECT_EQ(b.rules->check(Req().host("x.other.example")).line, 5);
  EXPECT_EQ(b.rules->check(Req().host("x.ok.example")).line, 7);
  EXPECT_EQ(b.rules->check(Req().host("x.other.example").client("192.0.2.1")).line, 7);
  EXPECT_EQ(b.rules->check(Req().host("x.bad.example")).line, 4);
}

TEST(HttpAccessDomains, ASkippedRunLeavesTheSameLastAclForA407) {
  // squid answers an implicit deny with 407 when the last ACL it checked is proxy_auth: a
  // run of dstdomain lines after the proxy_auth line means the last one checked is a
  // dstdomain ACL (403), whether the run is evaluated or skipped.
  Built b = build(std::string(kAuth) +
                  "acl users proxy_auth alice\nacl s1 dstdomain .s1.example\n"
                  "acl s2 dstdomain .s2.example\n"
                  "http_access deny !users\nhttp_access deny s1\nhttp_access allow s2\n");
  AccessDecision d = b.rules->check(Req().user("alice").host("www.other.example"));
  EXPECT_EQ(d.result, AccessResult::kDeny);
  EXPECT_TRUE(d.implicit);
  EXPECT_FALSE(d.challenge);
  EXPECT_EQ(b.rules->check(Req().user("alice").host("www.s2.example")).result, AccessResult::kAllow);
}

TEST(HttpAccessDomains, MoreAclsThanTheMemoHoldsStillMatch) {
  // Only the first Context::kMemoSlots ACLs are in the index; later ones look up themselves.
  std::string text = "acl lan src 10.0.0.0/8\n";
  for (int i = 0; i < 300; ++i) {
    text += "acl d" + std::to_string(i) + " dstdomain .d" + std::to_string(i) + ".example\n";
  }
  for (int i = 0; i < 300; ++i) text += "http_access deny d" + std::to_string(i) + "\n";
  text += "http_access allow lan\n";
  Built b = build(text);
  EXPECT_EQ(b.rules->check(Req().host("a.d5.example")).line, 302 + 5);
  EXPECT_EQ(b.rules->check(Req().host("a.d299.example")).line, 302 + 299);
  EXPECT_EQ(b.rules->check(Req().host("a.none.example")).line, 602);
}

// The cases below were checked against squid 5.7 with basic_ncsa_auth: bob is a valid user
// who is not in `users` (alice).
struct ChallengeCase {
  const char* rules;
  const char* user;
  AccessResult result;
  bool challenge;
};

TEST(HttpAccessNeeds, ChallengeFollowsTheLastAclSquidChecked) {
  const ChallengeCase cases[] = {
      // implicit deny after "allow users": squid answers 407
      {"http_access allow users\n", "bob", AccessResult::kDeny, true},
      {"http_access deny !users\nhttp_access allow all\n", "bob", AccessResult::kDeny, true},
      {"http_access allow users\nhttp_access deny all\n", "bob", AccessResult::kDeny, false},
      {"http_access deny !users all\nhttp_access allow all\n", "bob", AccessResult::kDeny, false},
      {"http_access allow users localhost\n", "bob", AccessResult::kDeny, true},
      {"http_access deny users\nhttp_access allow all\n", "alice", AccessResult::kDeny, true},
      {"http_access deny users\nhttp_access allow all\n", "bob", AccessResult::kAllow, false},
      {"http_access deny !authed\nhttp_access allow users\nhttp_access deny all\n", "bob",
       AccessResult::kDeny, false},
  };
  for (const ChallengeCase& c : cases) {
    Built b = build(std::string(kAuth) +
                    "acl users proxy_auth alice\nacl authed proxy_auth REQUIRED\n" + c.rules);
    AccessDecision d = b.rules->check(Req().user(c.user));
    EXPECT_EQ(d.result, c.result) << c.rules << c.user;
    EXPECT_EQ(d.challenge, c.challenge) << c.rules << c.user;
    // Without credentials, every one of these asks for them.
    EXPECT_EQ(b.rules->check(Req()).result, AccessResult::kNeedAuth) << c.rules;
  }
}

TEST(HttpAccessNeeds, NegatedProxyAuthAlsoAsksAndIpv6Destinations) {
  Built b = build(std::string(kAuth) +
                  "acl users proxy_auth alice\nacl v6 dst 2001:db8::/32\n"
                  "http_access deny !users\n"  // 4
                  "http_access deny v6\n"      // 5
                  "http_access allow all\n");
  EXPECT_EQ(b.rules->check(Req()).result, AccessResult::kNeedAuth);
  AccessDecision d = b.rules->check(Req().user("carol"));
  EXPECT_EQ(d.line, 4);
  EXPECT_TRUE(d.challenge);
  EXPECT_EQ(b.rules->check(Req().user("alice").host("v6.example")).result,
            AccessResult::kNeedDestination);
  d = b.rules->check(Req().user("alice").host("v6.example").destinations({"2001:db8::7"}));
  EXPECT_EQ(d.line, 5);
  EXPECT_FALSE(d.challenge);
  EXPECT_EQ(test::result(b, Req().user("alice").host("v6.example").destinations({"2001:db9::7"})),
            AccessResult::kAllow);
}

TEST(HttpAccessNeeds, NoAuthUseWithoutProxyAuthRules) {
  Built b = build(std::string(kAuth) + "acl users proxy_auth alice\nhttp_access allow all\n");
  EXPECT_FALSE(b.rules->usesAuth());
}

// ---- http_upgrade_request_protocols ----------------------------------------------------------

TEST(UpgradeProtocols, DefaultAllowsWebsocketOnly) {
  Built b = build("http_access allow all\n");
  EXPECT_TRUE(b.rules->upgradeAllowed("websocket", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("WebSocket", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("websocket/13", Req()));
  EXPECT_FALSE(b.rules->upgradeAllowed("h2c", Req()));
  EXPECT_FALSE(b.rules->upgradeAllowed("", Req()));
}

TEST(UpgradeProtocols, NamedRulesThenOtherFirstMatchNoImplicitAllow) {
  Built b = build(
      "acl lan src 10.0.0.0/8\n"
      "http_upgrade_request_protocols websocket allow lan\n"
      "http_upgrade_request_protocols OTHER allow lan\n"
      "http_upgrade_request_protocols h2c deny all\n");
  EXPECT_TRUE(b.rules->upgradeAllowed("websocket", Req()));
  // No matching rule: dropped (no implicit opposite for upgrades, as squid).
  EXPECT_FALSE(b.rules->upgradeAllowed("websocket", Req().client("192.0.2.1")));
  EXPECT_FALSE(b.rules->upgradeAllowed("WebSocket", Req().client("192.0.2.1")));
  EXPECT_TRUE(b.rules->upgradeAllowed("WebSocket", Req()));  // case-sensitive: OTHER
  EXPECT_FALSE(b.rules->upgradeAllowed("h2c", Req()));       // named: OTHER not consulted
  EXPECT_TRUE(b.rules->upgradeAllowed("foo/2", Req()));
}

TEST(UpgradeProtocols, VersionsAsSquid) {
  Built b = build(
      "http_upgrade_request_protocols Bar/1 deny all\n"
      "http_upgrade_request_protocols Bar allow all\n"
      "http_upgrade_request_protocols Baz/2 allow all\n"
      "http_upgrade_request_protocols OTHER allow all\n");
  EXPECT_FALSE(b.rules->upgradeAllowed("Bar/1", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("Bar/2", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("Bar", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("Baz/2", Req()));
  // "Baz/3" and "Baz": the Baz/2 rule is inapplicable but still hides OTHER (squid).
  EXPECT_FALSE(b.rules->upgradeAllowed("Baz/3", Req()));
  EXPECT_FALSE(b.rules->upgradeAllowed("Baz", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("Qux", Req()));
}

TEST(UpgradeProtocols, AnAclNeedingMoreDropsTheOffer) {
  Built b = build(std::string(kAuth) +
                  "acl users proxy_auth REQUIRED\nacl inside dst 10.0.0.0/8\n"
                  "http_upgrade_request_protocols websocket allow users\n"
                  "http_upgrade_request_protocols OTHER allow !inside\n");
  EXPECT_FALSE(b.rules->upgradeAllowed("websocket", Req()));
  EXPECT_TRUE(b.rules->upgradeAllowed("websocket", Req().user("alice")));
  EXPECT_FALSE(b.rules->upgradeAllowed("foo", Req().host("example.com")));
  EXPECT_TRUE(
      b.rules->upgradeAllowed("foo", Req().host("example.com").destinations({"192.0.2.1"})));
}

TEST(UpgradeProtocols, Errors) {
  EXPECT_TRUE(
      contains(buildOneError("http_upgrade_request_protocols websocket allow nope\n", 1).message,
               "'nope' is not defined"));
  EXPECT_TRUE(
      contains(buildOneError("http_upgrade_request_protocols websocket maybe all\n", 1).message,
               "expected 'allow' or 'deny'"));
}

TEST(AccessRulesBuild, NullErrorVectorsAreAccepted) {
  ParseOutcome out = parseConfigText("acl x src bogus\n", "t.conf");
  ASSERT_NE(out.config, nullptr);
  EXPECT_EQ(AccessRules::build(*out.config, nullptr, nullptr), nullptr);
  ParseOutcome ok = parseConfigText("http_access allow all\n", "t.conf");
  EXPECT_NE(AccessRules::build(*ok.config, nullptr, nullptr), nullptr);
}

TEST(AccessRulesBuild, TheDecisionOutlivesNothingButTheRules) {
  // file and rule are views into the rules: they stay valid after the Config is gone.
  std::shared_ptr<const AccessRules> rules;
  {
    ParseOutcome out = parseConfigText("http_access deny all\n", "gone.conf");
    rules = AccessRules::build(*out.config, nullptr, nullptr);
  }
  AccessDecision d = rules->check(Req());
  EXPECT_EQ(d.file, "gone.conf");
  EXPECT_EQ(d.rule, "http_access deny all");
}

}  // namespace
}  // namespace cuttle::conf
