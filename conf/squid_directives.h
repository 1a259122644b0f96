// Internal to conf/: which words are squid directives, to tell a squid directive cuttle
// does not implement ("not supported by cuttle") from a typo ("unknown directive").
#pragma once

#include <string_view>

namespace cuttle::conf {

enum class SquidDirectiveKind {
  kUnknown,   // not a squid directive
  kSquid,     // a directive of current squid
  kObsolete,  // a directive squid itself has removed
};

// Case-sensitive, as squid.
SquidDirectiveKind classifySquidDirective(std::string_view name);

}  // namespace cuttle::conf
