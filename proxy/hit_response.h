// Responses built from a stored object (RFC 9111 4; RFC 9110 13.2, 14, 15.4.5): a plain
// hit, 304 and 412 for client preconditions, 206 for ranges (one range, or
// multipart/byteranges), 416. Pure: the caller writes `head` then the body segments.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/object.h"
#include "common/message.h"
#include "proxy/forward_rules.h"

namespace cuttle::proxy {

struct BodySegment {
  std::shared_ptr<const std::string> data;  // a stored chunk or a generated part head
  size_t offset = 0;
  size_t length = 0;
};

struct HitOptions {
  int64_t age = 0;
  std::string_view cache_status;  // the Cache-Status field value
  ViaOptions via;
  bool keep_alive = true;
  std::string_view date;          // now, for generated responses
  std::string_view extra_fields;  // "Name: value\r\n" lines (Cuttle-Trace)
};

struct HitResponse {
  int status = 200;
  std::string head;
  std::vector<BodySegment> body;  // empty for HEAD, 304, 412, 416
  uint64_t body_length = 0;
  // The stored body is not in memory: stream [stream_offset, +body_length) from the store.
  bool stream_from_store = false;
  uint64_t stream_offset = 0;
  std::string_view result;        // squid code: TCP_HIT, TCP_IMS_HIT, ...
};

HitResponse buildHitResponse(const RequestHead& request, const cache::StoredObject& object,
                             const HitOptions& options);

// The segments of bytes [offset, offset + length) of a loaded body.
void sliceBody(const cache::StoredObject& object, uint64_t offset, uint64_t length,
               std::vector<BodySegment>& out);

}  // namespace cuttle::proxy
