#include "common/head_scanner.h"

#include <algorithm>

#include "common/strings.h"

namespace cuttle {
namespace {

struct Tables {
  bool line_stop[256] = {};  // bytes that end a run inside a line: CR, LF, NUL
  bool tchar[256] = {};
  Tables() {
    line_stop[static_cast<unsigned char>('\r')] = true;
    line_stop[static_cast<unsigned char>('\n')] = true;
    line_stop[0] = true;
    for (int c = 0; c < 256; ++c) tchar[c] = isTchar(static_cast<char>(c));
  }
};
const Tables kTables;
const bool* const kLineStop = kTables.line_stop;
const bool* const kTchar = kTables.tchar;

}  // namespace

void HeadScanner::reset() {
  head_size_ = 0;
  first_line_size_ = 0;
  leading_size_ = 0;
  state_ = State::kLeading;
  status_ = Status::kNeedMore;
  error_reason_ = "";
}

size_t HeadScanner::fail(ErrorCode code, const char* reason, size_t at) {
  status_ = Status::kError;
  error_code_ = code;
  error_reason_ = reason;
  return at;
}

size_t HeadScanner::scan(const char* p, size_t n, std::vector<char>* out) {
  if (status_ != Status::kNeedMore) return 0;
  size_t i = 0;
  size_t head_from = 0;  // first byte of this call that belongs to the head
  // Skip empty lines before the start line; they are not copied.
  while (i < n && (state_ == State::kLeading || state_ == State::kLeadingCR)) {
    char c = p[i];
    if (state_ == State::kLeading) {
      if (c == '\r') {
        state_ = State::kLeadingCR;
      } else if (c == '\n') {
        return fail(ErrorCode::kBadRequest, "bare LF before the start line", i);
      } else {
        state_ = State::kFirstLine;
        break;
      }
    } else if (c == '\n') {
      state_ = State::kLeading;
    } else {
      return fail(ErrorCode::kBadRequest, "bare CR before the start line", i);
    }
    if (++leading_size_ > 64) return fail(ErrorCode::kBadRequest, "too many empty lines", i);
    ++i;
  }
  head_from = i;
  for (; i < n; ++i) {
    switch (state_) {
      case State::kFirstLine: {
        // Fast path: runs of ordinary bytes.
        const size_t start = i;
        while (i < n && !kLineStop[static_cast<unsigned char>(p[i])]) ++i;
        first_line_size_ += i - start;
        // A request line that alone exceeds the head limit is a URI problem, not a header
        // one. The error is at the first byte beyond the limit, however the bytes arrive.
        const size_t line_limit = std::min(max_first_line_, max_head_);
        if (first_line_size_ > line_limit) {
          return fail(ErrorCode::kUriTooLong, "start line too long", i - (first_line_size_ - line_limit));
        }
        if (i == n) break;
        const char c = p[i];
        if (c == '\r') {
          state_ = State::kFirstLineCR;
        } else if (c == '\n') {
          return fail(ErrorCode::kBadRequest, "bare LF in start line", i);
        } else {
          return fail(ErrorCode::kBadRequest, "NUL in message head", i);
        }
        break;
      }
      case State::kFirstLineCR:
        if (p[i] != '\n') return fail(ErrorCode::kBadRequest, "bare CR in start line", i);
        state_ = State::kLineStart;
        break;
      case State::kLineStart: {
        const char c = p[i];
        if (c == '\r') {
          state_ = State::kEndCR;
        } else if (c == ' ' || c == '\t') {
          return fail(ErrorCode::kBadRequest, "obsolete line folding or whitespace before a field", i);
        } else if (c == '\n') {
          return fail(ErrorCode::kBadRequest, "bare LF in header section", i);
        } else if (c == ':') {
          return fail(ErrorCode::kBadRequest, "empty field name", i);
        } else if (c == '\0') {
          return fail(ErrorCode::kBadRequest, "NUL in message head", i);
        } else if (!isTchar(c)) {
          return fail(ErrorCode::kBadRequest, "invalid character in field name", i);
        } else {
          state_ = State::kName;
        }
        break;
      }
      case State::kName: {
        while (i < n && kTchar[static_cast<unsigned char>(p[i])]) ++i;
        if (i == n) break;
        const char c = p[i];
        if (c == ':') {
          state_ = State::kValue;
        } else if (c == ' ' || c == '\t') {
          return fail(ErrorCode::kBadRequest, "whitespace between field name and colon", i);
        } else if (c == '\0') {
          return fail(ErrorCode::kBadRequest, "NUL in message head", i);
        } else {
          return fail(ErrorCode::kBadRequest, "invalid character in field name", i);
        }
        break;
      }
      case State::kValue: {
        while (i < n && !kLineStop[static_cast<unsigned char>(p[i])]) ++i;
        if (i == n) break;
        const char c = p[i];
        if (c == '\r') {
          state_ = State::kValueCR;
        } else if (c == '\n') {
          return fail(ErrorCode::kBadRequest, "bare LF in field value", i);
        } else {
          return fail(ErrorCode::kBadRequest, "NUL in message head", i);
        }
        break;
      }
      case State::kValueCR:
        if (p[i] != '\n') return fail(ErrorCode::kBadRequest, "bare CR in field value", i);
        state_ = State::kLineStart;
        break;
      case State::kEndCR:
        if (p[i] != '\n') return fail(ErrorCode::kBadRequest, "bare CR at end of header section", i);
        ++i;
        head_size_ += i - head_from;
        if (head_size_ > max_head_) {
          // Fail at the first byte beyond the limit, as a byte-by-byte feed would.
          return fail(ErrorCode::kHeadersTooLarge, "header section too large",
                      i - (head_size_ - max_head_));
        }
        out->insert(out->end(), p + head_from, p + i);
        status_ = Status::kComplete;
        return i;
      case State::kLeading:
      case State::kLeadingCR:
        break;  // handled above
    }
  }
  head_size_ += n - head_from;
  if (head_size_ > max_head_) {
    // (A start line over the limit was caught above, byte by byte.)
    return fail(ErrorCode::kHeadersTooLarge, "header section too large",
                n - (head_size_ - max_head_));
  }
  out->insert(out->end(), p + head_from, p + n);
  return n;
}

}  // namespace cuttle
