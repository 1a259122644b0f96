// Freshness lifetime and age (RFC 9111 4.2.1 - 4.2.3), refresh_pattern heuristics.
#include <algorithm>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/http_date.h"
#include "common/strings.h"
#include "conf/config.h"

namespace cuttle::cache {
namespace {

constexpr int64_t kDefaultHeuristicCap = 24 * 3600;  // without a rule: at most one day
constexpr int64_t kDefaultHeuristicPercent = 10;     // RFC 9111 4.2.2 "typical setting"

// Expires - Date (4.2.1). Several different Expires values, or an invalid one, make the
// response stale (4.2.1, 5.3).
int64_t expiresLifetime(const StoredObject& object, const HeaderField& expires) {
  std::optional<int64_t> when = parseHttpDate(expires.value);
  if (!when) return 0;
  for (const HeaderField& f : object.headers()) {
    if (f.id == HeaderId::kExpires && parseHttpDate(f.value) != when) return 0;
  }
  return std::max<int64_t>(0, *when - detail::dateValue(object));
}

// Heuristic freshness (4.2.2) from Last-Modified, squid's refresh_pattern semantics.
int64_t heuristicLifetime(const StoredObject& object, const RefreshRule* rule) {
  std::optional<int64_t> last_modified =
      detail::headerDate(object.headers(), HeaderId::kLastModified);
  // Time between the last modification and the response; a Last-Modified in the future
  // (a broken origin clock) gives no heuristic age.
  int64_t lm_age =
      last_modified ? std::max<int64_t>(0, detail::dateValue(object) - *last_modified) : 0;
  if (rule == nullptr) {
    if (!last_modified) return 0;
    return std::min(lm_age / kDefaultHeuristicPercent, kDefaultHeuristicCap);
  }
  if (!last_modified) return rule->min_seconds;
  // lm_age * percent cannot overflow: dates stay far below 2^53 and percent is small.
  const int64_t lifetime = lm_age * std::max(0, rule->percent) / 100;
  return std::clamp(lifetime, rule->min_seconds, std::max(rule->min_seconds, rule->max_seconds));
}

}  // namespace

RefreshRules refreshRulesFromConfig(const std::vector<conf::RefreshPattern>& patterns) {
  RefreshRules out;
  for (const conf::RefreshPattern& p : patterns) {
    RefreshRule rule;
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (p.case_insensitive) flags |= std::regex::icase;
      rule.pattern = std::regex(p.regex, flags);
    } catch (const std::regex_error&) {
      continue;  // the configuration loader rejects these already
    }
    auto seconds = [](uint64_t minutes) {
      return static_cast<int64_t>(std::min<uint64_t>(minutes, kDeltaSecondsMax / 60) * 60);
    };
    rule.min_seconds = seconds(p.min_minutes);
    rule.max_seconds = seconds(p.max_minutes);
    rule.percent = p.percent;
    for (const std::string& option : p.options) {
      if (iequals(option, "override-expire")) rule.override_expire = true;
      if (iequals(option, "ignore-reload")) rule.ignore_reload = true;
    }
    out.rules.push_back(std::move(rule));
  }
  return out;
}

const RefreshRule* matchRefreshRule(const RefreshRules& rules, std::string_view url) {
  for (const RefreshRule& rule : rules.rules) {
    if (std::regex_search(url.begin(), url.end(), rule.pattern)) return &rule;
  }
  return nullptr;
}

Freshness freshnessLifetime(const StoredObject& object, const RefreshRules& rules) {
  const CacheControl cc = parseCacheControl(object.headers());
  Freshness out;
  // 4.2.1: s-maxage (a shared cache), then max-age, then Expires. A malformed or
  // conflicting one is stale rather than skipped (4.2.1: "most restrictive").
  if (cc.s_maxage_invalid) return out;
  if (cc.s_maxage) {
    out.lifetime = *cc.s_maxage;
    return out;
  }
  const RefreshRule* rule = matchRefreshRule(rules, object.url());
  const HeaderField* expires = object.headers().find(HeaderId::kExpires);
  if (cc.max_age_invalid || cc.max_age || expires != nullptr) {
    if (cc.max_age_invalid) {
      out.lifetime = 0;
    } else if (cc.max_age) {
      out.lifetime = *cc.max_age;  // 5.3: Expires is ignored when max-age is present
    } else {
      out.lifetime = expiresLifetime(object, *expires);
    }
    // squid's override-expire: the rule's min wins over a shorter explicit lifetime.
    if (rule != nullptr && rule->override_expire) {
      out.lifetime = std::max(out.lifetime, rule->min_seconds);
    }
    return out;
  }
  // 4.2.2: heuristics only for heuristically cacheable statuses or public responses.
  if (!isHeuristicallyCacheable(object.status()) && !cc.is_public) return out;
  out.heuristic = true;
  out.lifetime = std::min(heuristicLifetime(object, rule), kDeltaSecondsMax);
  return out;
}

int64_t currentAge(const StoredObject& object, int64_t now) {
  // RFC 9111 4.2.3, term by term.
  int64_t age_value = 0;
  if (const HeaderField* age = object.headers().find(HeaderId::kAge)) {
    // Age = delta-seconds; anything else is not available (0). Only digits, no quotes.
    std::string_view text = trimOws(age->value);
    if (!text.empty() && text.front() != '"') {
      age_value = detail::parseDeltaSeconds(text).value_or(0);
    }
  }
  const int64_t date_value = detail::dateValue(object);
  const int64_t request_time = object.requestTime();
  const int64_t response_time = object.responseTime();

  const int64_t apparent_age = std::clamp<int64_t>(response_time - date_value, 0, kDeltaSecondsMax);
  const int64_t response_delay =
      std::clamp<int64_t>(response_time - request_time, 0, kDeltaSecondsMax);
  const int64_t corrected_age_value = age_value + response_delay;
  const int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  const int64_t resident_time = std::clamp<int64_t>(now - response_time, 0, kDeltaSecondsMax);
  const int64_t current_age = corrected_initial_age + resident_time;
  return std::min(current_age, kDeltaSecondsMax);  // 5.1: never more than 2^31
}

}  // namespace cuttle::cache
