#include "common/uri.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace cuttle {
namespace {

Uri parseOk(std::string_view target, bool is_connect = false) {
  Result<Uri> r = parseRequestTarget(target, is_connect);
  EXPECT_TRUE(r.ok()) << target << ": " << (r.ok() ? "" : r.error().cause);
  return r.ok() ? std::move(r).value() : Uri();
}

// Every syntax error is a client error that becomes a 400.
void expectBad(std::string_view target, bool is_connect = false) {
  Result<Uri> r = parseRequestTarget(target, is_connect);
  ASSERT_FALSE(r.ok()) << "accepted: " << target;
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << target;
  EXPECT_EQ(r.error().side, Side::kClient) << target;
  EXPECT_FALSE(r.error().cause.empty()) << target;
}

std::string originForm(const Uri& u) {
  std::string out;
  u.appendOriginForm(out);
  return out;
}

TEST(Uri, DefaultPorts) {
  EXPECT_EQ(defaultPort("http"), 80);
  EXPECT_EQ(defaultPort("HTTP"), 80);
  EXPECT_EQ(defaultPort("https"), 443);
  EXPECT_EQ(defaultPort("ftp"), 21);
  EXPECT_EQ(defaultPort("gopher"), 0);
  EXPECT_EQ(defaultPort(""), 0);
}

TEST(Uri, AbsoluteFormBasic) {
  std::string target = "http://example.com/a/b?c=d";
  Uri u = parseOk(target);
  EXPECT_EQ(u.form, Uri::Form::kAbsolute);
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_FALSE(u.ipv6_literal);
  EXPECT_EQ(u.path_and_query, "/a/b?c=d");
  // A view into the target, not a copy.
  EXPECT_EQ(u.path_and_query.data(), target.data() + 18);
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(u.absolute(), "http://example.com/a/b?c=d");
  EXPECT_EQ(originForm(u), "/a/b?c=d");
}

TEST(Uri, SchemeAndHostAreLowerCasedPathIsNot) {
  Uri u = parseOk("HTTP://Example.COM/Path/FILE?Q=Up");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path_and_query, "/Path/FILE?Q=Up");
  EXPECT_EQ(u.absolute(), "http://example.com/Path/FILE?Q=Up");
}

TEST(Uri, ExplicitPorts) {
  Uri u = parseOk("http://a.example:8080/x");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.authority(), "a.example:8080");
  EXPECT_EQ(u.absolute(), "http://a.example:8080/x");

  // The default port written out is the same origin: omitted from authority().
  Uri d = parseOk("http://a.example:80/x");
  EXPECT_EQ(d.port, 80);
  EXPECT_EQ(d.authority(), "a.example");
  EXPECT_EQ(d.absolute(), "http://a.example/x");

  Uri lz = parseOk("http://a.example:0080/");
  EXPECT_EQ(lz.port, 80);
  EXPECT_EQ(lz.authority(), "a.example");

  Uri max = parseOk("http://a:65535/");
  EXPECT_EQ(max.port, 65535);
  Uri one = parseOk("http://a:1/");
  EXPECT_EQ(one.port, 1);

  // https's default port on an http URI is not a default.
  Uri h443 = parseOk("http://a:443/");
  EXPECT_EQ(h443.authority(), "a:443");
  Uri s = parseOk("https://a/");
  EXPECT_EQ(s.port, 443);
  EXPECT_EQ(s.authority(), "a");
  Uri s80 = parseOk("https://a:80/");
  EXPECT_EQ(s80.authority(), "a:80");
  EXPECT_EQ(s80.absolute(), "https://a:80/");
}

TEST(Uri, EmptyPortMeansDefault) {
  // RFC 3986 3.2.3: port = *DIGIT; an empty port is the scheme's default.
  Uri u = parseOk("http://a:/x");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.authority(), "a");
  Uri v6 = parseOk("http://[::1]:/x");
  EXPECT_EQ(v6.port, 80);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.authority(), "[::1]");
}

TEST(Uri, Ipv6Literals) {
  Uri u = parseOk("http://[::1]:8080/p");
  EXPECT_TRUE(u.ipv6_literal);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(u.absolute(), "http://[::1]:8080/p");

  Uri d = parseOk("http://[2001:DB8::A]/");
  EXPECT_TRUE(d.ipv6_literal);
  EXPECT_EQ(d.host, "2001:db8::a");
  EXPECT_EQ(d.port, 80);
  EXPECT_EQ(d.authority(), "[2001:db8::a]");

  Uri mapped = parseOk("http://[::ffff:192.0.2.1]/");
  EXPECT_EQ(mapped.host, "::ffff:192.0.2.1");

  Uri noslash = parseOk("http://[::1]");
  EXPECT_EQ(noslash.path_and_query, "/");
  EXPECT_EQ(noslash.absolute(), "http://[::1]/");
}

TEST(Uri, BadIpv6Literals) {
  expectBad("http://[::1/");    // no closing bracket
  expectBad("http://[::1]x/");  // junk after the bracket
  expectBad("http://[::1]:x/");
  expectBad("http://[]/");  // empty literal
  expectBad("http://[not-an-ip]/");
  expectBad("http://[1.2.3.4]/");  // IPv4 is not an IPv6 literal
  expectBad("http://[::1::2]/");
  expectBad("http://[fe80::1%25eth0]/");  // zone ids do not route through a proxy
  expectBad("http://[v1.fe]/");           // IPvFuture
  expectBad("http://::1/");               // unbracketed
  expectBad("http://[::1]:0/");
  expectBad("http://[::1]:65536/");
}

TEST(Uri, Ipv4LiteralIsAHost) {
  Uri u = parseOk("http://192.0.2.1:81/");
  EXPECT_FALSE(u.ipv6_literal);
  EXPECT_EQ(u.host, "192.0.2.1");
  EXPECT_EQ(u.port, 81);
  EXPECT_EQ(u.authority(), "192.0.2.1:81");
}

TEST(Uri, EmptyPathBecomesSlash) {
  // RFC 9112 3.2.1: an empty path is sent as "/".
  Uri u = parseOk("http://a");
  EXPECT_EQ(u.path_and_query, "/");
  EXPECT_EQ(originForm(u), "/");
  EXPECT_EQ(u.absolute(), "http://a/");
  Uri p = parseOk("http://a:8080");
  EXPECT_EQ(p.port, 8080);
  EXPECT_EQ(originForm(p), "/");
}

TEST(Uri, BareQueryGetsASlash) {
  Uri u = parseOk("http://a?q=1");
  EXPECT_EQ(u.host, "a");
  EXPECT_EQ(originForm(u), "/?q=1");
  EXPECT_EQ(u.absolute(), "http://a/?q=1");
  Uri p = parseOk("http://a:81?q");
  EXPECT_EQ(p.port, 81);
  EXPECT_EQ(originForm(p), "/?q");
  Uri e = parseOk("http://a?");
  EXPECT_EQ(originForm(e), "/?");
}

TEST(Uri, FragmentsAreStripped) {
  Uri u = parseOk("http://a/x?y#frag");
  EXPECT_EQ(u.path_and_query, "/x?y");
  EXPECT_EQ(u.absolute(), "http://a/x?y");
  Uri only = parseOk("http://a#frag");
  EXPECT_EQ(only.path_and_query, "/");
  EXPECT_EQ(originForm(only), "/");
  Uri slash = parseOk("http://a/#f");
  EXPECT_EQ(slash.path_and_query, "/");
  Uri q = parseOk("http://a?q#f?g");
  EXPECT_EQ(originForm(q), "/?q");
  Uri port = parseOk("http://a:82#f");
  EXPECT_EQ(port.port, 82);
  EXPECT_EQ(originForm(port), "/");
}

TEST(Uri, UserinfoIsRejected) {
  // RFC 9110 4.2.4.
  expectBad("http://user@a/");
  expectBad("http://user:secret@a/");
  expectBad("http://@a/");
  expectBad("http://a@b:80/");
  // An '@' after the authority is part of the path.
  Uri u = parseOk("http://a/b@c");
  EXPECT_EQ(u.host, "a");
  EXPECT_EQ(u.path_and_query, "/b@c");
  Uri q = parseOk("http://a?x=@y");
  EXPECT_EQ(originForm(q), "/?x=@y");
}

TEST(Uri, BadPorts) {
  expectBad("http://a:0/");
  expectBad("http://a:65536/");
  expectBad("http://a:99999999999999999999999/");
  expectBad("http://a:-1/");
  expectBad("http://a:+80/");
  expectBad("http://a: 80/");
  expectBad("http://a:80 /");
  expectBad("http://a:8o/");
  expectBad("http://a:0x50/");
  expectBad("http://a:80:80/");
}

TEST(Uri, BadHosts) {
  expectBad("http:///x");
  expectBad("http://");
  expectBad("http://:80/");
  expectBad("http://a b/");
  expectBad("http://a\"b/");
  expectBad("http://a<b/");
  expectBad("http://a\\b/");
  expectBad("http://a^b/");
  expectBad("http://a{b/");
  expectBad(std::string_view("http://a\0b/", 11));
  expectBad("http://\x80host/");
  expectBad("http://" + std::string(256, 'a') + "/");
  Uri longest = parseOk("http://" + std::string(255, 'a') + "/");
  EXPECT_EQ(longest.host.size(), 255u);
}

TEST(Uri, RegNameCharacters) {
  // RFC 3986 3.2.2 reg-name: unreserved / pct-encoded / sub-delims.
  Uri u = parseOk("http://a-b_c.d~e!$&'()*+,;=%41/");
  EXPECT_EQ(u.host, "a-b_c.d~e!$&'()*+,;=%41");
}

TEST(Uri, BadSchemes) {
  expectBad("ht^tp://a/");
  expectBad("ht tp://a/");
  expectBad("://a/");
  expectBad("1http://a/");  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  expectBad("+http://a/");
  expectBad("http:/a/");  // no authority
  expectBad("http:a");
  expectBad("mailto:someone@example.com");
  expectBad("a");
  expectBad("example.com:80");  // authority-form outside CONNECT
  expectBad("");
}

TEST(Uri, OtherSchemesParseWithTheirDefaults) {
  // The exchange answers 501 for schemes it does not fetch; parsing only records them.
  Uri f = parseOk("FTP://files.example/pub");
  EXPECT_EQ(f.scheme, "ftp");
  EXPECT_EQ(f.port, 21);
  EXPECT_EQ(f.absolute(), "ftp://files.example/pub");
  Uri x = parseOk("svn+ssh.v2-x://h:99/");
  EXPECT_EQ(x.scheme, "svn+ssh.v2-x");
  EXPECT_EQ(x.port, 99);
}

TEST(Uri, AuthorityFormForConnect) {
  Uri u = parseOk("Example.COM:443", true);
  EXPECT_EQ(u.form, Uri::Form::kAuthority);
  EXPECT_EQ(u.scheme, "");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.authority(), "example.com:443");

  Uri v6 = parseOk("[2001:db8::1]:8443", true);
  EXPECT_TRUE(v6.ipv6_literal);
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(v6.authority(), "[2001:db8::1]:8443");

  Uri v4 = parseOk("192.0.2.7:80", true);
  EXPECT_EQ(v4.host, "192.0.2.7");
  // Authority-form has no scheme, so no port is a default one.
  EXPECT_EQ(v4.authority(), "192.0.2.7:80");
}

TEST(Uri, BadConnectTargets) {
  // RFC 9110 9.3.6: CONNECT takes host:port, the port is required.
  expectBad("example.com", true);
  expectBad("example.com:", true);
  expectBad("example.com:0", true);
  expectBad("example.com:65536", true);
  expectBad("example.com:https", true);
  expectBad(":443", true);
  expectBad("[::1]", true);
  expectBad("[::1]:", true);
  expectBad("[::1:443", true);
  expectBad("user@example.com:443", true);
  expectBad("http://example.com:443", true);
  expectBad("http://example.com:443/", true);
  expectBad("example.com:443/path", true);
  expectBad("/path", true);
  expectBad("*", true);
  expectBad("", true);
}

TEST(Uri, AsteriskForm) {
  Uri u = parseOk("*");
  EXPECT_EQ(u.form, Uri::Form::kAsterisk);
  EXPECT_EQ(u.path_and_query, "*");
  EXPECT_EQ(originForm(u), "*");
  expectBad("**");
  expectBad("*/x");
}

TEST(Uri, OriginForm) {
  Uri u = parseOk("/status?x=1#frag");
  EXPECT_EQ(u.form, Uri::Form::kOrigin);
  EXPECT_EQ(u.path_and_query, "/status?x=1");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.scheme, "");
  EXPECT_EQ(originForm(u), "/status?x=1");
  Uri root = parseOk("/");
  EXPECT_EQ(root.path_and_query, "/");
  // "//a/b" is an absolute-path with an empty first segment, not an authority.
  Uri dbl = parseOk("//a/b");
  EXPECT_EQ(dbl.form, Uri::Form::kOrigin);
  EXPECT_EQ(dbl.path_and_query, "//a/b");
  EXPECT_EQ(dbl.host, "");
}

TEST(Uri, ParseHostDirectly) {
  std::string out;
  bool v6 = false;
  EXPECT_TRUE(parseHost("WWW.Example.ORG", &out, &v6));
  EXPECT_EQ(out, "www.example.org");
  EXPECT_FALSE(v6);
  v6 = true;
  EXPECT_TRUE(parseHost("FE80::1", &out, &v6));
  EXPECT_EQ(out, "fe80::1");
  v6 = true;
  EXPECT_FALSE(parseHost("example.com", &out, &v6));
  v6 = false;
  EXPECT_FALSE(parseHost("", &out, &v6));
  v6 = false;
  EXPECT_FALSE(parseHost("a/b", &out, &v6));
  v6 = false;
  EXPECT_FALSE(parseHost("a:b", &out, &v6));
}

}  // namespace
}  // namespace cuttle
