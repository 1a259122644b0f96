// src and dst: sets of addresses, squid syntax.
//
// Values (squid's acl/Ip.cc): an address, "a/bits", "a/dotted-netmask", "a1-a2",
// "a1-a2/bits", "all", "ipv4", "ipv6" (squid's list of unicast IPv6 space). IPv4 values
// are IPv4-mapped IPv6 (::ffff:a.b.c.d), so they match IPv4 clients accepted on an IPv6
// socket, and "all" (::/0) matches both families. squid's old spellings of "all"
// ("0.0.0.0/0", "0/0", ...) mean "all", with a warning, as in squid.
//
// Host names are rejected: squid resolves them once when it reads the configuration,
// cuttle never resolves while reading it.
//
// Every value is an interval of the 128-bit address space (a prefix mask applied to
// a1..a2 gives [a1 & mask, (a2 & mask) | ~mask]); the intervals are sorted and merged when
// the configuration is built, and a match is one binary search.
#include <algorithm>
#include <string>

#include "common/strings.h"
#include "conf/acl.h"

namespace cuttle::conf::acl {
namespace {

constexpr Ip128 kAllOnes = ~Ip128{0};
constexpr Ip128 kV4Prefix = Ip128{0xffff} << 32;

Ip128 prefixMask(int bits) { return bits == 0 ? 0 : kAllOnes << (128 - bits); }

bool isV4Mapped(Ip128 a) { return (a >> 32) == 0xffff; }

class AddressAcl final : public Acl {
 public:
  AddressAcl(const std::string& name, const std::string& type)
      : Acl(name, type), destination_(type == "dst") {}

  Match match(Context& context) const override {
    if (all_) return Match::kYes;
    Ip128 a = 0;
    if (!destination_) {
      return context.clientIp(&a) && contains(a) ? Match::kYes : Match::kNo;
    }
    if (context.hostIp(&a)) return contains(a) ? Match::kYes : Match::kNo;
    if (no_lookup_) return Match::kNo;  // -n: never resolve
    const std::vector<SocketAddress>* destinations = context.request().destinations;
    if (destinations == nullptr) return Match::kNeedDestination;
    for (const SocketAddress& d : *destinations) {
      if (toIp128(d, &a) && contains(a)) return Match::kYes;
    }
    return Match::kNo;
  }

  bool empty() const override { return ranges_.empty(); }

  void finish(ValueDiagnostics&) override {
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<Range> merged;
    for (const Range& r : ranges_) {
      if (!merged.empty() &&
          (merged.back().second == kAllOnes || r.first <= merged.back().second + 1)) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
    all_ = ranges_.size() == 1 && ranges_[0].first == 0 && ranges_[0].second == kAllOnes;
  }

 protected:
  unsigned options() const override { return destination_ ? kOptNoLookup : kOptNone; }

  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    const std::string& v = token.text;
    if (v == "all") {
      ranges_.emplace_back(0, kAllOnes);
      return;
    }
    if (v == "0/0" || v == "0.0.0.0/0" || v == "0.0.0.0/0.0.0.0" ||
        v == "0.0.0.0-255.255.255.255" || v == "0.0.0.0-0.0.0.0/0") {
      diag.warning(token, "'" + v +
                              "' means 'all' (every IPv4 and IPv6 address), as in squid; "
                              "write 'all'");
      ranges_.emplace_back(0, kAllOnes);
      return;
    }
    if (v == "ipv4") {
      ranges_.emplace_back(kV4Prefix, kV4Prefix | 0xffffffffu);
      return;
    }
    if (v == "ipv6") {
      // squid: the unicast IPv6 space.
      static constexpr std::pair<uint16_t, int> kIpv6[] = {{0x1000, 4}, {0x2000, 3}, {0x4000, 2},
                                                           {0x8000, 2}, {0xc000, 3}, {0xe000, 4},
                                                           {0xfc00, 7}, {0xfe80, 10}};
      for (const auto& [top, bits] : kIpv6) {
        Ip128 lo = Ip128{top} << 112;
        ranges_.emplace_back(lo, lo | ~prefixMask(bits));
      }
      return;
    }
    std::string error;
    if (!parseRange(token, diag, &error)) diag.error(token, error);
  }

 private:
  using Range = std::pair<Ip128, Ip128>;

  bool contains(Ip128 a) const {
    // The last range starting at or before `a`.
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), a,
                               [](Ip128 x, const Range& r) { return x < r.first; });
    if (it == ranges_.begin()) return false;
    --it;
    return a <= it->second;
  }

  bool parseRange(const Token& token, ValueDiagnostics& diag, std::string* error) {
    std::string_view v = token.text;
    std::string_view mask_text;
    if (size_t slash = v.find('/'); slash != std::string_view::npos) {
      mask_text = v.substr(slash + 1);
      v = v.substr(0, slash);
    }
    std::string_view first = v;
    std::string_view second;
    if (size_t dash = v.find('-'); dash != std::string_view::npos) {
      first = v.substr(0, dash);
      second = v.substr(dash + 1);
    }
    Ip128 a1 = 0;
    Ip128 a2 = 0;
    if (!parseIp128(first, &a1) || (!second.empty() && !parseIp128(second, &a2))) {
      *error = "'" + token.text +
               "' is not an IP address, network or range (cuttle does not resolve host "
               "names in ACLs)";
      return false;
    }
    bool v4 = first.find(':') == std::string_view::npos;
    if (second.empty()) {
      a2 = a1;
    } else if (v4 != (second.find(':') == std::string_view::npos)) {
      *error = "'" + token.text + "' mixes IPv4 and IPv6 addresses";
      return false;
    }
    int bits = 128;
    if (!mask_text.empty() && !parseMask(mask_text, v4, token, diag, &bits)) {
      *error = "'" + token.text + "' has a bad netmask";
      return false;
    }
    Ip128 m = prefixMask(bits);
    Ip128 lo = a1 & m;
    Ip128 hi = a2 & m;
    if (lo != a1 || hi != a2) {
      diag.warning(token, "the netmask clears bits of the address in '" + token.text + "'");
    }
    if (lo > hi) {
      diag.warning(token, "'" + token.text + "' is a reversed range and never matches");
      return true;
    }
    ranges_.emplace_back(lo, hi | ~m);
    return true;
  }

  // "/24", "/64" or an IPv4 netmask "/255.255.255.0" (contiguous); sets 128-bit prefix bits.
  static bool parseMask(std::string_view text, bool v4, const Token& token, ValueDiagnostics& diag,
                        int* bits) {
    if (std::optional<uint64_t> n = parseDecimal(text)) {
      uint64_t limit = v4 ? 32 : 128;
      if (*n > limit) return false;
      *bits = static_cast<int>(*n) + (v4 ? 96 : 0);
      return true;
    }
    Ip128 mask = 0;
    if (!v4 || text.find(':') != std::string_view::npos || !parseIp128(text, &mask) ||
        !isV4Mapped(mask)) {
      return false;
    }
    uint32_t m = static_cast<uint32_t>(mask);
    int n = 0;
    while (n < 32 && (m & (0x80000000u >> n)) != 0) ++n;
    uint32_t expected = n == 0 ? 0 : ~uint32_t{0} << (32 - n);
    if (m != expected) return false;  // not contiguous
    diag.warning(token, "netmasks are deprecated (squid); write /" + std::to_string(n));
    *bits = 96 + n;
    return true;
  }

  bool destination_;
  bool all_ = false;
  std::vector<Range> ranges_;
};

}  // namespace

std::unique_ptr<Acl> makeAddressAcl(const std::string& name, const std::string& type) {
  return std::make_unique<AddressAcl>(name, type);
}

}  // namespace cuttle::conf::acl
