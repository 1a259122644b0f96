#include "proxy/error_page.h"

#include "common/message.h"
#include "common/strings.h"

namespace cuttle::proxy {

int httpStatusFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kBadRequest: return 400;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kRequestTimeout: return 408;
    case ErrorCode::kBodyTooLarge: return 413;
    case ErrorCode::kUriTooLong: return 414;
    case ErrorCode::kHeadersTooLarge: return error.side == Side::kClient ? 431 : 502;
    case ErrorCode::kNotImplemented: return 501;
    case ErrorCode::kVersionNotSupported: return 505;
    case ErrorCode::kConnectFailed:
    case ErrorCode::kBadResponse:
    case ErrorCode::kUpstreamClosed:
    case ErrorCode::kDnsFailed:
      return 502;
    case ErrorCode::kServiceUnavailable: return 503;
    case ErrorCode::kConnectTimeout:
    case ErrorCode::kUpstreamTimeout:
    case ErrorCode::kDnsTimeout:
    case ErrorCode::kGatewayTimeout:
      return 504;
    case ErrorCode::kClientClosed:
    case ErrorCode::kIo:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kInternal:
      break;
  }
  return error.side == Side::kUpstream || error.side == Side::kDns ? 502 : 500;
}

std::string buildLocalResponse(int status, std::string_view content_type, std::string_view body,
                               const ErrorPageOptions& options) {
  std::string out;
  out.reserve(200 + body.size());
  out += "HTTP/1.1 ";
  appendDecimal(out, static_cast<uint64_t>(status));
  out += ' ';
  out += reasonPhrase(status);
  out += "\r\nDate: ";
  out += options.date;
  out += "\r\nServer: cuttle\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  appendDecimal(out, body.size());
  out += "\r\nCache-Control: no-store\r\n";
  if (!options.via_host.empty()) {
    out += "Via: 1.1 ";
    out += options.via_host;
    out += "\r\n";
  }
  out += options.extra_fields;
  if (!options.cache_status.empty()) {
    out += "Cache-Status: ";
    out += options.cache_status;
    out += "\r\n";
  }
  // Said either way: an HTTP/1.0 client persists only when told "keep-alive" (RFC 9112 9.3),
  // and HTTP/1.1 clients ignore the option.
  out += options.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  if (!options.head_request) out += body;
  return out;
}

std::string buildErrorResponse(int status, std::string_view cause, const ErrorPageOptions& options) {
  std::string body = "cuttle: ";
  appendDecimal(body, static_cast<uint64_t>(status));
  body += ' ';
  body += reasonPhrase(status);
  if (!cause.empty()) {
    body += ": ";
    // The cause is ours, but may quote what a peer sent: keep it printable ASCII.
    for (char c : cause.substr(0, 300)) body += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  body += '\n';
  return buildLocalResponse(status, "text/plain; charset=utf-8", body, options);
}

}  // namespace cuttle::proxy
