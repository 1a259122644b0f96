// Cache-Control parsing (RFC 9111 5.2).
#include <string>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

using detail::parseDeltaSeconds;
using detail::unquote;

// The field names of a qualified no-cache or private (5.2.2.4, 5.2.2.7): a quoted list
// of field names (a single token is accepted too). Returns false when the value is
// malformed or names nothing, in which case the stricter unqualified form applies.
bool parseFieldNames(std::string_view value, std::vector<std::string>* out) {
  std::optional<std::string> text = unquote(value);
  if (!text) return false;
  std::vector<std::string> names;
  ListIterator it(*text);
  std::string_view name;
  while (it.next(&name)) {
    if (!isToken(name)) return false;
    names.push_back(toLower(name));
  }
  if (names.empty()) return false;
  out->insert(out->end(), names.begin(), names.end());
  return true;
}

// A delta-seconds directive where a malformed value or a conflicting repetition makes the
// response stale (max-age, s-maxage: RFC 9111 4.2.1).
void setStrictDelta(bool has_value, std::string_view value, std::optional<int64_t>* slot,
                    bool* invalid) {
  std::optional<int64_t> v = has_value ? parseDeltaSeconds(value) : std::nullopt;
  if (!v) {
    *invalid = true;
    return;
  }
  if (slot->has_value()) {
    if (**slot != *v) *invalid = true;  // conflicting values: stale (4.2.1)
    return;
  }
  *slot = v;
}

// A delta-seconds directive where a malformed value is ignored and the first value wins.
void setLenientDelta(bool has_value, std::string_view value, std::optional<int64_t>* slot) {
  if (slot->has_value() || !has_value) return;
  *slot = parseDeltaSeconds(value);
}

void applyDirective(std::string_view name, bool has_value, std::string_view value,
                    CacheControl* cc) {
  if (iequals(name, "no-store")) {
    cc->no_store = true;
  } else if (iequals(name, "no-cache")) {
    if (!has_value || !parseFieldNames(value, &cc->no_cache_fields)) cc->no_cache = true;
  } else if (iequals(name, "private")) {
    if (!has_value || !parseFieldNames(value, &cc->private_fields)) cc->is_private = true;
  } else if (iequals(name, "public")) {
    cc->is_public = true;
  } else if (iequals(name, "must-revalidate")) {
    cc->must_revalidate = true;
  } else if (iequals(name, "proxy-revalidate")) {
    cc->proxy_revalidate = true;
  } else if (iequals(name, "must-understand")) {
    cc->must_understand = true;
  } else if (iequals(name, "no-transform")) {
    cc->no_transform = true;
  } else if (iequals(name, "immutable")) {
    cc->immutable = true;
  } else if (iequals(name, "only-if-cached")) {
    cc->only_if_cached = true;
  } else if (iequals(name, "max-age")) {
    setStrictDelta(has_value, value, &cc->max_age, &cc->max_age_invalid);
  } else if (iequals(name, "s-maxage")) {
    setStrictDelta(has_value, value, &cc->s_maxage, &cc->s_maxage_invalid);
  } else if (iequals(name, "max-stale")) {
    if (cc->max_stale.has_value()) return;
    if (!has_value) {
      cc->max_stale = CacheControl::kAnyStale;
    } else {
      cc->max_stale = parseDeltaSeconds(value);  // malformed: ignored
    }
  } else if (iequals(name, "min-fresh")) {
    setLenientDelta(has_value, value, &cc->min_fresh);
  } else if (iequals(name, "stale-while-revalidate")) {
    setLenientDelta(has_value, value, &cc->stale_while_revalidate);
  } else if (iequals(name, "stale-if-error")) {
    setLenientDelta(has_value, value, &cc->stale_if_error);
  }
  // Anything else is an extension this cache does not know: ignored (5.2.3).
}

}  // namespace

CacheControl parseCacheControl(const HeaderList& headers) {
  CacheControl cc;
  for (const HeaderField& f : headers) {
    if (f.id != HeaderId::kCacheControl) continue;
    // Several fields form one comma-separated list (RFC 9110 5.3); commas inside quoted
    // arguments do not split.
    ListIterator it(f.value);
    std::string_view element;
    while (it.next(&element)) {
      size_t eq = element.find('=');
      std::string_view name = trimOws(element.substr(0, eq));
      if (!isToken(name)) continue;
      const bool has_value = eq != std::string_view::npos;
      std::string_view value = has_value ? trimOws(element.substr(eq + 1)) : std::string_view();
      applyDirective(name, has_value, value, &cc);
    }
  }
  // Repeated non-conflicting values leave max_age set; a malformed one anywhere wins.
  return cc;
}

}  // namespace cuttle::cache
