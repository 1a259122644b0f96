// Why an object is in the cache and how fresh it is, for people: the numbers come from
// cache/policy.h (freshnessLifetime, currentAge, checkStorable); this file only says which
// of its rules produced them. Pure functions of the object, the rules and `now`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/object.h"
#include "cache/policy.h"

namespace cuttle::tools {

// The refresh rules with the patterns as written (for messages), parallel to rules.rules.
struct NamedRefreshRules {
  cache::RefreshRules rules;
  std::vector<std::string> patterns;  // empty when the rules come without their text
};

struct FreshnessReport {
  int64_t age = 0;       // currentAge()
  int64_t lifetime = 0;  // freshnessLifetime()
  bool heuristic = false;
  bool fresh = false;  // age < lifetime (RFC 9111 4.2: at age == lifetime it is stale)
  int64_t ttl = 0;     // lifetime - age: time left while fresh, negative when stale
  // How the lifetime was derived: "s-maxage=600", "max-age=60", "Expires - Date",
  // "heuristic: 10% of (Date - Last-Modified), at most 1 day", ...
  std::string source;
  // Response directives that change what a stale copy may do, e.g. "must-revalidate",
  // "stale-while-revalidate=30", "no-cache (validated before every use)".
  std::vector<std::string> notes;
};
FreshnessReport explainFreshness(const cache::StoredObject& object, const NamedRefreshRules& rules,
                                 int64_t now);

struct CacheabilityReport {
  // Why the response was storable (RFC 9111 3): "explicit freshness (max-age)",
  // "heuristically cacheable status 200 (RFC 9110 15.1)", "Cache-Control: public", ...
  std::vector<std::string> reasons;
  // checkStorable() for the stored response as if fetched now by a plain GET (no request
  // Cache-Control, no Authorization: the request is not stored) with these limits:
  // kStored, or the reason it would not be stored any more (e.g. a lower
  // maximum_object_size).
  cache::NotStored now = cache::NotStored::kStored;
};
CacheabilityReport explainCacheability(const cache::StoredObject& object,
                                       const cache::StoreLimits& limits);

// The validators (RFC 9110 8.8) stored with the object.
struct Validators {
  std::string etag;           // "" when none
  std::string last_modified;  // "" when none
  // "etag", "last-modified", "etag,last-modified" or "-".
  std::string summary() const;
};
Validators storedValidators(const cache::StoredObject& object);

}  // namespace cuttle::tools
