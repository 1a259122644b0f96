// HeadScanner finds the end of an HTTP/1.x message head in a byte stream and enforces the
// line syntax of RFC 9112 2.2 and 5 that llhttp 8.1 (even in strict mode) does not:
//   - every line ends in CRLF: a bare LF or a bare CR anywhere in the head is an error
//     (llhttp accepts "\n" and "\r<any>" as the end of the head);
//   - no obs-fold: a field line may not start with SP or HTAB (llhttp folds it into the
//     previous value);
//   - a field name is non-empty and has no whitespace before the colon;
//   - no NUL;
//   - size limits: the whole head and the first line (request line, for 414).
// Empty lines before the start line are skipped (RFC 9112 2.2 allows ignoring them) and
// are not part of the head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/error.h"

namespace cuttle {

class HeadScanner {
 public:
  enum class Status : uint8_t { kNeedMore, kComplete, kError };

  HeadScanner(size_t max_head, size_t max_first_line)
      : max_head_(max_head), max_first_line_(max_first_line) {}

  void reset();
  // Scans [p, p + n), appending the head's bytes to *out. Returns the number of bytes
  // consumed: on kComplete, up to and including the LF of the empty line that ends the
  // head; on kError, where the error was found.
  size_t scan(const char* p, size_t n, std::vector<char>* out);

  Status status() const { return status_; }
  // Any byte of a start line seen (leading empty lines do not count).
  bool started() const { return state_ != State::kLeading && state_ != State::kLeadingCR; }
  ErrorCode errorCode() const { return error_code_; }
  const char* errorReason() const { return error_reason_; }

 private:
  enum class State : uint8_t {
    kLeading, kLeadingCR, kFirstLine, kFirstLineCR, kLineStart, kName, kValue, kValueCR, kEndCR,
  };
  size_t fail(ErrorCode code, const char* reason, size_t at);

  size_t max_head_;
  size_t max_first_line_;
  size_t head_size_ = 0;
  size_t first_line_size_ = 0;
  size_t leading_size_ = 0;
  State state_ = State::kLeading;
  Status status_ = Status::kNeedMore;
  ErrorCode error_code_ = ErrorCode::kBadRequest;
  const char* error_reason_ = "";
};

}  // namespace cuttle
