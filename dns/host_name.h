// Host name checks shared by the resolver, its cache and the hosts file parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cuttle::dns {

// The canonical form of a host name used as a cache and hosts-file key: ASCII lower case,
// one trailing dot removed. nullopt when the name is not acceptable: empty, longer than
// 253 characters, an empty label ("a..b", ".a"), a label over 63 characters, or a character
// other than letters, digits, '-', '_' and '.'. Numeric addresses pass (they are names made
// of digits and dots); callers check for them first.
std::optional<std::string> normalizeHostName(std::string_view host);

}  // namespace cuttle::dns
