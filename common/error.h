// Error and Result: how every layer of cuttle reports failure without exceptions.
//
// An Error says what went wrong (code), who is at fault (side) and a short human-readable
// cause that ends up in the error page and the log. Library codes (uv, MDB, ares, llhttp)
// are converted into an Error once, where they enter cuttle (see uvError() and friends).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cuttle {

// Who is at fault. Decides logging, and together with the code, the HTTP status.
enum class Side : uint8_t { kClient, kUpstream, kCache, kDns, kInternal, kConfig };

enum class ErrorCode : uint16_t {
  // Client side: the request is at fault.
  kBadRequest,          // malformed or ambiguous framing, bad syntax: 400
  kUriTooLong,          // 414
  kHeadersTooLarge,     // 431
  kBodyTooLarge,        // 413
  kRequestTimeout,      // 408: headers or body did not arrive in time
  kNotImplemented,      // 501: unknown transfer coding, unsupported scheme or method
  kVersionNotSupported, // 505
  kForbidden,           // 403: forwarding loop, access denied
  kClientClosed,        // the client went away; nothing to answer
  // Upstream side.
  kConnectFailed,   // 502
  kConnectTimeout,  // 504
  kUpstreamTimeout, // 504: no response within read_timeout
  kBadResponse,     // 502: invalid response framing or syntax
  kUpstreamClosed,  // 502: closed before a complete response
  kDnsFailed,       // 502: name does not resolve
  kDnsTimeout,      // 504
  kServiceUnavailable, // 503
  kGatewayTimeout,  // 504: generic timeout (only-if-cached miss and the like)
  // Anything else.
  kIo,
  kInvalidArgument,
  kNotFound,
  kInternal,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  Side side = Side::kInternal;
  std::string cause;

  Error() = default;
  Error(ErrorCode c, Side s, std::string why) : code(c), side(s), cause(std::move(why)) {}
};

// Builds an Error from a libuv status code (negative errno), naming the operation.
Error uvError(int status, std::string_view what, Side side);
// "connection refused" and the like: libuv's message for a status code.
std::string uvMessage(int status);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  Error&& takeError() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error&& takeError() { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cuttle
