// Client preconditions evaluated against a stored response (RFC 9110 13.1, 13.2;
// RFC 9111 4.3.2).
#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/http_date.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

using detail::EntityTag;

enum class Match : uint8_t { kStrong, kWeak };

// If-Match / If-None-Match: "*" or a list of entity-tags (13.1.1, 13.1.2), over all lines.
// True when "*" is present or a member matches `current` with the given comparison.
bool listMatches(const HeaderList& headers, HeaderId id, const std::optional<EntityTag>& current,
                 Match how) {
  for (const HeaderField& f : headers) {
    if (f.id != id) continue;
    ListIterator it(f.value);
    std::string_view member;
    while (it.next(&member)) {
      // "*": true whenever a current representation exists, which it does here.
      if (member == "*") return true;
      std::optional<EntityTag> tag = detail::parseEntityTag(member);
      if (!tag || !current) continue;
      if (how == Match::kStrong ? detail::strongMatch(*tag, *current)
                                : detail::weakMatch(*tag, *current)) {
        return true;
      }
    }
  }
  return false;
}

// A date precondition: exactly one field holding a valid HTTP-date (13.1.3, 13.1.4: invalid
// or list-valued fields are ignored).
std::optional<int64_t> conditionDate(const HeaderList& headers, HeaderId id) {
  if (headers.count(id) != 1) return std::nullopt;
  return parseHttpDate(headers.get(id));
}

}  // namespace

Precondition evaluatePreconditions(const RequestHead& request, const StoredObject& object) {
  // 13.2.1: preconditions apply only when the response would otherwise be 2xx.
  if (object.status() < 200 || object.status() > 299) return Precondition::kProceed;
  const HeaderList& h = request.headers;
  const std::optional<EntityTag> etag = detail::storedETag(object.headers());
  const std::optional<int64_t> last_modified =
      detail::headerDate(object.headers(), HeaderId::kLastModified);
  const bool get_or_head = request.method == Method::kGet || request.method == Method::kHead;

  // 13.2.2 step 1 / 2.
  if (h.has(HeaderId::kIfMatch)) {
    if (!listMatches(h, HeaderId::kIfMatch, etag, Match::kStrong)) return Precondition::kFailed;
  } else if (std::optional<int64_t> since = conditionDate(h, HeaderId::kIfUnmodifiedSince)) {
    // 13.1.4: false when modified after the date; ignored without a modification date.
    if (last_modified && *last_modified > *since) return Precondition::kFailed;
  }
  // Step 3 / 4.
  if (h.has(HeaderId::kIfNoneMatch)) {
    if (listMatches(h, HeaderId::kIfNoneMatch, etag, Match::kWeak)) {
      return get_or_head ? Precondition::kNotModified : Precondition::kFailed;
    }
  } else if (get_or_head) {
    if (std::optional<int64_t> since = conditionDate(h, HeaderId::kIfModifiedSince)) {
      // RFC 9111 4.3.2: without Last-Modified, a cache uses Date, else the time the response
      // was received.
      const int64_t modified = last_modified ? *last_modified : detail::dateValue(object);
      if (modified <= *since) return Precondition::kNotModified;
    }
  }
  return Precondition::kProceed;
}

}  // namespace cuttle::cache
