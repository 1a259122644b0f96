#include "common/message_reader.h"

#include <cstring>

#include "common/strings.h"

namespace cuttle {
namespace {

MessageReader* self(llhttp_t* p) { return static_cast<MessageReader*>(p->data); }

}  // namespace

MessageReader::MessageReader(Kind kind, Limits limits)
    : kind_(kind), limits_(limits), scanner_(limits.max_head, limits.max_first_line) {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_method = &MessageReader::onMethod;
    s.on_url = &MessageReader::onUrl;
    s.on_status = &MessageReader::onStatus;
    s.on_header_field = &MessageReader::onHeaderField;
    s.on_header_value = &MessageReader::onHeaderValue;
    s.on_header_value_complete = &MessageReader::onHeaderValueComplete;
    s.on_headers_complete = &MessageReader::onHeadersComplete;
    s.on_body = &MessageReader::onBody;
    s.on_message_complete = &MessageReader::onMessageComplete;
    return s;
  }();
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
  parser_.data = this;
}

void MessageReader::reset(Method request_method) {
  state_ = State::kHead;
  message_done_ = false;
  request_method_ = request_method;
  scanner_.reset();
  raw_.clear();
  request_ = RequestHead();
  response_ = ResponseHead();
  framing_ = BodyFraming();
  body_bytes_ = 0;
  field_name_ = {};
  field_value_ = {};
  trailer_name_.clear();
  trailer_value_.clear();
  trailers_ = HeaderList();
  trailer_bytes_ = 0;
  exec_begin_ = prev_exec_end_ = value_end_ = nullptr;
  std::memset(tail_, 0, sizeof(tail_));
}

void MessageReader::fail(ErrorCode code, std::string cause) {
  if (state_ == State::kError) return;
  state_ = State::kError;
  const Side side = kind_ == Kind::kRequest ? Side::kClient : Side::kUpstream;
  if (side == Side::kUpstream && code != ErrorCode::kUpstreamClosed) code = ErrorCode::kBadResponse;
  error_ = Error(code, side, std::move(cause));
}

void MessageReader::failFromParser(llhttp_errno_t err) {
  std::string cause = kind_ == Kind::kRequest ? "invalid request: " : "invalid response: ";
  const char* reason = llhttp_get_error_reason(&parser_);
  cause += reason ? reason : llhttp_errno_name(err);
  fail(ErrorCode::kBadRequest, std::move(cause));
}

size_t MessageReader::readHead(const char* p, size_t n) {
  if (state_ != State::kHead) return 0;
  size_t used = scanner_.scan(p, n, &raw_);
  switch (scanner_.status()) {
    case HeadScanner::Status::kNeedMore:
      return used;
    case HeadScanner::Status::kError:
      fail(scanner_.errorCode(), scanner_.errorReason());
      return used;
    case HeadScanner::Status::kComplete:
      break;
  }
  // Parse the complete head from memory the head owns, so every view stays valid.
  MessageHead& head = kind_ == Kind::kRequest ? static_cast<MessageHead&>(request_) : response_;
  head.raw = std::move(raw_);
  raw_ = {};
  llhttp_reset(&parser_);
  in_head_parse_ = true;
  llhttp_errno_t err = llhttp_execute(&parser_, head.raw.data(), head.raw.size());
  in_head_parse_ = false;
  if (state_ == State::kError) return used;
  if (err == HPE_OK) {
    state_ = message_done_ ? State::kComplete : State::kBody;
  } else if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    state_ = State::kComplete;
  } else {
    failFromParser(err);
  }
  return used;
}

size_t MessageReader::readBody(const char* p, size_t n, BodyListener& listener) {
  if (state_ != State::kBody) return 0;
  listener_ = &listener;
  exec_begin_ = p;
  llhttp_errno_t err = llhttp_execute(&parser_, p, n);
  size_t used = n;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE || err == HPE_USER) {
    used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
  } else if (err != HPE_OK) {
    failFromParser(err);
    used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
  }
  prev_exec_end_ = p + n;
  if (used > n) used = n;
  remember(p, used);
  if (state_ == State::kBody && message_done_) {
    // RFC 9112 7.1: a chunked message ends with the CRLF after the last chunk or after the
    // trailer section. llhttp also takes a bare LF there; a front end that does not would
    // see a different message boundary, so refuse it.
    if (framing_.kind == Framing::kChunked && std::memcmp(tail_, "\r\n\r\n", 4) != 0) {
      fail(ErrorCode::kBadRequest, "chunked body does not end with CRLF");
    } else {
      if (framing_.kind == Framing::kChunked) listener.onTrailers(std::move(trailers_));
      state_ = State::kComplete;
    }
  }
  listener_ = nullptr;
  return used;
}

bool MessageReader::finishAtEof(BodyListener& listener) {
  switch (state_) {
    case State::kComplete:
      return true;
    case State::kError:
      return false;
    case State::kHead:
      if (headStarted() || !raw_.empty()) {
        fail(kind_ == Kind::kRequest ? ErrorCode::kClientClosed : ErrorCode::kUpstreamClosed,
             "connection closed in the middle of the message head");
      }
      return false;
    case State::kBody:
      break;
  }
  if (framing_.kind == Framing::kUntilClose) {
    listener_ = &listener;
    llhttp_errno_t err = llhttp_finish(&parser_);
    listener_ = nullptr;
    if (err == HPE_OK || err == HPE_PAUSED) {
      state_ = State::kComplete;
      return true;
    }
  }
  fail(kind_ == Kind::kRequest ? ErrorCode::kClientClosed : ErrorCode::kUpstreamClosed,
       "connection closed before the end of the body");
  return false;
}

void MessageReader::remember(const char* p, size_t n) {
  if (n >= 4) {
    std::memcpy(tail_, p + n - 4, 4);
    return;
  }
  std::memmove(tail_, tail_ + n, 4 - n);
  std::memcpy(tail_ + 4 - n, p, n);
}

// ---- llhttp callbacks ---------------------------------------------------------------------

int MessageReader::onMethod(llhttp_t* p, const char* at, size_t len) {
  self(p)->request_.method_name = std::string_view(at, len);
  return 0;
}

int MessageReader::onUrl(llhttp_t* p, const char* at, size_t len) {
  self(p)->request_.target = std::string_view(at, len);
  return 0;
}

int MessageReader::onStatus(llhttp_t* p, const char* at, size_t len) {
  self(p)->response_.reason = std::string_view(at, len);
  return 0;
}

int MessageReader::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  MessageReader* r = self(p);
  if (r->in_head_parse_) {
    r->field_name_ = std::string_view(at, len);  // the head is contiguous: one span
    return 0;
  }
  r->trailer_name_.append(at, len);
  r->value_end_ = nullptr;
  r->trailer_bytes_ += len;
  if (r->trailer_bytes_ > r->limits_.max_head) {
    r->fail(ErrorCode::kHeadersTooLarge, "trailer section too large");
    return HPE_USER;
  }
  return 0;
}

int MessageReader::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  MessageReader* r = self(p);
  if (r->in_head_parse_) {
    if (r->field_value_.empty()) {
      r->field_value_ = std::string_view(at, len);
    } else if (r->field_value_.data() + r->field_value_.size() == at) {
      r->field_value_ = std::string_view(r->field_value_.data(), r->field_value_.size() + len);
    } else {
      r->fail(ErrorCode::kBadRequest, "obsolete line folding");
      return HPE_USER;
    }
    return 0;
  }
  // Trailers arrive in pieces across reads; a piece that does not continue the previous
  // one (in the same buffer or across the buffer boundary) is a folded line.
  if (r->value_end_ != nullptr && r->value_end_ != at &&
      !(r->value_end_ == r->prev_exec_end_ && at == r->exec_begin_)) {
    r->fail(ErrorCode::kBadRequest, "obsolete line folding in trailer");
    return HPE_USER;
  }
  r->value_end_ = at + len;
  r->trailer_value_.append(at, len);
  r->trailer_bytes_ += len;
  if (r->trailer_bytes_ > r->limits_.max_head) {
    r->fail(ErrorCode::kHeadersTooLarge, "trailer section too large");
    return HPE_USER;
  }
  return 0;
}

int MessageReader::onHeaderValueComplete(llhttp_t* p) {
  MessageReader* r = self(p);
  if (r->in_head_parse_) {
    if (r->field_name_.empty()) {
      r->fail(ErrorCode::kBadRequest, "empty field name");
      return HPE_USER;
    }
    MessageHead& head =
        r->kind_ == Kind::kRequest ? static_cast<MessageHead&>(r->request_) : r->response_;
    head.headers.add(r->field_name_, trimOws(r->field_value_));
    r->field_name_ = {};
    r->field_value_ = {};
    return 0;
  }
  if (r->trailer_name_.empty() || !isToken(r->trailer_name_)) {
    r->fail(ErrorCode::kBadRequest, "invalid trailer field name");
    return HPE_USER;
  }
  r->trailers_.addCopy(r->trailer_name_, trimOws(r->trailer_value_));
  r->trailer_name_.clear();
  r->trailer_value_.clear();
  r->value_end_ = nullptr;
  return 0;
}

int MessageReader::onHeadersComplete(llhttp_t* p) { return self(p)->headersComplete(); }

int MessageReader::headersComplete() {
  Result<BodyFraming> framing = BodyFraming();
  if (kind_ == Kind::kRequest) {
    request_.version = HttpVersion{parser_.http_major, parser_.http_minor};
    request_.method = parseMethod(request_.method_name);
    Status valid = validateRequestHead(request_);
    if (!valid) {
      const Error& e = valid.error();
      fail(e.code, e.cause);
      return HPE_USER;
    }
    framing = requestFraming(request_);
  } else {
    response_.version = HttpVersion{parser_.http_major, parser_.http_minor};
    response_.status = parser_.status_code;
    if (response_.version.major != 1) {
      fail(ErrorCode::kBadResponse, "response is not HTTP/1.x");
      return HPE_USER;
    }
    if (response_.status < 100 || response_.status > 599) {
      fail(ErrorCode::kBadResponse, "invalid status code");
      return HPE_USER;
    }
    framing = responseFraming(response_, request_method_);
  }
  if (!framing) {
    const Error& e = framing.error();
    fail(e.code, e.cause);
    return HPE_USER;
  }
  framing_ = *framing;
  switch (framing_.kind) {
    case Framing::kNone:
      return 1;  // no body, whatever llhttp would infer
    case Framing::kTunnel:
      return 2;  // no body; llhttp pauses as for an upgrade
    default:
      return 0;
  }
}

int MessageReader::onBody(llhttp_t* p, const char* at, size_t len) {
  MessageReader* r = self(p);
  r->body_bytes_ += len;
  if (r->listener_ != nullptr) r->listener_->onBodyData(std::string_view(at, len));
  return 0;
}

int MessageReader::onMessageComplete(llhttp_t* p) {
  self(p)->message_done_ = true;
  return HPE_PAUSED;  // stop exactly at the end of this message
}

}  // namespace cuttle
