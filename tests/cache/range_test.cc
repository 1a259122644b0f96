#include <gtest/gtest.h>

#include "cache/policy.h"
#include "tests/cache/policy_test_util.h"

namespace cuttle::cache {
namespace {

using testing::date;
using testing::headers;
using testing::kT0;
using testing::request;
using Kind = RangeSelection::Kind;

RangeSelection select(testing::Fields fields, uint64_t length = 10000, testing::Fields stored = {},
                      Method method = Method::kGet) {
  return selectRanges(request(method, fields), headers(stored), length);
}

std::vector<std::pair<uint64_t, uint64_t>> ranges(const RangeSelection& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const ByteRange& r : s.ranges) out.emplace_back(r.first, r.last);
  return out;
}

using Pairs = std::vector<std::pair<uint64_t, uint64_t>>;

TEST(RangeSelect, NoRangeIsFull) {
  RangeSelection s = select({});
  EXPECT_EQ(s.kind, Kind::kFull);
  EXPECT_TRUE(s.ranges.empty());
}

TEST(RangeSelect, FirstLast) {
  RangeSelection s = select({{"Range", "bytes=0-499"}});
  EXPECT_EQ(s.kind, Kind::kPartial);
  EXPECT_EQ(ranges(s), (Pairs{{0, 499}}));
}

TEST(RangeSelect, OpenEnded) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=9500-"}})), (Pairs{{9500, 9999}}));
}

TEST(RangeSelect, Suffix) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=-500"}})), (Pairs{{9500, 9999}}));
  // A suffix longer than the representation selects all of it.
  EXPECT_EQ(ranges(select({{"Range", "bytes=-20000"}})), (Pairs{{0, 9999}}));
}

TEST(RangeSelect, LastClampedToLength) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=9000-20000"}})), (Pairs{{9000, 9999}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-99999999999999999999999"}})), (Pairs{{0, 9999}}));
}

TEST(RangeSelect, BoundaryLastByte) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=9999-9999"}})), (Pairs{{9999, 9999}}));
  EXPECT_EQ(select({{"Range", "bytes=10000-10000"}}).kind, Kind::kUnsatisfiable);
}

TEST(RangeSelect, UnitCaseInsensitiveAndWhitespace) {
  EXPECT_EQ(ranges(select({{"Range", "Bytes=0-1"}})), (Pairs{{0, 1}}));
  EXPECT_EQ(ranges(select({{"Range", "  bytes=0-1 ,  5-6  "}})), (Pairs{{0, 1}, {5, 6}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-1,,\t,5-6"}})), (Pairs{{0, 1}, {5, 6}}));
}

TEST(RangeSelect, InvalidIsIgnored) {
  for (std::string_view v :
       {"bytes=5-1", "bytes=abc", "bytes=", "bytes=-", "bytes=1-2-3", "bytes=0-1,x", "bytes 0-1",
        "bytes=0 - 1", "bytes=+1-2", "items=0-1", "=0-1", "bytes=0-1;x"}) {
    RangeSelection s = select({{"Range", v}});
    EXPECT_EQ(s.kind, Kind::kFull) << v;
    EXPECT_TRUE(s.ranges.empty()) << v;
  }
}

TEST(RangeSelect, SeveralRangeFieldsIgnored) {
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"Range", "bytes=2-3"}}).kind, Kind::kFull);
}

TEST(RangeSelect, OnlyForGet) {
  EXPECT_EQ(select({{"Range", "bytes=0-1"}}, 100, {}, Method::kHead).kind, Kind::kFull);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}}, 100, {}, Method::kPost).kind, Kind::kFull);
}

TEST(RangeSelect, Unsatisfiable) {
  EXPECT_EQ(select({{"Range", "bytes=10000-"}}).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(select({{"Range", "bytes=-0"}}).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(select({{"Range", "bytes=20000-30000, -0"}}).kind, Kind::kUnsatisfiable);
  EXPECT_TRUE(select({{"Range", "bytes=10000-"}}).ranges.empty());
  EXPECT_EQ(select({{"Range", "bytes=99999999999999999999999-"}}).kind, Kind::kUnsatisfiable);
}

TEST(RangeSelect, UnsatisfiableMembersDroppedWhenOthersSatisfiable) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=20000-, 0-0, -0"}})), (Pairs{{0, 0}}));
}

TEST(RangeSelect, ZeroLength) {
  EXPECT_EQ(select({{"Range", "bytes=0-"}}, 0).kind, Kind::kUnsatisfiable);
  // A suffix is satisfiable but selects nothing: the whole (empty) body is sent.
  EXPECT_EQ(select({{"Range", "bytes=-5"}}, 0).kind, Kind::kFull);
}

TEST(RangeSelect, RequestOrderKept) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=500-600, 0-10, -5"}})),
            (Pairs{{500, 600}, {0, 10}, {9995, 9999}}));
}

TEST(RangeSelect, OverlappingAndAdjacentCoalesced) {
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-99, 50-150"}})), (Pairs{{0, 150}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-99, 100-199"}})), (Pairs{{0, 199}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-99, 101-199"}})), (Pairs{{0, 99}, {101, 199}}));
  // Merged at the position of the earliest member; chains merge transitively.
  EXPECT_EQ(ranges(select({{"Range", "bytes=500-600, 0-10, 300-400, 390-510"}})),
            (Pairs{{300, 600}, {0, 10}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=0-0, 0-0, 0-0"}})), (Pairs{{0, 0}}));
  EXPECT_EQ(ranges(select({{"Range", "bytes=-100, 9000-"}})), (Pairs{{9000, 9999}}));
}

TEST(RangeSelect, TooManyRangesIgnored) {
  std::string many = "bytes=";
  for (int i = 0; i < 65; ++i) {
    if (i) many += ",";
    many += std::to_string(i * 10) + "-" + std::to_string(i * 10 + 1);
  }
  EXPECT_EQ(select({{"Range", many}}).kind, Kind::kFull);
  std::string ok = many.substr(0, many.rfind(','));  // 64 ranges
  RangeSelection s = select({{"Range", ok}});
  EXPECT_EQ(s.kind, Kind::kPartial);
  EXPECT_EQ(s.ranges.size(), 64u);
}

// ---- If-Range -------------------------------------------------------------------------

TEST(RangeSelect, IfRangeStrongETag) {
  testing::Fields stored = {{"ETag", "\"v1\""}};
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}}, 100, stored).kind,
            Kind::kPartial);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "\"v2\""}}, 100, stored).kind,
            Kind::kFull);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "W/\"v1\""}}, 100, stored).kind,
            Kind::kFull);
  testing::Fields weak = {{"ETag", "W/\"v1\""}};
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}}, 100, weak).kind, Kind::kFull);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}}, 100, {}).kind, Kind::kFull);
}

TEST(RangeSelect, IfRangeDateMustEqualStrongLastModified) {
  const std::string lm = date(kT0 - 100);
  const std::string d = date(kT0);
  testing::Fields stored = {{"Last-Modified", lm}, {"Date", d}};
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", lm}}, 100, stored).kind, Kind::kPartial);
  const std::string later = date(kT0 - 50);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", later}}, 100, stored).kind, Kind::kFull);
  const std::string earlier = date(kT0 - 150);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", earlier}}, 100, stored).kind, Kind::kFull);
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", "garbage"}}, 100, stored).kind,
            Kind::kFull);
  // Last-Modified equal to Date is weak (8.8.2.2): the range is not applied.
  testing::Fields weak = {{"Last-Modified", d}, {"Date", d}};
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", d}}, 100, weak).kind, Kind::kFull);
  testing::Fields no_date = {{"Last-Modified", lm}};
  EXPECT_EQ(select({{"Range", "bytes=0-1"}, {"If-Range", lm}}, 100, no_date).kind, Kind::kFull);
}

TEST(RangeSelect, IfRangeFalseBeatsUnsatisfiable) {
  testing::Fields stored = {{"ETag", "\"v1\""}};
  EXPECT_EQ(select({{"Range", "bytes=500-"}, {"If-Range", "\"v2\""}}, 100, stored).kind,
            Kind::kFull);
  EXPECT_EQ(select({{"Range", "bytes=500-"}, {"If-Range", "\"v1\""}}, 100, stored).kind,
            Kind::kUnsatisfiable);
}

TEST(RangeSelect, IfRangeWithoutRangeIsIrrelevant) {
  EXPECT_EQ(select({{"If-Range", "\"v1\""}}, 100, {{"ETag", "\"v1\""}}).kind, Kind::kFull);
}

// ---- Content-Range and multipart/byteranges ---------------------------------------------

TEST(RangeMultipart, ContentRange) {
  EXPECT_EQ(contentRange(ByteRange{0, 99}, 1234), "bytes 0-99/1234");
  EXPECT_EQ(contentRange(ByteRange{1233, 1233}, 1234), "bytes 1233-1233/1234");
}

TEST(RangeMultipart, MediaTypeAndBoundary) {
  Multipart m{.boundary = "B0UND", .content_type = "text/plain"};
  EXPECT_EQ(m.mediaType(), "multipart/byteranges; boundary=B0UND");
  EXPECT_EQ(Multipart::makeBoundary(0x1234), "cuttle0000000000001234");
  EXPECT_EQ(Multipart::makeBoundary(UINT64_MAX), "cuttleffffffffffffffff");
  EXPECT_EQ(Multipart::makeBoundary(0).size(), 22u);
}

TEST(RangeMultipart, ExactFormatting) {
  Multipart m{.boundary = "THIS_STRING_SEPARATES", .content_type = "application/pdf"};
  EXPECT_EQ(m.partHead(ByteRange{500, 999}, 8000, true),
            "--THIS_STRING_SEPARATES\r\n"
            "Content-Type: application/pdf\r\n"
            "Content-Range: bytes 500-999/8000\r\n"
            "\r\n");
  EXPECT_EQ(m.partHead(ByteRange{7000, 7999}, 8000, false),
            "\r\n--THIS_STRING_SEPARATES\r\n"
            "Content-Type: application/pdf\r\n"
            "Content-Range: bytes 7000-7999/8000\r\n"
            "\r\n");
  EXPECT_EQ(m.tail(), "\r\n--THIS_STRING_SEPARATES--\r\n");
}

TEST(RangeMultipart, NoContentTypeLine) {
  Multipart m{.boundary = "b", .content_type = ""};
  EXPECT_EQ(m.partHead(ByteRange{0, 0}, 1, true), "--b\r\nContent-Range: bytes 0-0/1\r\n\r\n");
}

// Builds the body the way the proxy does and checks it against totalLength() and a parse.
TEST(RangeMultipart, BuiltBodyMatchesTotalLength) {
  std::string representation;
  for (int i = 0; i < 1000; ++i) representation.push_back(static_cast<char>('a' + i % 26));
  RangeSelection s = select({{"Range", "bytes=0-9, 500-599, -3"}}, representation.size());
  ASSERT_EQ(s.kind, Kind::kPartial);
  ASSERT_EQ(s.ranges.size(), 3u);
  Multipart m{.boundary = Multipart::makeBoundary(42), .content_type = "text/plain"};
  std::string body;
  for (size_t i = 0; i < s.ranges.size(); ++i) {
    const ByteRange& r = s.ranges[i];
    body += m.partHead(r, representation.size(), i == 0);
    body += representation.substr(r.first, r.last - r.first + 1);
  }
  body += m.tail();
  EXPECT_EQ(body.size(), m.totalLength(s.ranges, representation.size()));

  // Each part: delimiter, headers, blank line, exactly the bytes, then CRLF delimiter.
  const std::string delimiter = "--" + m.boundary;
  size_t pos = 0;
  for (const ByteRange& r : s.ranges) {
    pos = body.find(delimiter + "\r\n", pos);
    ASSERT_NE(pos, std::string::npos);
    size_t blank = body.find("\r\n\r\n", pos);
    ASSERT_NE(blank, std::string::npos);
    std::string head = body.substr(pos, blank - pos);
    EXPECT_NE(head.find("Content-Range: " + contentRange(r, representation.size())),
              std::string::npos);
    size_t start = blank + 4;
    size_t n = r.last - r.first + 1;
    EXPECT_EQ(body.substr(start, n), representation.substr(r.first, n));
    EXPECT_EQ(body.substr(start + n, 2 + delimiter.size()), "\r\n" + delimiter);
    pos = start + n;
  }
  EXPECT_TRUE(body.ends_with("\r\n" + delimiter + "--\r\n"));
  EXPECT_TRUE(body.starts_with(delimiter + "\r\n"));
}

TEST(RangeMultipart, TotalLengthOfOnePart) {
  Multipart m{.boundary = "b", .content_type = "x/y"};
  std::vector<ByteRange> one{{10, 19}};
  EXPECT_EQ(m.totalLength(one, 100), m.partHead(one[0], 100, true).size() + 10 + m.tail().size());
}

}  // namespace
}  // namespace cuttle::cache
