// Storing responses in a shared cache (RFC 9111 3, 3.1, 3.5).
#include <algorithm>
#include <iterator>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/http_date.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

// Freshness given explicitly by the response (RFC 9111 3, 4.2.1). A malformed max-age or
// s-maxage counts: the response carries the directive, it is just stale.
bool hasExplicitFreshness(const CacheControl& cc, const HeaderList& headers) {
  return cc.s_maxage || cc.s_maxage_invalid || cc.max_age || cc.max_age_invalid ||
         headers.has(HeaderId::kExpires);
}

// Whether the explicit freshness is zero whatever the times of the exchange. Date missing:
// Expires is compared with the (unknown) response time, so we cannot tell: not zero.
bool explicitlyStale(const CacheControl& cc, const HeaderList& headers) {
  if (cc.s_maxage_invalid) return true;
  if (cc.s_maxage) return *cc.s_maxage == 0;
  if (cc.max_age_invalid) return true;
  if (cc.max_age) return *cc.max_age == 0;
  const HeaderField* expires = headers.find(HeaderId::kExpires);
  if (expires == nullptr) return false;
  std::optional<int64_t> when = parseHttpDate(expires->value);
  if (!when) return true;  // invalid Expires, e.g. "0": already expired (5.3)
  std::optional<int64_t> date = detail::headerDate(headers, HeaderId::kDate);
  return date && *when <= *date;
}

}  // namespace

std::string_view notStoredName(NotStored reason) {
  switch (reason) {
    case NotStored::kStored:
      return "stored";
    case NotStored::kMethod:
      return "method";
    case NotStored::kStatusNotCacheable:
      return "status";
    case NotStored::kPartialContent:
      return "partial-content";
    case NotStored::kRequestNoStore:
      return "request-no-store";
    case NotStored::kResponseNoStore:
      return "no-store";
    case NotStored::kPrivate:
      return "private";
    case NotStored::kAuthorization:
      return "authorization";
    case NotStored::kVaryStar:
      return "vary-star";
    case NotStored::kMustUnderstand:
      return "must-understand";
    case NotStored::kNoFreshnessNoValidator:
      return "no-freshness-no-validator";
    case NotStored::kTooLarge:
      return "too-large";
    case NotStored::kTooSmall:
      return "too-small";
    case NotStored::kIncomplete:
      return "incomplete";
    case NotStored::kConfigDenied:
      return "config-denied";
  }
  return "unknown";
}

bool isHeuristicallyCacheable(int status) {
  // RFC 9110 15.1.
  static constexpr int kStatuses[] = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501};
  return std::ranges::find(kStatuses, status) != std::end(kStatuses);
}

bool isUnderstoodStatus(int status) {
  static constexpr int kStatuses[] = {200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 401,
                                      403, 404, 405, 410, 414, 451, 500, 501, 502, 503, 504};
  return std::ranges::find(kStatuses, status) != std::end(kStatuses);
}

NotStored checkStorable(Method method, const HeaderList& request_headers, int status,
                        const HeaderList& response_headers, std::optional<uint64_t> content_length,
                        const StoreLimits& limits) {
  // Only GET creates entries: a HEAD response has no body to store, and responses to other
  // methods are not reusable for a GET of the same URI.
  if (method != Method::kGet) return NotStored::kMethod;
  const CacheControl req = parseCacheControl(request_headers);
  if (req.no_store) return NotStored::kRequestNoStore;  // 5.2.1.5
  if (status == 206) return NotStored::kPartialContent;
  const CacheControl cc = parseCacheControl(response_headers);
  const bool understood = isUnderstoodStatus(status);
  // 3 and 5.2.2.3: with must-understand, only a cache that implements the status code's
  // caching rules may store the response; such a cache then ignores no-store.
  if (cc.must_understand && !understood) return NotStored::kMustUnderstand;
  if (!understood) return NotStored::kStatusNotCacheable;  // RFC 9110 15
  if (cc.no_store && !cc.must_understand) return NotStored::kResponseNoStore;
  if (cc.is_private) return NotStored::kPrivate;  // 5.2.2.7: shared caches never store it
  if (request_headers.has(HeaderId::kAuthorization) && !cc.must_revalidate && !cc.is_public &&
      !cc.s_maxage && !cc.s_maxage_invalid) {
    return NotStored::kAuthorization;  // 3.5
  }
  if (normalizeVary(response_headers) == "*") return NotStored::kVaryStar;  // 4.1
  const bool explicit_freshness = hasExplicitFreshness(cc, response_headers);
  if (!explicit_freshness && !cc.is_public && !isHeuristicallyCacheable(status)) {
    return NotStored::kStatusNotCacheable;
  }
  // A response that must always be validated but carries nothing to validate with would
  // turn every use into a full fetch: storing it only costs space. stale-while-revalidate
  // and stale-if-error give such a response a use (max-stale requests are too rare to
  // matter).
  const bool always_validate =
      cc.no_cache || (explicit_freshness && explicitlyStale(cc, response_headers));
  if (always_validate && !hasValidator(response_headers) && !cc.stale_while_revalidate &&
      !cc.stale_if_error) {
    return NotStored::kNoFreshnessNoValidator;
  }
  if (content_length) {
    if (*content_length > limits.max_object_size) return NotStored::kTooLarge;
    if (*content_length < limits.min_object_size) return NotStored::kTooSmall;
  }
  return NotStored::kStored;
}

std::string storedFields(const HeaderList& response_headers) {
  const std::vector<std::string> connection = detail::connectionOptions(response_headers);
  const CacheControl cc = parseCacheControl(response_headers);
  std::string out;
  out.reserve(response_headers.serializedSize());
  for (const HeaderField& f : response_headers) {
    if (isHopByHop(f.id) || f.id == HeaderId::kContentLength ||
        f.id == HeaderId::kTransferEncoding) {
      continue;
    }
    if (detail::containsName(connection, f.name)) continue;  // RFC 9110 7.6.1
    if (detail::containsName(cc.no_cache_fields, f.name) ||
        detail::containsName(cc.private_fields, f.name)) {
      continue;  // RFC 9111 5.2.2.4, 5.2.2.7
    }
    out.append(f.name);
    out.append(": ");
    out.append(f.value);
    out.append("\r\n");
  }
  return out;
}

}  // namespace cuttle::cache
