#include "common/message_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace cuttle {
namespace {

struct Collect : BodyListener {
  std::string body;
  HeaderList trailers;
  bool got_trailers = false;
  void onBodyData(std::string_view d) override { body.append(d); }
  void onTrailers(HeaderList&& t) override {
    trailers = std::move(t);
    got_trailers = true;
  }
};

// Feeds the whole input in pieces of `step` bytes; returns the reader's final state and
// the number of bytes consumed.
struct Outcome {
  MessageReader::State state;
  size_t consumed;
  std::string body;
};

Outcome feed(MessageReader& r, const std::string& in, size_t step, Collect& c) {
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = std::min(step, in.size() - pos);
    size_t used = 0;
    if (r.state() == MessageReader::State::kHead) {
      used = r.readHead(in.data() + pos, n);
    } else if (r.state() == MessageReader::State::kBody) {
      used = r.readBody(in.data() + pos, n, c);
    } else {
      break;
    }
    pos += used;
    if (r.state() == MessageReader::State::kError || r.state() == MessageReader::State::kComplete)
      break;
  }
  return {r.state(), pos, c.body};
}

Outcome request(const std::string& in, size_t step = 1 << 20) {
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  Collect c;
  return feed(r, in, step, c);
}

TEST(MessageReader, SimpleGet) {
  for (size_t step : {1, 3, 7, 1000}) {
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    std::string in = "GET http://a/x HTTP/1.1\r\nHost: a\r\nX-Y:  v  \r\n\r\nNEXT";
    Outcome run = feed(r, in, step, c);
    ASSERT_EQ(run.state, MessageReader::State::kComplete) << step;
    EXPECT_EQ(run.consumed, in.size() - 4);
    EXPECT_EQ(r.request().method, Method::kGet);
    EXPECT_EQ(r.request().target, "http://a/x");
    EXPECT_EQ(r.request().headers.get(HeaderId::kHost), "a");
    EXPECT_EQ(r.request().headers[1].value, "v");
  }
}

TEST(MessageReader, ChunkedBodyWithTrailers) {
  for (size_t step : {1, 2, 5, 1000}) {
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    std::string in =
        "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-T: 1\r\n\r\nGET";
    Outcome run = feed(r, in, step, c);
    ASSERT_EQ(run.state, MessageReader::State::kComplete) << step << " " << r.error().cause;
    EXPECT_EQ(run.consumed, in.size() - 3) << step;
    EXPECT_EQ(c.body, "abcde");
    ASSERT_TRUE(c.got_trailers);
    EXPECT_EQ(c.trailers.size(), 1u);
  }
}

TEST(MessageReader, RejectsSmugglingVectors) {
  const char* bad[] = {
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",  // obs-fold
      "GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n",               // space before colon
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\n",                  // bare LF end
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\rX",                 // bare CR end
      "GET http://a/ HTTP/1.1\nHost: a\r\n\r\n",                  // bare LF request line
      "GET http://a/ HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",         // empty name
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
      "chunked\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
      "POST http://a/ HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\nFFFFFFFFFFFFFFFFF3\r\nabc\r\n0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
      "GET http://a/ HTTP/1.1\r\n\r\n",                        // no Host
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
      "GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n",
  };
  for (const char* in : bad) {
    Outcome run = request(in);
    EXPECT_EQ(run.state, MessageReader::State::kError) << in;
    Outcome slow = request(in, 1);
    EXPECT_EQ(slow.state, MessageReader::State::kError) << "byte by byte: " << in;
  }
}

TEST(MessageReader, UnknownTransferCodingIs501) {
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  Collect c;
  feed(r, "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n", 100, c);
  ASSERT_EQ(r.state(), MessageReader::State::kError);
  EXPECT_EQ(r.error().code, ErrorCode::kNotImplemented);
}

TEST(MessageReader, ResponseNoBodyFor204And304AndHead) {
  for (const char* in : {"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc",
                         "HTTP/1.1 304 NM\r\nContent-Length: 3\r\n\r\nabc"}) {
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    Outcome run = feed(r, in, 1000, c);
    EXPECT_EQ(run.state, MessageReader::State::kComplete);
    EXPECT_EQ(run.consumed, std::string(in).size() - 3);
  }
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(Method::kHead);
  Collect c;
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
  Outcome run = feed(r, in, 1000, c);
  EXPECT_EQ(run.state, MessageReader::State::kComplete);
  EXPECT_EQ(run.consumed, in.size());
}

TEST(MessageReader, ResponseUntilClose) {
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(Method::kGet);
  Collect c;
  Outcome run = feed(r, "HTTP/1.0 200 OK\r\n\r\nabcdef", 4, c);
  EXPECT_EQ(run.state, MessageReader::State::kBody);
  EXPECT_TRUE(r.finishAtEof(c));
  EXPECT_EQ(c.body, "abcdef");
}

TEST(MessageReader, TruncatedLengthBodyIsError) {
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(Method::kGet);
  Collect c;
  feed(r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, c);
  EXPECT_FALSE(r.finishAtEof(c));
  EXPECT_EQ(r.state(), MessageReader::State::kError);
}

// ---- added: trailers, chunk extensions, pipelining, interim responses, llhttp gaps ----------

Outcome response(const std::string& in, Method method = Method::kGet, size_t step = 1 << 20) {
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(method);
  Collect c;
  return feed(r, in, step, c);
}

// Every way of splitting `in` into two buffers, plus byte by byte.
template <typename Check>
void forEverySplit(const std::string& in, MessageReader::Kind kind, Check check) {
  for (size_t split = 0; split <= in.size(); ++split) {
    MessageReader r(kind, {});
    r.reset();
    Collect c;
    std::string a = in.substr(0, split);
    std::string b = in.substr(split);
    // Separate allocations, as two reads would be.
    size_t pos = 0;
    for (std::string* part : {&a, &b}) {
      size_t off = 0;
      while (off < part->size()) {
        size_t used = 0;
        if (r.state() == MessageReader::State::kHead) {
          used = r.readHead(part->data() + off, part->size() - off);
        } else if (r.state() == MessageReader::State::kBody) {
          used = r.readBody(part->data() + off, part->size() - off, c);
        } else {
          break;
        }
        off += used;
        if (used == 0) break;
      }
      pos += off;
      if (r.state() == MessageReader::State::kError || r.state() == MessageReader::State::kComplete)
        break;
    }
    check(r, c, pos, split);
  }
}

TEST(MessageReader, TrailersKeepOrderSpellingAndTrimValues) {
  const std::string in =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nx\r\n0\r\nX-One: 1 \r\nx-two:\t two words\t\r\nX-One: again\r\n\r\n";
  for (size_t step : {1, 4, 1000}) {
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    Outcome run = feed(r, in, step, c);
    ASSERT_EQ(run.state, MessageReader::State::kComplete) << step << " " << r.error().cause;
    EXPECT_EQ(run.consumed, in.size());
    EXPECT_EQ(c.body, "x");
    ASSERT_TRUE(c.got_trailers);
    ASSERT_EQ(c.trailers.size(), 3u);
    EXPECT_EQ(c.trailers[0].name, "X-One");
    EXPECT_EQ(c.trailers[0].value, "1");
    EXPECT_EQ(c.trailers[1].name, "x-two");
    EXPECT_EQ(c.trailers[1].value, "two words");
    EXPECT_EQ(c.trailers[2].value, "again");
  }
}

TEST(MessageReader, ChunkedWithoutTrailersGivesAnEmptyTrailerSection) {
  const std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(Method::kGet);
  Collect c;
  Outcome run = feed(r, in, 1000, c);
  ASSERT_EQ(run.state, MessageReader::State::kComplete) << r.error().cause;
  EXPECT_EQ(run.consumed, in.size());
  EXPECT_EQ(c.body, "hello");
  EXPECT_TRUE(c.got_trailers);
  EXPECT_TRUE(c.trailers.empty());
  EXPECT_EQ(r.bodyBytesRead(), 5u);
}

TEST(MessageReader, TrailersSurviveTheCallersBuffer) {
  // Trailers are copied: they stay valid after the buffer they came in is gone.
  MessageReader r(MessageReader::Kind::kResponse, {});
  r.reset(Method::kGet);
  Collect c;
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(r.readHead(head.data(), head.size()), head.size());
  {
    std::string body = "0\r\nX-T: value\r\n\r\n";
    ASSERT_EQ(r.readBody(body.data(), body.size(), c), body.size());
    body.assign(body.size(), '#');
  }
  ASSERT_EQ(r.state(), MessageReader::State::kComplete);
  ASSERT_EQ(c.trailers.size(), 1u);
  EXPECT_EQ(c.trailers[0].name, "X-T");
  EXPECT_EQ(c.trailers[0].value, "value");
}

TEST(MessageReader, ObsFoldInTrailersIsRejectedWhereverTheBufferSplits) {
  const std::string in =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nx\r\n0\r\nX-T: a\r\n b\r\n\r\n";
  forEverySplit(in, MessageReader::Kind::kRequest,
                [&](MessageReader& r, Collect& c, size_t, size_t split) {
                  EXPECT_EQ(r.state(), MessageReader::State::kError) << "split at " << split;
                  EXPECT_FALSE(c.got_trailers) << "split at " << split;
                });
  Outcome slow = request(in, 1);
  EXPECT_EQ(slow.state, MessageReader::State::kError);
  Outcome tab = request(
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
      "a\r\n\tb\r\n\r\n");
  EXPECT_EQ(tab.state, MessageReader::State::kError);
}

TEST(MessageReader, TrailerValueSplitAcrossBuffersIsNotAFold) {
  const std::string in =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nx\r\n0\r\nX-T: abc def\r\nY: z\r\n\r\n";
  forEverySplit(in, MessageReader::Kind::kRequest,
                [&](MessageReader& r, Collect& c, size_t consumed, size_t split) {
                  ASSERT_EQ(r.state(), MessageReader::State::kComplete)
                      << "split at " << split << ": " << r.error().cause;
                  EXPECT_EQ(consumed, in.size());
                  ASSERT_EQ(c.trailers.size(), 2u) << split;
                  EXPECT_EQ(c.trailers[0].value, "abc def") << split;
                  EXPECT_EQ(c.trailers[1].name, "Y") << split;
                });
}

TEST(MessageReader, BadTrailerLinesAreRejected) {
  using namespace std::string_literals;
  const std::string head =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (const std::string& trailers : {
           ": v\r\n\r\n"s,         // empty name
           "X : v\r\n\r\n"s,       // whitespace before colon
           "X: a\nY: b\r\n\r\n"s,  // bare LF ending a trailer line
           "X: a\rY: b\r\n\r\n"s,  // bare CR
           "X: v\r\n\n"s,          // bare LF ending the trailer section
           "X: v\r\n\rX"s,         // bare CR ending the trailer section
           "X\0Y: v\r\n\r\n"s,     // NUL
           "X: a\0b\r\n\r\n"s,
       }) {
    for (size_t step : {1, 1000}) {
      Outcome run = request(head + trailers, step);
      EXPECT_EQ(run.state, MessageReader::State::kError)
          << step << " " << testing::PrintToString(trailers);
    }
  }
}

TEST(MessageReader, TrailerSectionIsLimited) {
  MessageReader::Limits limits;
  limits.max_head = 200;
  const std::string in =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
      std::string(300, 'v') + "\r\n\r\n";
  MessageReader r(MessageReader::Kind::kRequest, limits);
  r.reset();
  Collect c;
  Outcome run = feed(r, in, 50, c);
  ASSERT_EQ(run.state, MessageReader::State::kError);
  EXPECT_EQ(r.error().code, ErrorCode::kHeadersTooLarge);
}

// RFC 9112 7.1.1. (llhttp 8.1 refuses two valid forms: BWS around ";" and "=", and a
// quoted-pair inside a quoted extension value; both are refused, never misframed.)
TEST(MessageReader, ChunkExtensionsAreIgnored) {
  const std::string in =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;a=b\r\nabc\r\n2;name;x=\"q;r, s\"\r\nde\r\n1;ws\r\nf\r\n0;last\r\n\r\nNEXT";
  for (size_t step : {1, 3, 1000}) {
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    Outcome run = feed(r, in, step, c);
    ASSERT_EQ(run.state, MessageReader::State::kComplete) << step << " " << r.error().cause;
    EXPECT_EQ(run.consumed, in.size() - 4);
    EXPECT_EQ(c.body, "abcdef");
  }
}

TEST(MessageReader, BadChunkFramingIsRejected) {
  const std::string head =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* body : {
           "3\nabc\r\n0\r\n\r\n",    // bare LF after the size
           "3\r\nabc\n0\r\n\r\n",    // bare LF after the data
           "3\rabc\r\n0\r\n\r\n",    // bare CR after the size
           "x\r\nabc\r\n0\r\n\r\n",  // not hex
           "-3\r\nabc\r\n0\r\n\r\n", "0x3\r\nabc\r\n0\r\n\r\n",
           "\r\n3\r\nabc\r\n0\r\n\r\n",  // empty size
           "3\r\nabcd\r\n0\r\n\r\n",     // more data than the size
           "10000000000000000\r\n",      // 2^64: overflow
       }) {
    for (size_t step : {1, 1000}) {
      Outcome run = request(head + body, step);
      EXPECT_EQ(run.state, MessageReader::State::kError) << step << " " << body;
    }
  }
}

TEST(MessageReader, PipelinedRequestsAreReadOneByOne) {
  const std::string first = "POST http://a/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  const std::string second = "GET http://a/2 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string third =
      "PUT http://a/3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  const std::string in = first + second + third + "GARBAGE";
  MessageReader r(MessageReader::Kind::kRequest, {});
  size_t pos = 0;
  const char* targets[] = {"http://a/1", "http://a/2", "http://a/3"};
  const char* bodies[] = {"hello", "", "hi"};
  const size_t ends[] = {first.size(), first.size() + second.size(),
                         first.size() + second.size() + third.size()};
  for (int i = 0; i < 3; ++i) {
    r.reset();
    Collect c;
    pos += r.readHead(in.data() + pos, in.size() - pos);
    while (r.state() == MessageReader::State::kBody) {
      pos += r.readBody(in.data() + pos, in.size() - pos, c);
    }
    ASSERT_EQ(r.state(), MessageReader::State::kComplete) << i << " " << r.error().cause;
    EXPECT_EQ(r.request().target, targets[i]);
    EXPECT_EQ(c.body, bodies[i]);
    EXPECT_EQ(pos, ends[i]) << i;
  }
  EXPECT_EQ(in.substr(pos), "GARBAGE");
  // The garbage is the next request's problem, not this one's.
  r.reset();
  size_t used = r.readHead(in.data() + pos, in.size() - pos);
  EXPECT_EQ(used, 7u);
  EXPECT_EQ(r.state(), MessageReader::State::kHead);
}

TEST(MessageReader, ResponseStopsAtItsEndLeavingLaterBytes) {
  // Bytes after a complete response must never be taken as part of it (or of the next).
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const std::string in = first + "HTTP/1.1 200 OK\r\n\r\nextra";
  for (size_t step : {1, 2, 1000}) {
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    Outcome run = feed(r, in, step, c);
    ASSERT_EQ(run.state, MessageReader::State::kComplete);
    EXPECT_EQ(run.consumed, first.size()) << step;
    EXPECT_EQ(c.body, "abc");
  }
}

TEST(MessageReader, InterimResponsesThenFinal) {
  const std::string c100 = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string c103 = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n";
  const std::string final_response = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  const std::string in = c100 + c103 + final_response;
  MessageReader r(MessageReader::Kind::kResponse, {});
  size_t pos = 0;
  const int statuses[] = {100, 103, 201};
  for (int status : statuses) {
    r.reset(Method::kPost);
    Collect c;
    pos += r.readHead(in.data() + pos, in.size() - pos);
    while (r.state() == MessageReader::State::kBody)
      pos += r.readBody(in.data() + pos, in.size() - pos, c);
    ASSERT_EQ(r.state(), MessageReader::State::kComplete) << status << " " << r.error().cause;
    EXPECT_EQ(r.response().status, status);
    if (status == 201) {
      EXPECT_EQ(c.body, "ok");
      EXPECT_EQ(r.response().reason, "Created");
    } else {
      EXPECT_EQ(r.framing().kind, Framing::kNone);
    }
  }
  EXPECT_EQ(pos, in.size());
}

TEST(MessageReader, ConnectStopsAtTheEndOfTheHead) {
  const std::string head = "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n";
  const std::string in = head + "\x16\x03\x01 tls bytes";
  for (size_t step : {1, 1000}) {
    Outcome run = request(in, step);
    EXPECT_EQ(run.state, MessageReader::State::kComplete);
    EXPECT_EQ(run.consumed, head.size());
  }
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  r.readHead(in.data(), in.size());
  EXPECT_EQ(r.request().method, Method::kConnect);
  EXPECT_EQ(r.request().target, "a.example:443");
  EXPECT_EQ(r.framing().kind, Framing::kTunnel);
}

TEST(MessageReader, ConnectAndUpgradeResponsesAreTunnels) {
  const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  Outcome run = response(ok + "tunnel data", Method::kConnect);
  EXPECT_EQ(run.state, MessageReader::State::kComplete);
  EXPECT_EQ(run.consumed, ok.size());
  const std::string up =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  Outcome upgrade = response(up + "frames", Method::kGet);
  EXPECT_EQ(upgrade.state, MessageReader::State::kComplete);
  EXPECT_EQ(upgrade.consumed, up.size());
}

TEST(MessageReader, HeadResponseWithChunkedHasNoBody) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Outcome run = response(head + "HTTP/1.1 200 OK\r\n", Method::kHead);
  EXPECT_EQ(run.state, MessageReader::State::kComplete);
  EXPECT_EQ(run.consumed, head.size());
}

TEST(MessageReader, ZeroContentLengthCompletesAfterTheHead) {
  const std::string head = "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
  Outcome run = request(head + "GET");
  EXPECT_EQ(run.state, MessageReader::State::kComplete);
  EXPECT_EQ(run.consumed, head.size());
}

TEST(MessageReader, HeadViewsPointIntoTheHeadsOwnBuffer) {
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  RequestHead head;
  {
    std::string in =
        "GET http://a/x HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(100, 'v') + "\r\n\r\n";
    ASSERT_EQ(r.readHead(in.data(), in.size()), in.size());
    head = std::move(r.request());
    in.assign(in.size(), '#');
  }
  r.reset();
  EXPECT_EQ(head.method_name, "GET");
  EXPECT_EQ(head.target, "http://a/x");
  EXPECT_EQ(head.version, (HttpVersion{1, 1}));
  ASSERT_EQ(head.headers.size(), 2u);
  EXPECT_EQ(head.headers[1].value, std::string(100, 'v'));
}

TEST(MessageReader, VersionsAndStartLines) {
  // llhttp 8.1 gaps: HTTP/0.9 and HTTP/2.0 request lines are refused by cuttle.
  for (const char* bad : {
           "GET /\r\n\r\n",  // HTTP/0.9
           "GET http://a/ HTTP/0.9\r\nHost: a\r\n\r\n",
           "GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n",
           "GET http://a/ HTTP/3.0\r\nHost: a\r\n\r\n",
           "GET http://a/ HTTP/1.1 \r\nHost: a\r\n\r\n",  // trailing space
           "GET http://a/ http/1.1\r\nHost: a\r\n\r\n",
           "GET http://a/\tHTTP/1.1\r\nHost: a\r\n\r\n",
       }) {
    EXPECT_EQ(request(bad).state, MessageReader::State::kError) << bad;
  }
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  std::string ten = "GET http://a/ HTTP/1.0\r\n\r\n";
  r.readHead(ten.data(), ten.size());
  ASSERT_EQ(r.state(), MessageReader::State::kComplete);
  EXPECT_EQ(r.request().version, (HttpVersion{1, 0}));
}

TEST(MessageReader, BadResponsesAreUpstreamErrors) {
  for (const char* bad : {
           "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
           "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
           "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       }) {
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    Outcome run = feed(r, bad, 1000, c);
    ASSERT_EQ(run.state, MessageReader::State::kError) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << bad;
    EXPECT_EQ(r.error().side, Side::kUpstream) << bad;
  }
}

TEST(MessageReader, RequestErrorsCarryTheirStatusCodes) {
  struct Case {
    std::string in;
    MessageReader::Limits limits;
    ErrorCode code;
  };
  MessageReader::Limits small;
  small.max_head = 100;
  small.max_first_line = 40;
  const Case cases[] = {
      {"GET http://a/" + std::string(60, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n", small,
       ErrorCode::kUriTooLong},
      {"GET http://a/ HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'x') + "\r\n\r\n", small,
       ErrorCode::kHeadersTooLarge},
      {"GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n", {}, ErrorCode::kVersionNotSupported},
      {"POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br, chunked\r\n\r\n",
       {},
       ErrorCode::kNotImplemented},
      {"GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", {}, ErrorCode::kBadRequest},
  };
  for (const Case& k : cases) {
    for (size_t step : {1, 1000}) {
      MessageReader r(MessageReader::Kind::kRequest, k.limits);
      r.reset();
      Collect c;
      Outcome run = feed(r, k.in, step, c);
      ASSERT_EQ(run.state, MessageReader::State::kError) << k.in;
      EXPECT_EQ(r.error().code, k.code) << step << " " << k.in;
      EXPECT_EQ(r.error().side, Side::kClient);
    }
  }
}

TEST(MessageReader, EofRules) {
  {
    // Nothing received: a silent close, not an error.
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    EXPECT_FALSE(r.finishAtEof(c));
    EXPECT_EQ(r.state(), MessageReader::State::kHead);
    EXPECT_FALSE(r.headStarted());
  }
  {
    // Only empty lines: still nothing started.
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    EXPECT_EQ(r.readHead("\r\n", 2), 2u);
    EXPECT_FALSE(r.headStarted());
    EXPECT_FALSE(r.finishAtEof(c));
    EXPECT_EQ(r.state(), MessageReader::State::kHead);
  }
  {
    // Half a head: the client went away.
    MessageReader r(MessageReader::Kind::kRequest, {});
    r.reset();
    Collect c;
    EXPECT_EQ(r.readHead("GET http", 8), 8u);
    EXPECT_TRUE(r.headStarted());
    EXPECT_EQ(r.headBytes(), 8u);
    EXPECT_FALSE(r.finishAtEof(c));
    EXPECT_EQ(r.state(), MessageReader::State::kError);
    EXPECT_EQ(r.error().code, ErrorCode::kClientClosed);
  }
  {
    // A chunked response cut before its last chunk is truncated, never complete.
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    feed(r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 1000, c);
    ASSERT_EQ(r.state(), MessageReader::State::kBody);
    EXPECT_FALSE(r.finishAtEof(c));
    EXPECT_EQ(r.error().code, ErrorCode::kUpstreamClosed);
    EXPECT_EQ(c.body, "abc");
  }
  {
    // A complete message stays complete at EOF.
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    feed(r, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 1000, c);
    EXPECT_TRUE(r.finishAtEof(c));
    EXPECT_EQ(r.state(), MessageReader::State::kComplete);
  }
  {
    // An empty close-delimited body is complete at EOF.
    MessageReader r(MessageReader::Kind::kResponse, {});
    r.reset(Method::kGet);
    Collect c;
    feed(r, "HTTP/1.1 200 OK\r\n\r\n", 1000, c);
    ASSERT_EQ(r.state(), MessageReader::State::kBody);
    EXPECT_TRUE(r.finishAtEof(c));
    EXPECT_EQ(c.body, "");
  }
}

TEST(MessageReader, ReaderIsReusableAfterAnError) {
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  Collect c;
  feed(r, "GET http://a/ HTTP/1.1\nHost: a\r\n\r\n", 1000, c);
  ASSERT_EQ(r.state(), MessageReader::State::kError);
  r.reset();
  Outcome run = feed(r, "GET http://a/ok HTTP/1.1\r\nHost: a\r\n\r\n", 1000, c);
  EXPECT_EQ(run.state, MessageReader::State::kComplete);
  EXPECT_EQ(r.request().target, "http://a/ok");
}

// cuttle decides the framing (framing.h) but llhttp decodes the body: the two must never
// disagree about where a body ends, or the bytes after it would be read as a new request.
// Every variant is either refused or read to exactly the end of its body.
TEST(MessageReader, FramingVariantsNeverDesynchronise) {
  const std::string next = "GET http://b/ HTTP/1.1\r\nHost: b\r\n\r\n";
  struct Case {
    const char* fields;
    bool chunked;
  };
  const Case cases[] = {
      {"Transfer-Encoding: chunked\r\n", true},
      {"transfer-encoding: Chunked\r\n", true},
      {"Transfer-Encoding:chunked\r\n", true},
      {"Transfer-Encoding: , chunked\r\n", true},
      {"Transfer-Encoding: ,,chunked\r\n", true},
      {"Transfer-Encoding: chunked,\r\n", true},
      {"Transfer-Encoding: chunked\t\r\n", true},
      {"Transfer-Encoding: ,\r\nTransfer-Encoding: chunked\r\n", true},
      {"Transfer-Encoding: \r\nTransfer-Encoding: chunked\r\n", true},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: \r\n", true},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n", true},
      {"Transfer-Encoding: chunked\r\nX: y\r\nTransfer-Encoding: ,,\r\n", true},
      {"Transfer-Encoding: \"chunked\"\r\n", true},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", true},
      {"Content-Length: 5\r\n", false},
      {"Content-Length: 05\r\n", false},
      {"Content-Length:5 \r\n", false},
      {"Content-Length: 5\r\nContent-Length: 5\r\n", false},
      {"Content-Length: 5\r\nContent-Length: 05\r\n", false},
      {"Content-Length: 5\r\nContent-Length: 6\r\n", false},
  };
  for (const Case& k : cases) {
    const std::string body = k.chunked ? "5\r\nhello\r\n0\r\n\r\n" : "hello";
    const std::string message =
        std::string("POST http://a/ HTTP/1.1\r\nHost: a\r\n") + k.fields + "\r\n" + body;
    for (size_t step : {1, 1000}) {
      MessageReader r(MessageReader::Kind::kRequest, {});
      r.reset();
      Collect c;
      Outcome run = feed(r, message + next, step, c);
      if (run.state == MessageReader::State::kError) continue;  // refused: fine
      ASSERT_EQ(run.state, MessageReader::State::kComplete) << k.fields;
      EXPECT_EQ(run.consumed, message.size()) << step << " " << k.fields;
      EXPECT_EQ(c.body, "hello") << step << " " << k.fields;
    }
  }
}

TEST(MessageReader, EmptyFieldValuesAreKept) {
  MessageReader r(MessageReader::Kind::kRequest, {});
  r.reset();
  const std::string in =
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Blank:   \r\nX-After: v\r\n\r\n";
  ASSERT_EQ(r.readHead(in.data(), in.size()), in.size());
  ASSERT_EQ(r.state(), MessageReader::State::kComplete) << r.error().cause;
  const HeaderList& h = r.request().headers;
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[1].name, "X-Empty");
  EXPECT_EQ(h[1].value, "");
  EXPECT_EQ(h[2].name, "X-Blank");
  EXPECT_EQ(h[2].value, "");
  EXPECT_EQ(h[3].value, "v");
}

}  // namespace
}  // namespace cuttle
