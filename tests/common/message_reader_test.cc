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
    if (r.state() == MessageReader::State::kError || r.state() == MessageReader::State::kComplete) break;
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
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",         // obs-fold
      "GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n",                      // space before colon
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\n",                         // bare LF end
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\rX",                        // bare CR end
      "GET http://a/ HTTP/1.1\nHost: a\r\n\r\n",                         // bare LF request line
      "GET http://a/ HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",                // empty name
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
      "POST http://a/ HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF3\r\nabc\r\n0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
      "GET http://a/ HTTP/1.1\r\n\r\n",                                  // no Host
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",            // two Hosts
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

}  // namespace
}  // namespace cuttle
