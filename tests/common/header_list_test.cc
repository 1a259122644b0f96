#include "common/header_list.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "common/header_id.h"
#include "common/strings.h"

namespace cuttle {
namespace {

std::string serialized(const HeaderList& h) {
  std::string out;
  h.serialize(out);
  return out;
}

// ---- header_id ---------------------------------------------------------------------------

TEST(HeaderId, LookupIsCaseInsensitive) {
  EXPECT_EQ(lookupHeaderId("Content-Length"), HeaderId::kContentLength);
  EXPECT_EQ(lookupHeaderId("content-length"), HeaderId::kContentLength);
  EXPECT_EQ(lookupHeaderId("CONTENT-LENGTH"), HeaderId::kContentLength);
  EXPECT_EQ(lookupHeaderId("cOnTeNt-LeNgTh"), HeaderId::kContentLength);
  EXPECT_EQ(lookupHeaderId("host"), HeaderId::kHost);
  EXPECT_EQ(lookupHeaderId("TE"), HeaderId::kTE);
  EXPECT_EQ(lookupHeaderId("te"), HeaderId::kTE);
  EXPECT_EQ(lookupHeaderId("etag"), HeaderId::kETag);
  EXPECT_EQ(lookupHeaderId("x-forwarded-for"), HeaderId::kXForwardedFor);
  // The longest known name (25 bytes).
  EXPECT_EQ(lookupHeaderId("proxy-authentication-info"), HeaderId::kProxyAuthenticationInfo);
}

TEST(HeaderId, EveryKnownNameRoundTrips) {
  for (size_t i = 1; i < static_cast<size_t>(HeaderId::kCount); ++i) {
    const HeaderId id = static_cast<HeaderId>(i);
    const std::string_view name = headerName(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(lookupHeaderId(name), id) << name;
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(lookupHeaderId(upper), id) << upper;
  }
}

TEST(HeaderId, UnknownNames) {
  EXPECT_EQ(lookupHeaderId(""), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("X"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("X-Custom"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Hostx"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Hos"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Content-Lengt"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Content_Length"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId(" Host"), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Host "), HeaderId::kOther);
  EXPECT_EQ(lookupHeaderId("Proxy-Authentication-Infos"), HeaderId::kOther);
  EXPECT_EQ(headerName(HeaderId::kOther), "");
}

TEST(HeaderId, CanonicalNamesAndFlags) {
  EXPECT_EQ(headerName(HeaderId::kContentLength), "Content-Length");
  EXPECT_EQ(headerName(HeaderId::kETag), "ETag");
  EXPECT_EQ(headerName(HeaderId::kTE), "TE");
  // RFC 9110 7.6.1 and RFC 9112: connection-specific fields.
  for (HeaderId id :
       {HeaderId::kConnection, HeaderId::kKeepAlive, HeaderId::kProxyConnection, HeaderId::kTE,
        HeaderId::kTrailer, HeaderId::kTransferEncoding, HeaderId::kUpgrade,
        HeaderId::kProxyAuthorization, HeaderId::kProxyAuthenticate}) {
    EXPECT_TRUE(isHopByHop(id)) << headerName(id);
  }
  for (HeaderId id :
       {HeaderId::kHost, HeaderId::kVia, HeaderId::kContentLength, HeaderId::kContentType,
        HeaderId::kCacheControl, HeaderId::kMaxForwards, HeaderId::kExpect,
        HeaderId::kAuthorization, HeaderId::kSetCookie, HeaderId::kOther}) {
    EXPECT_FALSE(isHopByHop(id)) << headerName(id);
  }
  EXPECT_NE(headerFlags(HeaderId::kContentLength) & kFraming, 0);
  EXPECT_NE(headerFlags(HeaderId::kTransferEncoding) & kFraming, 0);
  EXPECT_EQ(headerFlags(HeaderId::kHost) & kFraming, 0);
  EXPECT_EQ(headerFlags(HeaderId::kOther), 0);
}

// ---- HeaderList ----------------------------------------------------------------------------

TEST(HeaderList, KeepsOrderDuplicatesAndSpelling) {
  HeaderList h;
  h.addCopy("x-B", "2");
  h.addCopy("HOST", "a");
  h.addCopy("x-a", "1");
  h.addCopy("X-B", "3");
  h.addCopy("cache-CONTROL", "no-cache");
  ASSERT_EQ(h.size(), 5u);
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(h[0].name, "x-B");
  EXPECT_EQ(h[1].name, "HOST");
  EXPECT_EQ(h[1].id, HeaderId::kHost);
  EXPECT_EQ(h[3].name, "X-B");
  EXPECT_EQ(h[4].id, HeaderId::kCacheControl);
  EXPECT_EQ(serialized(h), "x-B: 2\r\nHOST: a\r\nx-a: 1\r\nX-B: 3\r\ncache-CONTROL: no-cache\r\n");
  EXPECT_EQ(h.serializedSize(), serialized(h).size());
}

TEST(HeaderList, EmptyList) {
  HeaderList h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(serialized(h), "");
  EXPECT_EQ(h.serializedSize(), 0u);
  EXPECT_FALSE(h.has(HeaderId::kHost));
  EXPECT_EQ(h.find(HeaderId::kHost), nullptr);
  EXPECT_EQ(h.find("x"), nullptr);
  EXPECT_EQ(h.get(HeaderId::kHost), "");
  EXPECT_EQ(h.joined(HeaderId::kVia), "");
  EXPECT_FALSE(h.hasToken(HeaderId::kConnection, "close"));
}

TEST(HeaderList, AddKeepsCallerViews) {
  // add() stores views: they must point into the caller's storage, not into copies.
  const std::string raw = "X-Thing: value";
  HeaderList h;
  h.add(std::string_view(raw).substr(0, 7), std::string_view(raw).substr(9));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].name.data(), raw.data());
  EXPECT_EQ(h[0].value.data(), raw.data() + 9);
  EXPECT_EQ(h[0].id, HeaderId::kOther);
  h.add(HeaderId::kVia, "via", "1.1 x");
  EXPECT_EQ(h[1].id, HeaderId::kVia);
  EXPECT_EQ(h[1].name, "via");
  // add(name, value) looks the id up.
  h.add("content-type", "text/plain");
  EXPECT_EQ(h[2].id, HeaderId::kContentType);
}

TEST(HeaderList, AddCopyOwnsItsBytes) {
  HeaderList h;
  {
    std::string name = "X-Temp";
    std::string value = "temporary";
    h.addCopy(name, value);
    h.addCopy(HeaderId::kContentType, value);
    name.assign("XXXXXX");
    value.assign("overwritten!");
  }
  // The caller's strings are gone; the list's copies are not.
  std::string filler(1000, 'z');
  EXPECT_EQ(h[0].name, "X-Temp");
  EXPECT_EQ(h[0].value, "temporary");
  EXPECT_EQ(h[1].name, "Content-Type");  // canonical spelling for an id
  EXPECT_EQ(h[1].value, "temporary");
  EXPECT_EQ(h[1].id, HeaderId::kContentType);
}

TEST(HeaderList, ViewsSurviveGrowthAndMove) {
  HeaderList h;
  h.addCopy("First", "1");
  const char* first_value = h[0].value.data();
  for (int i = 0; i < 200; ++i) h.addCopy("X-" + std::to_string(i), std::to_string(i));
  EXPECT_EQ(h[0].value.data(), first_value);
  EXPECT_EQ(h[0].value, "1");
  HeaderList moved = std::move(h);
  EXPECT_EQ(moved.size(), 201u);
  EXPECT_EQ(moved[0].value.data(), first_value);
  EXPECT_EQ(moved[200].name, "X-199");
  EXPECT_EQ(moved[200].value, "199");
  HeaderList assigned;
  assigned.addCopy("Old", "x");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.size(), 201u);
  EXPECT_EQ(assigned[0].name, "First");
}

TEST(HeaderList, FindAndGet) {
  HeaderList h;
  h.addCopy("Via", "1.0 a");
  h.addCopy("X-Custom", "c1");
  h.addCopy("via", "1.1 b");
  h.addCopy("x-custom", "c2");
  EXPECT_TRUE(h.has(HeaderId::kVia));
  EXPECT_FALSE(h.has(HeaderId::kHost));
  EXPECT_EQ(h.count(HeaderId::kVia), 2u);
  EXPECT_EQ(h.count(HeaderId::kHost), 0u);
  EXPECT_EQ(h.count(HeaderId::kOther), 2u);
  ASSERT_NE(h.find(HeaderId::kVia), nullptr);
  EXPECT_EQ(h.find(HeaderId::kVia), &h[0]);
  EXPECT_EQ(h.get(HeaderId::kVia), "1.0 a");  // the first one
  EXPECT_EQ(h.find("X-CUSTOM"), &h[1]);
  EXPECT_EQ(h.find("VIA"), &h[0]);
  EXPECT_EQ(h.find("X-Custo"), nullptr);
}

TEST(HeaderList, JoinedUsesCommaSpaceInOrder) {
  HeaderList h;
  h.addCopy("Cache-Control", "no-cache");
  h.addCopy("Vary", "Accept");
  h.addCopy("Cache-Control", "max-age=0, private");
  h.addCopy("cache-control", "x=\"a,b\"");
  EXPECT_EQ(h.joined(HeaderId::kVary), "Accept");
  // RFC 9110 5.3: combined in order, separated by a comma.
  EXPECT_EQ(h.joined(HeaderId::kCacheControl), "no-cache, max-age=0, private, x=\"a,b\"");
  EXPECT_EQ(h.joined(HeaderId::kHost), "");
}

// An empty field line is an empty list: combining it must not change the list's elements.
TEST(HeaderList, JoinedWithEmptyValuesKeepsTheListElements) {
  for (auto values :
       {std::vector<std::string>{"", "no-store"}, std::vector<std::string>{"no-store", ""},
        std::vector<std::string>{"", "no-store", "", "private", ""}}) {
    HeaderList h;
    for (const std::string& v : values) h.addCopy("Cache-Control", v);
    std::string joined = h.joined(HeaderId::kCacheControl);
    std::vector<std::string> got;
    ListIterator it(joined);
    std::string_view e;
    while (it.next(&e)) got.emplace_back(e);
    std::vector<std::string> want;
    for (const std::string& v : values) {
      if (!v.empty()) want.push_back(v);
    }
    EXPECT_EQ(got, want) << joined;
  }
}

TEST(HeaderList, HasToken) {
  HeaderList h;
  h.addCopy("Connection", "keep-alive");
  h.addCopy("connection", " Upgrade , X-Foo");
  h.addCopy("Cache-Control", "private=\"close, x\"");
  EXPECT_TRUE(h.hasToken(HeaderId::kConnection, "keep-alive"));
  EXPECT_TRUE(h.hasToken(HeaderId::kConnection, "KEEP-ALIVE"));
  EXPECT_TRUE(h.hasToken(HeaderId::kConnection, "upgrade"));
  EXPECT_TRUE(h.hasToken(HeaderId::kConnection, "x-foo"));
  EXPECT_FALSE(h.hasToken(HeaderId::kConnection, "close"));
  EXPECT_FALSE(h.hasToken(HeaderId::kConnection, "keep"));
  EXPECT_FALSE(h.hasToken(HeaderId::kProxyConnection, "keep-alive"));
  // Only whole list elements count, not text in a quoted string.
  EXPECT_FALSE(h.hasToken(HeaderId::kCacheControl, "close"));
}

TEST(HeaderList, SetReplacesAtFirstPosition) {
  HeaderList h;
  h.addCopy("A", "1");
  h.addCopy("content-length", "5");
  h.addCopy("B", "2");
  h.addCopy("Content-Length", "6");
  h.addCopy("C", "3");
  h.set(HeaderId::kContentLength, "7");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h.count(HeaderId::kContentLength), 1u);
  EXPECT_EQ(serialized(h), "A: 1\r\ncontent-length: 7\r\nB: 2\r\nC: 3\r\n");
}

TEST(HeaderList, SetAppendsWhenMissing) {
  HeaderList h;
  h.addCopy("A", "1");
  std::string value = "Sun, 06 Nov 1994 08:49:37 GMT";
  h.set(HeaderId::kDate, value);
  value.assign("gone");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].name, "Date");
  EXPECT_EQ(h[1].id, HeaderId::kDate);
  EXPECT_EQ(h[1].value, "Sun, 06 Nov 1994 08:49:37 GMT");  // copied
  h.set(HeaderId::kDate, "x");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.get(HeaderId::kDate), "x");
}

TEST(HeaderList, SetCopiesValueOfCallerStorage) {
  std::string raw = "Age: 5";
  HeaderList h;
  h.add(std::string_view(raw).substr(0, 3), std::string_view(raw).substr(5));
  std::string v = "10";
  h.set(HeaderId::kAge, v);
  v = "99";
  EXPECT_EQ(h.get(HeaderId::kAge), "10");
  EXPECT_EQ(h[0].name.data(), raw.data());  // the original name view is kept
}

TEST(HeaderList, CloneIsDeep) {
  HeaderList clone;
  {
    std::string raw = "x-other: one\r\nhost: h\r\nVia: 1.1 v\r\n";
    std::string_view r = raw;
    HeaderList h;
    h.add(r.substr(0, 7), r.substr(9, 3));
    h.add(r.substr(14, 4), r.substr(20, 1));
    h.addCopy(HeaderId::kVia, "1.1 v");
    clone = h.clone();
    // The original still works after cloning.
    EXPECT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].value.data(), raw.data() + 9);
    // Nothing of the clone points into raw.
    for (const HeaderField& f : clone) {
      EXPECT_FALSE(f.name.data() >= raw.data() && f.name.data() < raw.data() + raw.size());
      EXPECT_FALSE(f.value.data() >= raw.data() && f.value.data() < raw.data() + raw.size());
    }
    raw.assign(raw.size(), '#');
  }
  ASSERT_EQ(clone.size(), 3u);
  EXPECT_EQ(serialized(clone), "x-other: one\r\nhost: h\r\nVia: 1.1 v\r\n");
  EXPECT_EQ(clone[1].id, HeaderId::kHost);
  EXPECT_EQ(clone[0].id, HeaderId::kOther);
  EXPECT_EQ(clone[2].id, HeaderId::kVia);
}

// Regression: clone() took a received name spelled exactly like the canonical one ("Host")
// for the static canonical string and kept a view into the original's buffer.
TEST(HeaderList, CloneCopiesCanonicallySpelledNamesFromCallerStorage) {
  HeaderList clone;
  {
    std::string raw = "Host: h\r\nContent-Length: 5\r\n";
    std::string_view r = raw;
    HeaderList h;
    h.add(r.substr(0, 4), r.substr(6, 1));
    h.add(HeaderId::kContentLength, r.substr(9, 14), r.substr(25, 1));
    ASSERT_EQ(h[0].id, HeaderId::kHost);
    ASSERT_EQ(h[1].name, "Content-Length");
    clone = h.clone();
    for (const HeaderField& f : clone) {
      EXPECT_FALSE(f.name.data() >= raw.data() && f.name.data() < raw.data() + raw.size())
          << f.name;
    }
    raw.assign(raw.size(), '#');
  }
  ASSERT_EQ(clone.size(), 2u);
  EXPECT_EQ(clone[0].name, "Host");
  EXPECT_EQ(clone[0].value, "h");
  EXPECT_EQ(clone[1].name, "Content-Length");
  EXPECT_EQ(clone[1].value, "5");
}

TEST(HeaderList, CloneKeepsFieldsAddedWithIdAndOwnName) {
  HeaderList clone;
  {
    std::string name = "VIA";
    HeaderList h;
    h.add(HeaderId::kVia, name, "x");
    clone = h.clone();
    name.assign("???");
  }
  EXPECT_EQ(clone[0].name, "VIA");
  EXPECT_EQ(clone[0].id, HeaderId::kVia);
}

TEST(HeaderList, RemoveById) {
  HeaderList h;
  h.addCopy("Connection", "close");
  h.addCopy("A", "1");
  h.addCopy("connection", "x");
  h.addCopy("B", "2");
  h.remove(HeaderId::kConnection);
  EXPECT_EQ(serialized(h), "A: 1\r\nB: 2\r\n");
  h.remove(HeaderId::kHost);  // nothing to remove
  EXPECT_EQ(h.size(), 2u);
}

TEST(HeaderList, RemoveByNameIsCaseInsensitive) {
  HeaderList h;
  h.addCopy("X-Foo", "1");
  h.addCopy("A", "1");
  h.addCopy("x-foo", "2");
  h.addCopy("X-Foobar", "3");
  h.remove("X-FOO");
  EXPECT_EQ(serialized(h), "A: 1\r\nX-Foobar: 3\r\n");
}

TEST(HeaderList, RemoveIf) {
  HeaderList h;
  h.addCopy("A", "keep");
  h.addCopy("B", "drop");
  h.addCopy("C", "keep");
  h.removeIf([](const HeaderField& f) { return f.value == "drop"; });
  EXPECT_EQ(serialized(h), "A: keep\r\nC: keep\r\n");
}

TEST(HeaderList, SerializeAppendsAndEmptyValues) {
  HeaderList h;
  h.addCopy("X-Empty", "");
  h.addCopy("B", "v");
  std::string out = "HTTP/1.1 200 OK\r\n";
  h.serialize(out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Empty: \r\nB: v\r\n");
  EXPECT_EQ(h.serializedSize(), std::string("X-Empty: \r\nB: v\r\n").size());
}

}  // namespace
}  // namespace cuttle
