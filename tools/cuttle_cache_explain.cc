#include "tools/cuttle_cache_explain.h"

#include <optional>
#include <string_view>

#include "common/http_date.h"
#include "tools/cuttle_cache_format.h"

namespace cuttle::tools {
namespace {

using cache::CacheControl;
using cache::RefreshRule;
using cache::StoredObject;

std::string seconds(int64_t n) { return std::to_string(n) + "s"; }

// The text of the rule that matches the object's URL ("refresh_pattern #2" without text).
std::string ruleName(const NamedRefreshRules& rules, const RefreshRule* rule) {
  const size_t index = static_cast<size_t>(rule - rules.rules.rules.data());
  if (index < rules.patterns.size()) return "refresh_pattern " + rules.patterns[index];
  return "refresh_pattern #" + std::to_string(index + 1);
}

// The lifetime's origin, following the order of cache::freshnessLifetime() (RFC 9111
// 4.2.1, then 4.2.2 heuristics with squid's refresh_pattern).
std::string freshnessSource(const StoredObject& object, const CacheControl& cc,
                            const NamedRefreshRules& rules) {
  if (cc.s_maxage_invalid) return "s-maxage malformed or conflicting: stale";
  if (cc.s_maxage) return "s-maxage=" + std::to_string(*cc.s_maxage);
  const RefreshRule* rule = cache::matchRefreshRule(rules.rules, object.url());
  const HeaderField* expires = object.headers().find(HeaderId::kExpires);
  if (cc.max_age_invalid || cc.max_age || expires != nullptr) {
    std::string source;
    if (cc.max_age_invalid) {
      source = "max-age malformed or conflicting: stale";
    } else if (cc.max_age) {
      source = "max-age=" + std::to_string(*cc.max_age);
      if (expires != nullptr) source += " (Expires ignored)";
    } else if (!parseHttpDate(expires->value)) {
      source = "Expires invalid: stale";
    } else {
      source = "Expires - Date";
    }
    if (rule != nullptr && rule->override_expire) {
      source += ", at least " + seconds(rule->min_seconds) + " by " + ruleName(rules, rule) +
                " (override-expire)";
    }
    return source;
  }
  if (!cache::isHeuristicallyCacheable(object.status()) && !cc.is_public) {
    return "none: no explicit freshness and status " + std::to_string(object.status()) +
           " is not heuristically cacheable";
  }
  const bool has_last_modified = object.headers().has(HeaderId::kLastModified);
  if (rule == nullptr) {
    if (!has_last_modified) return "heuristic: no Last-Modified and no matching refresh_pattern";
    return "heuristic: 10% of (Date - Last-Modified), at most 1 day";
  }
  if (!has_last_modified) {
    return "heuristic: " + ruleName(rules, rule) + " min " + seconds(rule->min_seconds) +
           " (no Last-Modified)";
  }
  return "heuristic: " + ruleName(rules, rule) + ": " + std::to_string(rule->percent) +
         "% of (Date - Last-Modified) within [" + seconds(rule->min_seconds) + ", " +
         seconds(rule->max_seconds) + "]";
}

std::vector<std::string> freshnessNotes(const CacheControl& cc) {
  std::vector<std::string> notes;
  if (cc.no_cache) notes.push_back("no-cache (validated before every use)");
  if (!cc.no_cache_fields.empty()) notes.push_back("no-cache for some fields (not stored)");
  if (cc.must_revalidate) notes.push_back("must-revalidate (never served stale)");
  if (cc.proxy_revalidate) notes.push_back("proxy-revalidate (never served stale)");
  if (cc.s_maxage) notes.push_back("s-maxage implies proxy-revalidate");
  if (cc.stale_while_revalidate) {
    notes.push_back("stale-while-revalidate=" + std::to_string(*cc.stale_while_revalidate));
  }
  if (cc.stale_if_error) notes.push_back("stale-if-error=" + std::to_string(*cc.stale_if_error));
  if (cc.immutable) notes.push_back("immutable");
  return notes;
}

}  // namespace

FreshnessReport explainFreshness(const StoredObject& object, const NamedRefreshRules& rules,
                                 int64_t now) {
  const CacheControl cc = cache::parseCacheControl(object.headers());
  const cache::Freshness freshness = cache::freshnessLifetime(object, rules.rules);
  FreshnessReport r;
  r.age = cache::currentAge(object, now);
  r.lifetime = freshness.lifetime;
  r.heuristic = freshness.heuristic;
  r.fresh = r.age < r.lifetime;
  r.ttl = r.lifetime - r.age;
  r.source = freshnessSource(object, cc, rules);
  r.notes = freshnessNotes(cc);
  return r;
}

CacheabilityReport explainCacheability(const StoredObject& object,
                                       const cache::StoreLimits& limits) {
  const CacheControl cc = cache::parseCacheControl(object.headers());
  const HeaderList& h = object.headers();
  CacheabilityReport r;
  // RFC 9111 3: a response is storable with explicit freshness, public, or a heuristically
  // cacheable status; all that apply are listed.
  if (cc.s_maxage || cc.s_maxage_invalid) r.reasons.push_back("explicit freshness (s-maxage)");
  if (cc.max_age || cc.max_age_invalid) r.reasons.push_back("explicit freshness (max-age)");
  if (h.has(HeaderId::kExpires)) r.reasons.push_back("explicit freshness (Expires)");
  if (cc.is_public) r.reasons.push_back("Cache-Control: public");
  if (cache::isHeuristicallyCacheable(object.status())) {
    r.reasons.push_back("heuristically cacheable status " + std::to_string(object.status()) +
                        " (RFC 9110 15.1)");
  }
  if (cc.must_understand) r.reasons.push_back("must-understand with a status cuttle implements");
  if (cc.no_cache || cc.s_maxage_invalid || cc.max_age_invalid) {
    // Stored although every use needs validation: what makes it worth keeping.
    if (cache::hasValidator(h)) r.reasons.push_back("has a validator: revalidated with a 304");
    if (cc.stale_while_revalidate) r.reasons.push_back("stale-while-revalidate allows stale use");
    if (cc.stale_if_error) r.reasons.push_back("stale-if-error allows stale use");
  }
  r.now = cache::checkStorable(Method::kGet, HeaderList(), object.status(), h, object.bodySize(),
                               limits);
  return r;
}

std::string Validators::summary() const {
  if (etag.empty() && last_modified.empty()) return "-";
  if (last_modified.empty()) return "etag";
  if (etag.empty()) return "last-modified";
  return "etag,last-modified";
}

Validators storedValidators(const StoredObject& object) {
  Validators v;
  v.etag = std::string(object.headers().get(HeaderId::kETag));
  v.last_modified = std::string(object.headers().get(HeaderId::kLastModified));
  return v;
}

}  // namespace cuttle::tools
