// Builders for the policy tests: header lists, request heads and stored objects from
// literal fields, with times relative to a fixed instant.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "cache/object.h"
#include "cache/policy.h"
#include "common/header_list.h"
#include "common/http_date.h"
#include "common/message.h"

namespace cuttle::cache::testing {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// 2023-11-14 22:13:20 GMT: a round instant for the tests' clocks.
inline constexpr int64_t kT0 = 1700000000;

inline std::string date(int64_t t) { return formatHttpDate(t); }

inline HeaderList headers(Fields fields) {
  HeaderList h;
  for (const auto& [name, value] : fields) h.addCopy(name, value);
  return h;
}

inline RequestHead request(Method method, Fields fields) {
  RequestHead r;
  r.method = method;
  for (const auto& [name, value] : fields) r.headers.addCopy(name, value);
  return r;
}

inline RequestHead get(Fields fields = {}) { return request(Method::kGet, fields); }

struct ObjectSpec {
  std::string url = "http://example.com/a";
  int status = 200;
  int64_t request_time = kT0;
  int64_t response_time = kT0;
};

// A stored object whose fields are `fields` serialized as "Name: value\r\n" lines.
inline std::shared_ptr<StoredObject> object(Fields fields, ObjectSpec spec = {}) {
  StoredObject::Init init;
  init.url = spec.url;
  init.status = spec.status;
  init.reason = std::string(reasonPhrase(spec.status));
  for (const auto& [name, value] : fields) {
    init.fields.append(name);
    init.fields.append(": ");
    init.fields.append(value);
    init.fields.append("\r\n");
  }
  init.request_time = spec.request_time;
  init.response_time = spec.response_time;
  return StoredObject::create(std::move(init));
}

inline std::shared_ptr<StoredObject> objectFromLines(std::string lines, ObjectSpec spec = {}) {
  StoredObject::Init init;
  init.url = spec.url;
  init.status = spec.status;
  init.fields = std::move(lines);
  init.request_time = spec.request_time;
  init.response_time = spec.response_time;
  return StoredObject::create(std::move(init));
}

}  // namespace cuttle::cache::testing
