#include "common/framing.h"

#include "common/strings.h"

namespace cuttle {
namespace {

bool isKnownCoding(std::string_view c) {
  return iequals(c, "gzip") || iequals(c, "x-gzip") || iequals(c, "deflate") ||
         iequals(c, "compress") || iequals(c, "x-compress") || iequals(c, "identity");
}

// Validates Transfer-Encoding: it must be exactly one "chunked" (case-insensitive), in
// as many field lines and empty list elements as the sender likes. Returns the error
// code to use otherwise.
Status checkTransferEncoding(const HeaderList& headers, Side side) {
  const ErrorCode bad = side == Side::kClient ? ErrorCode::kBadRequest : ErrorCode::kBadResponse;
  const ErrorCode unsupported =
      side == Side::kClient ? ErrorCode::kNotImplemented : ErrorCode::kBadResponse;
  int chunked = 0;
  int elements = 0;
  bool chunked_last = false;
  std::string_view unknown;
  for (const HeaderField& f : headers) {
    if (f.id != HeaderId::kTransferEncoding) continue;
    ListIterator it(f.value);
    std::string_view e;
    while (it.next(&e)) {
      ++elements;
      chunked_last = iequals(e, "chunked");
      if (chunked_last) {
        ++chunked;
      } else if (unknown.empty()) {
        unknown = e;
      }
    }
  }
  if (elements == 0) return Error(bad, side, "empty Transfer-Encoding");
  if (chunked > 1) return Error(bad, side, "chunked applied more than once");
  if (!unknown.empty()) {
    // A coding other than chunked: cuttle does not decode or re-frame it. If chunked is
    // not the final coding the length is undeterminable: a plain framing error.
    if (!chunked_last) return Error(bad, side, "Transfer-Encoding does not end in chunked");
    std::string why = isKnownCoding(unknown) ? "unsupported transfer coding: " : "unknown transfer coding: ";
    why.append(unknown.substr(0, 40));
    return Error(unsupported, side, std::move(why));
  }
  return {};
}

Result<uint64_t> checkContentLength(const HeaderList& headers, Side side) {
  const ErrorCode bad = side == Side::kClient ? ErrorCode::kBadRequest : ErrorCode::kBadResponse;
  std::optional<uint64_t> length;
  for (const HeaderField& f : headers) {
    if (f.id != HeaderId::kContentLength) continue;
    // Only 1*DIGIT: no sign, no hex, no list, no whitespace inside (RFC 9110 8.6).
    auto v = parseDecimal(trimOws(f.value));
    if (!v) return Error(bad, side, "invalid Content-Length");
    if (length && *length != *v) return Error(bad, side, "conflicting Content-Length values");
    length = v;
  }
  return *length;
}

}  // namespace

Result<BodyFraming> requestFraming(const RequestHead& head) {
  const HeaderList& h = head.headers;
  const bool has_te = h.has(HeaderId::kTransferEncoding);
  const bool has_cl = h.has(HeaderId::kContentLength);
  if (head.method == Method::kConnect) {
    // RFC 9110 9.3.6: CONNECT has no content; what follows the head is tunnel data. A
    // CONNECT claiming a body is ambiguous about where the tunnel starts: refused.
    if (has_te || (has_cl && h.get(HeaderId::kContentLength) != "0")) {
      return Error(ErrorCode::kBadRequest, Side::kClient, "CONNECT with a request body");
    }
    return BodyFraming{Framing::kTunnel, 0};
  }
  if (has_te) {
    if (has_cl) {
      return Error(ErrorCode::kBadRequest, Side::kClient,
                   "both Content-Length and Transfer-Encoding");
    }
    if (!head.version.is11OrLater()) {
      // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
      return Error(ErrorCode::kBadRequest, Side::kClient, "Transfer-Encoding in an HTTP/1.0 request");
    }
    Status te = checkTransferEncoding(h, Side::kClient);
    if (!te) return te.takeError();
    return BodyFraming{Framing::kChunked, 0};
  }
  if (has_cl) {
    auto len = checkContentLength(h, Side::kClient);
    if (!len) return len.takeError();
    if (*len == 0) return BodyFraming{Framing::kNone, 0};
    return BodyFraming{Framing::kLength, *len};
  }
  return BodyFraming{Framing::kNone, 0};
}

Result<BodyFraming> responseFraming(const ResponseHead& head, Method request_method) {
  const int s = head.status;
  if (request_method == Method::kConnect && s >= 200 && s < 300) {
    return BodyFraming{Framing::kTunnel, 0};
  }
  if (s == 101) return BodyFraming{Framing::kTunnel, 0};
  if (request_method == Method::kHead || (s >= 100 && s < 200) || s == 204 || s == 304) {
    return BodyFraming{Framing::kNone, 0};
  }
  const HeaderList& h = head.headers;
  const bool has_te = h.has(HeaderId::kTransferEncoding);
  const bool has_cl = h.has(HeaderId::kContentLength);
  if (has_te) {
    if (has_cl) {
      return Error(ErrorCode::kBadResponse, Side::kUpstream,
                   "response has both Content-Length and Transfer-Encoding");
    }
    if (!head.version.is11OrLater()) {
      return Error(ErrorCode::kBadResponse, Side::kUpstream,
                   "Transfer-Encoding in an HTTP/1.0 response");
    }
    Status te = checkTransferEncoding(h, Side::kUpstream);
    if (!te) return te.takeError();
    return BodyFraming{Framing::kChunked, 0};
  }
  if (has_cl) {
    auto len = checkContentLength(h, Side::kUpstream);
    if (!len) return len.takeError();
    if (*len == 0) return BodyFraming{Framing::kNone, 0};
    return BodyFraming{Framing::kLength, *len};
  }
  return BodyFraming{Framing::kUntilClose, 0};
}

Status validateRequestHead(const RequestHead& head) {
  if (head.version.major != 1) {
    if (head.version.major == 0) {
      return Error(ErrorCode::kBadRequest, Side::kClient, "HTTP/0.9 is not supported");
    }
    return Error(ErrorCode::kVersionNotSupported, Side::kClient, "only HTTP/1.x is supported");
  }
  const size_t hosts = head.headers.count(HeaderId::kHost);
  if (hosts > 1) return Error(ErrorCode::kBadRequest, Side::kClient, "more than one Host header");
  if (hosts == 0 && head.version.is11OrLater()) {
    return Error(ErrorCode::kBadRequest, Side::kClient, "missing Host header");
  }
  return {};
}

bool requestWantsKeepAlive(const RequestHead& head) {
  const HeaderList& h = head.headers;
  if (h.hasToken(HeaderId::kConnection, "close")) return false;
  if (head.version.is11OrLater()) return true;
  return h.hasToken(HeaderId::kConnection, "keep-alive") ||
         h.hasToken(HeaderId::kProxyConnection, "keep-alive");
}

bool responseAllowsKeepAlive(const ResponseHead& head, const BodyFraming& framing) {
  if (framing.kind == Framing::kUntilClose || framing.kind == Framing::kTunnel) return false;
  const HeaderList& h = head.headers;
  if (h.hasToken(HeaderId::kConnection, "close")) return false;
  if (head.version.is11OrLater()) return true;
  return h.hasToken(HeaderId::kConnection, "keep-alive");
}

}  // namespace cuttle
