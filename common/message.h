// The heads of HTTP/1.x messages as cuttle handles them.
//
// A head received from the network owns its bytes in `raw`; method, target, reason and the
// header views point into it. Moving a head keeps all views valid (std::vector keeps its
// buffer on move). Heads are move-only for the same reason as HeaderList.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/header_list.h"

namespace cuttle {

enum class Method : uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kPurge,
  kOther,  // any other token: forwarded as is
};

Method parseMethod(std::string_view name);
// RFC 9110 9.2.2; used for the retry rule.
bool isIdempotent(Method m);

struct HttpVersion {
  uint8_t major = 1;
  uint8_t minor = 1;
  bool is11OrLater() const { return major > 1 || (major == 1 && minor >= 1); }
  bool operator==(const HttpVersion&) const = default;
};

struct MessageHead {
  MessageHead() = default;
  MessageHead(MessageHead&&) noexcept = default;
  MessageHead& operator=(MessageHead&&) noexcept = default;

  std::vector<char> raw;  // received bytes the views point into; empty for built heads
  HttpVersion version;
  HeaderList headers;
};

struct RequestHead : MessageHead {
  Method method = Method::kGet;
  std::string_view method_name;
  std::string_view target;  // request-target as received
};

struct ResponseHead : MessageHead {
  int status = 0;
  std::string_view reason;
};

// The standard reason phrase for a status code ("Not Found"), or "Unknown".
std::string_view reasonPhrase(int status);

}  // namespace cuttle
