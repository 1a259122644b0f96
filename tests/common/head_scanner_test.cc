#include "common/head_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace cuttle {
namespace {

using Status = HeadScanner::Status;

struct Scan {
  Status status;
  ErrorCode code;
  size_t consumed;
  std::string head;
};

// Feeds `in` in pieces of `step` bytes, as a connection would: stops feeding once the
// scanner has decided. consumed is the total of what scan() returned.
Scan scanIn(std::string_view in, size_t step, size_t max_head = 1024, size_t max_line = 512) {
  HeadScanner s(max_head, max_line);
  std::vector<char> out;
  size_t pos = 0;
  while (pos < in.size() && s.status() == Status::kNeedMore) {
    const size_t n = std::min(step, in.size() - pos);
    const size_t used = s.scan(in.data() + pos, n, &out);
    EXPECT_LE(used, n);
    pos += used;
    if (s.status() == Status::kNeedMore) {
      EXPECT_EQ(used, n) << "kNeedMore consumes everything";
    }
  }
  return {s.status(), s.status() == Status::kError ? s.errorCode() : ErrorCode::kInternal, pos,
          std::string(out.begin(), out.end())};
}

// Scans as one buffer and byte by byte (and in a few other piece sizes), checks that every
// way of feeding gives the same outcome, and returns it.
Scan scanAll(std::string_view in, size_t max_head = 1024, size_t max_line = 512) {
  Scan whole = scanIn(in, in.size() + 1, max_head, max_line);
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
    Scan piece = scanIn(in, step, max_head, max_line);
    EXPECT_EQ(piece.status, whole.status) << "step " << step << ": " << testing::PrintToString(in);
    EXPECT_EQ(piece.code, whole.code) << "step " << step << ": " << testing::PrintToString(in);
    EXPECT_EQ(piece.consumed, whole.consumed)
        << "step " << step << ": " << testing::PrintToString(in);
    if (whole.status == Status::kComplete) {
      EXPECT_EQ(piece.head, whole.head) << "step " << step;
    }
  }
  return whole;
}

// The input must be rejected as a 400 exactly at byte `at`.
void expectRejectedAt(std::string_view in, size_t at) {
  Scan r = scanAll(in);
  EXPECT_EQ(r.status, Status::kError) << testing::PrintToString(in);
  EXPECT_EQ(r.code, ErrorCode::kBadRequest) << testing::PrintToString(in);
  EXPECT_EQ(r.consumed, at) << testing::PrintToString(in);
}

// ---- complete heads ----------------------------------------------------------------------

TEST(HeadScanner, CompleteRequestHead) {
  const std::string head = "GET http://a/ HTTP/1.1\r\nHost: a\r\nX-Y: z\r\n\r\n";
  Scan r = scanAll(head + "BODY");
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, head.size());  // up to and including the final LF
  EXPECT_EQ(r.head, head);
}

TEST(HeadScanner, CompleteResponseHeadWithoutFields) {
  const std::string head = "HTTP/1.1 204 No Content\r\n\r\n";
  Scan r = scanAll(head + "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(r.head, head);
}

TEST(HeadScanner, IncompleteHeadNeedsMoreAndConsumesAll) {
  for (std::string_view in :
       {"G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost",
        "GET / HTTP/1.1\r\nHost: a", "GET / HTTP/1.1\r\nHost: a\r", "GET / HTTP/1.1\r\nHost: a\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r"}) {
    Scan r = scanAll(in);
    EXPECT_EQ(r.status, Status::kNeedMore) << in;
    EXPECT_EQ(r.consumed, in.size()) << in;
    EXPECT_EQ(r.head, in);
  }
}

TEST(HeadScanner, LeadingEmptyLinesAreSkippedNotCopied) {
  // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Scan r = scanAll("\r\n\r\n" + head);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, 4 + head.size());
  EXPECT_EQ(r.head, head);
}

TEST(HeadScanner, LeadingEmptyLinesDoNotCountAsStarted) {
  HeadScanner s(1024, 512);
  std::vector<char> out;
  EXPECT_FALSE(s.started());
  EXPECT_EQ(s.scan("\r\n\r", 3, &out), 3u);
  EXPECT_FALSE(s.started());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.scan("\nG", 2, &out), 2u);
  EXPECT_TRUE(s.started());
  EXPECT_EQ(std::string(out.begin(), out.end()), "G");
}

TEST(HeadScanner, LeadingEmptyLinesAreLimited) {
  std::string ok(32 * 2, '\0');
  for (size_t i = 0; i < ok.size(); i += 2) {
    ok[i] = '\r';
    ok[i + 1] = '\n';
  }
  const std::string head = "GET / HTTP/1.1\r\n\r\n";
  Scan fine = scanAll(ok + head);
  EXPECT_EQ(fine.status, Status::kComplete);
  EXPECT_EQ(fine.head, head);
  EXPECT_EQ(fine.consumed, 64 + head.size());
  Scan r = scanAll(ok + "\r\n" + head);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.code, ErrorCode::kBadRequest);
}

TEST(HeadScanner, ScanAfterCompletionConsumesNothing) {
  HeadScanner s(1024, 512);
  std::vector<char> out;
  const std::string in = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(s.scan(in.data(), in.size(), &out), 18u);
  EXPECT_EQ(s.status(), Status::kComplete);
  EXPECT_EQ(s.scan(in.data() + 18, in.size() - 18, &out), 0u);
  EXPECT_EQ(out.size(), 18u);
}

TEST(HeadScanner, ResetStartsANewHead) {
  HeadScanner s(1024, 512);
  std::vector<char> out;
  const std::string bad = "GET / HTTP/1.1\nHost: a\r\n\r\n";
  s.scan(bad.data(), bad.size(), &out);
  ASSERT_EQ(s.status(), Status::kError);
  EXPECT_EQ(s.scan(bad.data(), bad.size(), &out), 0u);  // stays failed
  s.reset();
  EXPECT_EQ(s.status(), Status::kNeedMore);
  EXPECT_FALSE(s.started());
  out.clear();
  const std::string good = "\r\nGET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(s.scan(good.data(), good.size(), &out), good.size());
  EXPECT_EQ(s.status(), Status::kComplete);
  EXPECT_EQ(std::string(out.begin(), out.end()), good.substr(2));
}

TEST(HeadScanner, ValuesMayHoldObsTextAndInnerWhitespace) {
  const std::string head = "GET / HTTP/1.1\r\nX: a \t b\xE9\xFF\r\nY:\r\nZ:\t\r\n\r\n";
  Scan r = scanAll(head);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.head, head);
}

// ---- rejections ------------------------------------------------------------------------

TEST(HeadScanner, BareLfAnywhere) {
  expectRejectedAt("\nGET / HTTP/1.1\r\n\r\n", 0);  // before the start line
  expectRejectedAt("\r\n\nGET / HTTP/1.1\r\n\r\n", 2);
  expectRejectedAt("GET / HTTP/1.1\nHost: a\r\n\r\n", 14);  // end of start line
  expectRejectedAt("GET /\n HTTP/1.1\r\n\r\n", 5);
  expectRejectedAt("GET / HTTP/1.1\r\nHost: a\n\r\n", 23);  // end of a field line
  expectRejectedAt("GET / HTTP/1.1\r\nHost: a\r\n\n", 25);  // end of the head
  expectRejectedAt("GET / HTTP/1.1\r\n\n", 16);
  expectRejectedAt("GET / HTTP/1.1\r\nHost\n: a\r\n\r\n", 20);  // in a name
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\nb\r\n\r\n", 20);    // in a value
}

TEST(HeadScanner, BareCrAnywhere) {
  expectRejectedAt("\rGET / HTTP/1.1\r\n\r\n", 1);  // found at the next byte
  expectRejectedAt("GET / HTTP/1.1\rHost: a\r\n\r\n", 15);
  expectRejectedAt("GET /\r HTTP/1.1\r\n\r\n", 6);
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 21);
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", 21);
  expectRejectedAt("GET / HTTP/1.1\r\nHost: a\r\n\rX", 26);
  expectRejectedAt("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 26);
  expectRejectedAt("GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n", 18);
}

TEST(HeadScanner, ObsFoldIsRejected) {
  // RFC 9112 5.2: a server MUST reject obs-fold in a request (or replace it); cuttle rejects.
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 22);
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 22);
  // Whitespace before the first field line (RFC 9112 2.2) is rejected the same way.
  expectRejectedAt("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 16);
}

TEST(HeadScanner, FieldNameRules) {
  expectRejectedAt("GET / HTTP/1.1\r\n: a\r\n\r\n", 16);        // empty name
  expectRejectedAt("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 20);   // SP before colon
  expectRejectedAt("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 20);  // HTAB before colon
  expectRejectedAt("GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 18);
  expectRejectedAt("GET / HTTP/1.1\r\nHost\r\n\r\n", 20);  // no colon: CR in name
  expectRejectedAt("GET / HTTP/1.1\r\n(Host): a\r\n\r\n", 16);
  expectRejectedAt("GET / HTTP/1.1\r\nX-\xC3\xA9: a\r\n\r\n", 18);
  expectRejectedAt("GET / HTTP/1.1\r\nX\"Y: a\r\n\r\n", 17);
  expectRejectedAt("GET / HTTP/1.1\r\nX/Y: a\r\n\r\n", 17);
  // Every tchar is fine in a name.
  Scan r = scanAll("GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n");
  EXPECT_EQ(r.status, Status::kComplete);
}

TEST(HeadScanner, NulIsRejectedEverywhere) {
  using namespace std::string_literals;
  expectRejectedAt("\0GET / HTTP/1.1\r\n\r\n"s, 0);
  expectRejectedAt("\r\n\0GET / HTTP/1.1\r\n\r\n"s, 2);
  expectRejectedAt("GET /\0 HTTP/1.1\r\n\r\n"s, 5);
  expectRejectedAt("GET / HTTP/1.1\r\nX\0: a\r\n\r\n"s, 17);
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, 20);
  expectRejectedAt("GET / HTTP/1.1\r\nX: a\r\0\n\r\n"s, 21);
  expectRejectedAt("GET / HTTP/1.1\r\n\0: a\r\n\r\n"s, 16);
  expectRejectedAt("GET / HTTP/1.1\r\n\r\0\n"s, 17);
}

// ---- limits --------------------------------------------------------------------------------

TEST(HeadScanner, StartLineLimitIs414) {
  // max_first_line counts the start line without its CRLF.
  const std::string line20 = "GET /" + std::string(6, 'a') + " HTTP/1.1";
  ASSERT_EQ(line20.size(), 20u);
  Scan ok = scanAll(line20 + "\r\nHost: a\r\n\r\n", 1024, 20);
  EXPECT_EQ(ok.status, Status::kComplete);
  const std::string line21 = "GET /" + std::string(7, 'a') + " HTTP/1.1";
  Scan r = scanAll(line21 + "\r\nHost: a\r\n\r\n", 1024, 20);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.code, ErrorCode::kUriTooLong);
  EXPECT_EQ(r.consumed, 20u);  // the 21st byte is where it went over
  // Also when the line has not ended yet.
  Scan open = scanAll("GET /" + std::string(100, 'a'), 1024, 20);
  EXPECT_EQ(open.status, Status::kError);
  EXPECT_EQ(open.code, ErrorCode::kUriTooLong);
  EXPECT_EQ(open.consumed, 20u);
}

TEST(HeadScanner, HeadLimitIs431) {
  const std::string start = "GET / HTTP/1.1\r\n";
  const std::string field = "X: " + std::string(40, 'v') + "\r\n";
  const std::string head = start + field + field + "\r\n";  // 16 + 45 + 45 + 2 = 108
  ASSERT_EQ(head.size(), 108u);
  Scan exact = scanAll(head + "next", 108, 512);
  EXPECT_EQ(exact.status, Status::kComplete);
  EXPECT_EQ(exact.consumed, 108u);
  EXPECT_EQ(exact.head, head);

  Scan over = scanAll(head + "next", 107, 512);
  EXPECT_EQ(over.status, Status::kError);
  EXPECT_EQ(over.code, ErrorCode::kHeadersTooLarge);
  EXPECT_EQ(over.consumed, 107u);  // the first byte beyond the limit

  // An endless header section fails as soon as it passes the limit, not at its end.
  std::string endless = start;
  while (endless.size() < 4000) endless += field;
  Scan big = scanAll(endless, 100, 512);
  EXPECT_EQ(big.status, Status::kError);
  EXPECT_EQ(big.code, ErrorCode::kHeadersTooLarge);
  EXPECT_EQ(big.consumed, 100u);
}

TEST(HeadScanner, LeadingEmptyLinesDoNotCountTowardsTheHeadLimit) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";  // 27 bytes
  Scan r = scanAll("\r\n\r\n\r\n" + head, head.size(), 512);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, 6 + head.size());
}

TEST(HeadScanner, RequestLineBeyondTheHeadLimitIs414) {
  // A request line that alone exceeds the whole head limit is a URI problem (414), not a
  // header one, however the bytes arrive (header comment and RFC 9110 15.5.15).
  const std::string line = "GET /" + std::string(60, 'a') + " HTTP/1.1";  // 74 bytes
  for (const std::string& in : {line + "\r\nHost: a\r\n\r\n", line + "\r\n", line}) {
    Scan r = scanAll(in, 50, 512);
    EXPECT_EQ(r.status, Status::kError) << in;
    EXPECT_EQ(r.code, ErrorCode::kUriTooLong) << in;
    EXPECT_EQ(r.consumed, 50u) << in;
  }
}

TEST(HeadScanner, FieldsBeyondTheHeadLimitAre431EvenWithALongRequestLine) {
  // The request line fits in the head limit; the fields take the head over it.
  const std::string line = "GET /" + std::string(30, 'a') + " HTTP/1.1\r\n";  // 46 bytes
  Scan r = scanAll(line + "Host: a\r\nX: yyyyyyyyyyyy\r\n\r\n", 50, 512);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.code, ErrorCode::kHeadersTooLarge);
  EXPECT_EQ(r.consumed, 50u);
}

}  // namespace
}  // namespace cuttle
