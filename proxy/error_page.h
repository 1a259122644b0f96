// The one place that maps errors to HTTP statuses and builds cuttle's own error responses.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace cuttle::proxy {

// 400, 403, 408, 413, 414, 431, 501, 502, 503, 504, 505; 500 for internal faults.
int httpStatusFor(const Error& error);

struct ErrorPageOptions {
  bool keep_alive = false;
  bool head_request = false;   // no body
  std::string_view date;       // IMF-fixdate
  std::string_view via_host;   // empty: no Via
  std::string_view cache_status;  // Cache-Status value (RFC 9211); empty: none
  std::string_view extra_fields;  // "Name: value\r\n" lines (Proxy-Authenticate for a 407)
};

// A complete response: status line, Date, Content-Type text/plain, Content-Length,
// Connection, and a short body "cuttle: <status> <reason>: <cause>\n".
std::string buildErrorResponse(int status, std::string_view cause, const ErrorPageOptions& options);

// A complete response with a text body for cuttle's own endpoints.
std::string buildLocalResponse(int status, std::string_view content_type, std::string_view body,
                               const ErrorPageOptions& options);

}  // namespace cuttle::proxy
