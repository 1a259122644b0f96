// Byte ranges from a complete stored representation (RFC 9110 14, 13.1.5).
#include <limits>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/http_date.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

constexpr size_t kMaxRanges = 64;
constexpr uint64_t kHuge = std::numeric_limits<uint64_t>::max();

// A range-spec as written (14.1.1). suffix: "-N"; otherwise "first-" or "first-last".
struct Spec {
  bool suffix = false;
  uint64_t first = 0;
  std::optional<uint64_t> last;  // last-pos, or the suffix length
};

// 1*DIGIT; a value too large for 64 bits is syntactically fine and taken as "huge".
std::optional<uint64_t> position(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return parseDecimal(s).value_or(kHuge);
}

std::optional<Spec> parseSpec(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  Spec spec;
  std::string_view before = text.substr(0, dash);
  std::string_view after = text.substr(dash + 1);
  if (before.empty()) {
    spec.suffix = true;
    spec.last = position(after);
    if (!spec.last) return std::nullopt;
    return spec;
  }
  std::optional<uint64_t> first = position(before);
  if (!first) return std::nullopt;
  spec.first = *first;
  if (!after.empty()) {
    spec.last = position(after);
    if (!spec.last || *spec.last < spec.first) return std::nullopt;  // invalid (14.1.1)
  }
  return spec;
}

// If-Range (13.1.5): true when the Range may be applied.
bool ifRangeHolds(const HeaderList& request_headers, const HeaderList& stored_headers) {
  if (request_headers.count(HeaderId::kIfRange) != 1) return false;
  std::string_view value = trimOws(request_headers.get(HeaderId::kIfRange));
  if (value.starts_with("\"") || value.starts_with("W/")) {
    // An entity-tag: strong comparison, so a weak one never matches.
    std::optional<detail::EntityTag> tag = detail::parseEntityTag(value);
    std::optional<detail::EntityTag> current = detail::storedETag(stored_headers);
    return tag && current && detail::strongMatch(*tag, *current);
  }
  std::optional<int64_t> date = parseHttpDate(value);
  std::optional<int64_t> last_modified =
      detail::headerDate(stored_headers, HeaderId::kLastModified);
  if (!date || !last_modified || *date != *last_modified) return false;
  // The date is a strong validator only when the stored Date is at least a second later
  // (8.8.2.2): otherwise two versions within that second share the Last-Modified.
  std::optional<int64_t> response_date = detail::headerDate(stored_headers, HeaderId::kDate);
  return response_date && *response_date >= *last_modified + 1;
}

bool touches(const ByteRange& a, const ByteRange& b) {
  // Overlapping or adjacent; last < length <= UINT64_MAX, so last + 1 cannot wrap.
  return a.first <= b.last + 1 && b.first <= a.last + 1;
}

// Merges overlapping or adjacent ranges; each merged range keeps the position of the
// earliest one it absorbed (14.2 allows coalescing).
void coalesce(std::vector<ByteRange>& ranges) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t i = 0; i < ranges.size() && !changed; ++i) {
      for (size_t j = i + 1; j < ranges.size(); ++j) {
        if (!touches(ranges[i], ranges[j])) continue;
        ranges[i].first = std::min(ranges[i].first, ranges[j].first);
        ranges[i].last = std::max(ranges[i].last, ranges[j].last);
        ranges.erase(ranges.begin() + static_cast<std::ptrdiff_t>(j));
        changed = true;
        break;
      }
    }
  }
}

}  // namespace

RangeSelection selectRanges(const RequestHead& request, const HeaderList& stored_headers,
                            uint64_t length) {
  RangeSelection full;  // kFull
  // 14.2: range handling is defined for GET only; several Range fields are invalid.
  if (request.method != Method::kGet) return full;
  if (request.headers.count(HeaderId::kRange) != 1) return full;
  std::string_view value = trimOws(request.headers.get(HeaderId::kRange));
  size_t eq = value.find('=');
  if (eq == std::string_view::npos || !iequals(trimOws(value.substr(0, eq)), "bytes")) {
    return full;  // 14.1: unknown units are ignored
  }
  // 13.2.2 step 5: a false If-Range means the Range is ignored.
  if (request.headers.has(HeaderId::kIfRange) && !ifRangeHolds(request.headers, stored_headers)) {
    return full;
  }
  std::vector<Spec> specs;
  ListIterator it(value.substr(eq + 1));
  std::string_view element;
  while (it.next(&element)) {
    std::optional<Spec> spec = parseSpec(element);
    if (!spec) return full;  // an invalid ranges-specifier is ignored
    specs.push_back(*spec);
    if (specs.size() > kMaxRanges) return full;
  }
  if (specs.empty()) return full;

  RangeSelection out;
  bool zero_length_suffix = false;
  for (const Spec& s : specs) {
    if (s.suffix) {
      if (*s.last == 0) continue;  // "-0" is never satisfiable
      if (length == 0) {
        zero_length_suffix = true;
        continue;
      }
      out.ranges.push_back(ByteRange{length - std::min(*s.last, length), length - 1});
    } else {
      if (s.first >= length) continue;
      out.ranges.push_back(ByteRange{s.first, std::min(s.last.value_or(kHuge), length - 1)});
    }
  }
  if (out.ranges.empty()) {
    if (zero_length_suffix) return full;
    out.kind = RangeSelection::Kind::kUnsatisfiable;
    return out;
  }
  coalesce(out.ranges);
  out.kind = RangeSelection::Kind::kPartial;
  return out;
}

std::string contentRange(const ByteRange& r, uint64_t length) {
  std::string out = "bytes ";
  appendDecimal(out, r.first);
  out.push_back('-');
  appendDecimal(out, r.last);
  out.push_back('/');
  appendDecimal(out, length);
  return out;
}

std::string Multipart::mediaType() const { return "multipart/byteranges; boundary=" + boundary; }

std::string Multipart::makeBoundary(uint64_t random) {
  std::string out = "cuttle";
  std::string hex;
  appendHex(hex, random);
  out.append(16 - hex.size(), '0');
  out += hex;
  return out;
}

std::string Multipart::partHead(const ByteRange& r, uint64_t length, bool first) const {
  std::string out;
  if (!first) out += "\r\n";  // ends the previous part's bytes (RFC 2046 5.1.1)
  out += "--";
  out += boundary;
  out += "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    out += content_type;
    out += "\r\n";
  }
  out += "Content-Range: ";
  out += contentRange(r, length);
  out += "\r\n\r\n";
  return out;
}

std::string Multipart::tail() const { return "\r\n--" + boundary + "--\r\n"; }

uint64_t Multipart::totalLength(const std::vector<ByteRange>& ranges, uint64_t length) const {
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    total += partHead(ranges[i], length, i == 0).size();
    total += ranges[i].last - ranges[i].first + 1;
  }
  return total + tail().size();
}

}  // namespace cuttle::cache
