// MessageReader: reads one HTTP/1.x message at a time from a byte stream, on top of llhttp
// 8.1 in strict mode, and closes what llhttp leaves open (see head_scanner.h, framing.h):
//
//   head  -> HeadScanner copies the head into the message's own buffer and checks its line
//            syntax; llhttp then parses that buffer, so every view in the head points into
//            memory the head owns. Framing is decided by framing.h, not by llhttp's flags.
//   body  -> llhttp decodes Content-Length and chunked bodies; data is handed to a
//            BodyListener as views into the caller's buffer, valid during the call only.
//            Trailers are copied. The reader stops exactly at the end of the message, so the
//            caller sees where the next message (or garbage) starts.
//
// One reader per connection direction; reset() starts the next message. Not thread-safe.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/framing.h"
#include "common/head_scanner.h"
#include "common/message.h"

namespace cuttle {

class BodyListener {
 public:
  virtual ~BodyListener() = default;
  // A piece of decoded body. The view is valid during the call only.
  virtual void onBodyData(std::string_view data) = 0;
  // The trailer section of a chunked message (possibly empty), before completion.
  virtual void onTrailers(HeaderList&& trailers) { (void)trailers; }
};

class MessageReader {
 public:
  enum class Kind : uint8_t { kRequest, kResponse };
  enum class State : uint8_t { kHead, kBody, kComplete, kError };
  struct Limits {
    size_t max_head = 64 * 1024;
    size_t max_first_line = 8 * 1024 + 64;
  };

  MessageReader(Kind kind, Limits limits);
  MessageReader(const MessageReader&) = delete;
  MessageReader& operator=(const MessageReader&) = delete;

  // Starts reading the next message. For a response, `request_method` is the method of
  // the request it answers (HEAD and CONNECT change its framing).
  void reset(Method request_method = Method::kGet);

  State state() const { return state_; }
  // True once any byte of the start line has arrived (for 408 versus a silent close).
  bool headStarted() const { return scanner_.started(); }
  // Bytes of head buffered so far (for memory accounting).
  size_t headBytes() const { return raw_.size(); }

  // In kHead: consumes bytes of the head. When the head is complete it is parsed and the
  // state moves to kBody, kComplete (no body, or a tunnel) or kError. Returns the number of
  // bytes consumed.
  size_t readHead(const char* p, size_t n);

  // After the head: the parsed head (move it out once) and its framing.
  RequestHead& request() { return request_; }
  ResponseHead& response() { return response_; }
  const BodyFraming& framing() const { return framing_; }
  uint64_t bodyBytesRead() const { return body_bytes_; }

  // In kBody: consumes body bytes, calling the listener; stops at the end of the message
  // (state kComplete). Returns the number of bytes consumed.
  size_t readBody(const char* p, size_t n, BodyListener& listener);

  // The peer closed its side. Completes a body that ends at close (kComplete) and returns
  // true; anything else in progress is a truncated message (kError) and returns false.
  bool finishAtEof(BodyListener& listener);

  // Valid in kError.
  const Error& error() const { return error_; }

 private:
  static int onMethod(llhttp_t* p, const char* at, size_t len);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onStatus(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t len);
  static int onMessageComplete(llhttp_t* p);

  int headersComplete();
  void fail(ErrorCode code, std::string cause);
  void failFromParser(llhttp_errno_t err);
  void remember(const char* p, size_t n);

  Kind kind_;
  State state_ = State::kHead;
  bool in_head_parse_ = false;
  bool message_done_ = false;
  Method request_method_ = Method::kGet;
  Limits limits_;
  HeadScanner scanner_;
  llhttp_t parser_;
  std::vector<char> raw_;
  RequestHead request_;
  ResponseHead response_;
  BodyFraming framing_;
  uint64_t body_bytes_ = 0;
  Error error_;
  BodyListener* listener_ = nullptr;

  // Field being parsed. In the head: views into raw_. In trailers: copies.
  std::string_view field_name_;
  std::string_view field_value_;
  std::string trailer_name_;
  std::string trailer_value_;
  HeaderList trailers_;
  size_t trailer_bytes_ = 0;
  // obs-fold detection in trailers: llhttp reports a folded value as a second span that is
  // not contiguous with the first.
  const char* exec_begin_ = nullptr;
  const char* prev_exec_end_ = nullptr;
  const char* value_end_ = nullptr;
  // The last bytes consumed in the body phase: a chunked message must end in CRLF CRLF.
  char tail_[4] = {0, 0, 0, 0};
};

}  // namespace cuttle
