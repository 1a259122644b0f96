#include "proxy/hit_response.h"

#include "cache/policy.h"
#include "common/strings.h"

namespace cuttle::proxy {
namespace {

void appendStatusLine(int status, std::string_view reason, std::string& out) {
  out += "HTTP/1.1 ";
  appendDecimal(out, static_cast<uint64_t>(status));
  out += ' ';
  out += reason.empty() ? reasonPhrase(status) : reason;
  out += "\r\n";
}

void appendField(std::string_view name, std::string_view value, std::string& out) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

// Age, Via, Cache-Status, framing and Connection: the fields every cached response ends with.
void appendTail(const HitOptions& o, bool has_length, uint64_t length, std::string& out) {
  out += "Age: ";
  appendDecimal(out, static_cast<uint64_t>(o.age < 0 ? 0 : o.age));
  out += "\r\n";
  if (o.via.enabled) {
    out += "Via: 1.1 ";
    out += o.via.host;
    out += "\r\n";
  }
  if (!o.cache_status.empty()) appendField("Cache-Status", o.cache_status, out);
  out += o.extra_fields;
  if (has_length) {
    out += "Content-Length: ";
    appendDecimal(out, length);
    out += "\r\n";
  }
  out += o.keep_alive ? "" : "Connection: close\r\n";
  out += "\r\n";
}

bool isValidatorOrCacheField(HeaderId id) {
  // RFC 9110 15.4.5: what a 304 carries.
  return id == HeaderId::kCacheControl || id == HeaderId::kContentLocation || id == HeaderId::kDate ||
         id == HeaderId::kETag || id == HeaderId::kExpires || id == HeaderId::kVary ||
         id == HeaderId::kLastModified;
}

void appendStoredFields(const cache::StoredObject& object, bool skip_content_type, std::string& out) {
  for (const HeaderField& f : object.headers()) {
    if (skip_content_type && f.id == HeaderId::kContentType) continue;
    // Age is recomputed (RFC 9111 4.2.3); a stored Content-Range would describe another part.
    if (f.id == HeaderId::kContentRange || f.id == HeaderId::kAge) continue;
    appendField(f.name, f.value, out);
  }
}

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

void notModified(const cache::StoredObject& object, const HitOptions& o, HitResponse& r) {
  r.status = 304;
  r.result = "TCP_IMS_HIT";
  appendStatusLine(304, "Not Modified", r.head);
  for (const HeaderField& f : object.headers()) {
    if (isValidatorOrCacheField(f.id)) appendField(f.name, f.value, r.head);
  }
  appendTail(o, false, 0, r.head);
}

void generated(int status, std::string_view extra_name, std::string_view extra_value,
               const HitOptions& o, HitResponse& r) {
  r.status = status;
  appendStatusLine(status, "", r.head);
  appendField("Date", o.date, r.head);
  if (!extra_name.empty()) appendField(extra_name, extra_value, r.head);
  appendTail(o, true, 0, r.head);
}

}  // namespace

void sliceBody(const cache::StoredObject& object, uint64_t offset, uint64_t length,
               std::vector<BodySegment>& out) {
  uint64_t pos = 0;
  for (const cache::StoredObject::Chunk& c : object.body()) {
    if (length == 0) break;
    const uint64_t size = c->size();
    if (offset < pos + size) {
      const uint64_t start = offset - pos;
      const uint64_t take = std::min<uint64_t>(size - start, length);
      out.push_back(BodySegment{c, start, take});
      offset += take;
      length -= take;
    }
    pos += size;
  }
}

HitResponse buildHitResponse(const RequestHead& request, const cache::StoredObject& object,
                             const HitOptions& o) {
  HitResponse r;
  r.result = "TCP_HIT";
  switch (cache::evaluatePreconditions(request, object)) {
    case cache::Precondition::kNotModified:
      notModified(object, o, r);
      return r;
    case cache::Precondition::kFailed:
      r.result = "TCP_HIT";
      generated(412, "", "", o, r);
      return r;
    case cache::Precondition::kProceed:
      break;
  }
  const bool head_only = request.method == Method::kHead;
  const uint64_t length = object.bodySize();
  cache::RangeSelection sel;
  if (request.method == Method::kGet && object.status() == 200) {
    sel = cache::selectRanges(request, object.headers(), length);
  }
  const bool loaded = object.bodyLoaded();
  if (sel.kind == cache::RangeSelection::Kind::kUnsatisfiable) {
    std::string cr = "bytes */";
    appendDecimal(cr, length);
    generated(416, "Content-Range", cr, o, r);
    return r;
  }
  if (sel.kind == cache::RangeSelection::Kind::kPartial && (sel.ranges.size() == 1 || loaded)) {
    r.status = 206;
    appendStatusLine(206, "Partial Content", r.head);
    if (sel.ranges.size() == 1) {
      const cache::ByteRange& br = sel.ranges[0];
      appendStoredFields(object, false, r.head);
      appendField("Content-Range", cache::contentRange(br, length), r.head);
      r.body_length = br.last - br.first + 1;
      appendTail(o, true, r.body_length, r.head);
      if (head_only) return r;
      if (loaded) {
        sliceBody(object, br.first, r.body_length, r.body);
      } else {
        r.stream_from_store = true;
        r.stream_offset = br.first;
      }
      return r;
    }
    cache::Multipart mp;
    mp.boundary = "cuttle-" + object.key().hex().substr(0, 16);
    mp.content_type = std::string(object.headers().get(HeaderId::kContentType));
    appendStoredFields(object, true, r.head);
    appendField("Content-Type", "multipart/byteranges; boundary=" + mp.boundary, r.head);
    r.body_length = mp.totalLength(sel.ranges, length);
    appendTail(o, true, r.body_length, r.head);
    if (head_only) return r;
    for (size_t i = 0; i < sel.ranges.size(); ++i) {
      std::string part = mp.partHead(sel.ranges[i], length, i == 0);
      const size_t n = part.size();
      r.body.push_back(BodySegment{shared(std::move(part)), 0, n});
      sliceBody(object, sel.ranges[i].first, sel.ranges[i].last - sel.ranges[i].first + 1, r.body);
    }
    std::string tail = mp.tail();
    const size_t n = tail.size();
    r.body.push_back(BodySegment{shared(std::move(tail)), 0, n});
    return r;
  }
  r.status = object.status();
  appendStatusLine(object.status(), object.reason(), r.head);
  appendStoredFields(object, false, r.head);
  // 204 and 304 have no Content-Length; every other stored status has a known length.
  const bool has_length = object.status() != 204 && object.status() != 304;
  r.body_length = has_length ? length : 0;
  appendTail(o, has_length, r.body_length, r.head);
  if (head_only || r.body_length == 0) return r;
  if (loaded) {
    sliceBody(object, 0, length, r.body);
  } else {
    r.stream_from_store = true;
  }
  return r;
}

}  // namespace cuttle::proxy
