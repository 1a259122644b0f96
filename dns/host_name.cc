#include "dns/host_name.h"

#include "common/strings.h"

namespace cuttle::dns {

namespace {

constexpr size_t kMaxName = 253;  // RFC 1035 2.3.4, as text without the trailing dot
constexpr size_t kMaxLabel = 63;

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

std::optional<std::string> normalizeHostName(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > kMaxName) return std::nullopt;
  size_t label = 0;
  for (char c : host) {
    if (!isHostChar(c)) return std::nullopt;
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else if (++label > kMaxLabel) {
      return std::nullopt;
    }
  }
  if (label == 0) return std::nullopt;  // "a." was stripped once; "a.." ends empty
  return toLower(host);
}

}  // namespace cuttle::dns
