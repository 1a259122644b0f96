// Helpers shared by the policy sources (cache_control.cc, storable.cc, freshness.cc, ...).
// Not part of the policy contract: only cache/*.cc and the policy tests include this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/object.h"
#include "cache/policy.h"
#include "common/header_list.h"

namespace cuttle::cache::detail {

// delta-seconds (RFC 9111 1.2.2): 1*DIGIT, optionally inside a quoted string (5.2: both
// forms are accepted). Values above kDeltaSecondsMax, including ones that overflow 64 bits,
// are kDeltaSecondsMax. nullopt when malformed.
std::optional<int64_t> parseDeltaSeconds(std::string_view value);

// Removes the quotes and quoted-pair escapes of a quoted-string; a token is returned as is.
// nullopt when a quoted string is not terminated.
std::optional<std::string> unquote(std::string_view value);

// An entity-tag (RFC 9110 8.8.3). `opaque` includes its quotes. A value without quotes
// (which servers sometimes send) is taken whole as a strong opaque tag.
struct EntityTag {
  bool weak = false;
  std::string_view opaque;
};
std::optional<EntityTag> parseEntityTag(std::string_view value);
// RFC 9110 8.8.3.2.
inline bool strongMatch(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}
inline bool weakMatch(const EntityTag& a, const EntityTag& b) { return a.opaque == b.opaque; }

// The first field with this id parsed as an HTTP-date.
std::optional<int64_t> headerDate(const HeaderList& headers, HeaderId id);
// The stored ETag (first field), when it parses.
std::optional<EntityTag> storedETag(const HeaderList& headers);
// date_value of RFC 9111 4.2.3: the Date field, or response_time when missing or invalid
// (RFC 9110 6.6.1).
int64_t dateValue(const StoredObject& object);

// Request wants no stored response without validation: Cache-Control no-cache, or
// Pragma: no-cache when there is no Cache-Control field (RFC 9111 5.4).
bool requestNoCache(const CacheControl& request_cc, const HeaderList& request_headers);

// Lower-cased names listed by every Connection field (RFC 9110 7.6.1).
std::vector<std::string> connectionOptions(const HeaderList& headers);

bool containsName(const std::vector<std::string>& lower_names, std::string_view name);

}  // namespace cuttle::cache::detail
