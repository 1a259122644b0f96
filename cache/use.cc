// Whether a stored response may be used for a request (RFC 9111 4, 4.2.4, 5.2; RFC 5861).
#include <algorithm>

#include "cache/policy.h"
#include "cache/policy_internal.h"

namespace cuttle::cache {
namespace {

// 4.2.4: responses that a cache must never serve stale (shared cache: s-maxage implies
// proxy-revalidate, 5.2.2.10). Returns the directive's name, or empty.
std::string_view staleForbiddenBy(const CacheControl& cc) {
  if (cc.must_revalidate) return "must-revalidate";
  if (cc.proxy_revalidate) return "proxy-revalidate";
  if (cc.s_maxage || cc.s_maxage_invalid) return "s-maxage";
  return {};
}

}  // namespace

UseDecision decideUse(const RequestHead& request, const StoredObject& object, int64_t now,
                      const RefreshRules& rules) {
  UseDecision d;
  d.freshness = freshnessLifetime(object, rules);
  d.age = currentAge(object, now);
  const CacheControl req = parseCacheControl(request.headers);
  const CacheControl res = parseCacheControl(object.headers());
  const bool has_validator = hasValidator(object.headers());
  const int64_t lifetime = d.freshness.lifetime;
  const bool fresh = lifetime > d.age;  // 4.2: response_is_fresh
  d.stale = !fresh;

  const RefreshRule* rule = matchRefreshRule(rules, object.url());
  const bool ignore_reload = rule != nullptr && rule->ignore_reload;
  auto validate = [&](std::string_view why) {
    d.use = Use::kMustValidate;
    d.detail = why;
    return d;
  };

  if (!ignore_reload && detail::requestNoCache(req, request.headers)) {
    return validate("request no-cache");  // 5.2.1.4, 5.4
  }
  if (res.no_cache) return validate("response no-cache");  // 5.2.2.4
  // 5.2.1.1: the client accepts nothing older than max-age (a malformed value: nothing
  // stored is acceptable without validation).
  if (req.max_age_invalid || (req.max_age && d.age > *req.max_age)) {
    return validate("max-age exceeded");
  }
  // 5.2.1.3: the response must stay fresh for at least min-fresh more seconds.
  if (req.min_fresh && lifetime - d.age < *req.min_fresh) return validate("min-fresh");
  if (fresh) {
    d.use = Use::kFresh;
    d.detail = "fresh";
    return d;
  }
  if (std::string_view why = staleForbiddenBy(res); !why.empty()) return validate(why);

  const int64_t staleness = d.age - lifetime;  // >= 0 here
  if (res.stale_while_revalidate && staleness <= *res.stale_while_revalidate) {
    d.use = Use::kStaleWhileRevalidate;  // RFC 5861 3
    d.detail = "stale-while-revalidate";
    return d;
  }
  if (req.max_stale && staleness <= *req.max_stale) {
    d.use = Use::kFresh;  // 5.2.1.2: the client accepts it that stale
    d.detail = "max-stale";
    return d;
  }
  if (has_validator) return validate("stale");
  d.use = Use::kUnusable;
  d.detail = "stale, no validator";
  return d;
}

bool mayServeStaleOnError(const RequestHead& request, const StoredObject& object, int64_t now,
                          const RefreshRules& rules) {
  const CacheControl res = parseCacheControl(object.headers());
  if (res.no_cache || !staleForbiddenBy(res).empty()) return false;
  const CacheControl req = parseCacheControl(request.headers);
  if (!res.stale_if_error && !req.stale_if_error) return false;
  const int64_t lifetime = freshnessLifetime(object, rules).lifetime;
  const int64_t staleness = std::max<int64_t>(0, currentAge(object, now) - lifetime);
  return (res.stale_if_error && staleness <= *res.stale_if_error) ||
         (req.stale_if_error && staleness <= *req.stale_if_error);
}

}  // namespace cuttle::cache
