// squid's time and size units (squid's cache_cf.cc parseTimeUnits / parseBytesUnits):
// a month is 30 days, a year 365.2522 days, a decade ten such years; KB, MB and GB are
// powers of 1024. Values may have a fraction ("1.5 hours"); the result is truncated.
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "common/strings.h"
#include "conf/config.h"

namespace cuttle::conf {
namespace {

struct Unit {
  std::string_view name;
  uint64_t factor;
};

constexpr uint64_t kSecond = 1000;
constexpr uint64_t kDay = 86400 * kSecond;
constexpr uint64_t kYear = 31557790080ull;  // squid: 86400 * 1000 * 365.2522

constexpr Unit kTimeUnits[] = {
    {"millisecond", 1},
    {"milliseconds", 1},
    {"msec", 1},
    {"ms", 1},
    {"second", kSecond},
    {"seconds", kSecond},
    {"minute", 60 * kSecond},
    {"minutes", 60 * kSecond},
    {"hour", 3600 * kSecond},
    {"hours", 3600 * kSecond},
    {"day", kDay},
    {"days", kDay},
    {"week", 7 * kDay},
    {"weeks", 7 * kDay},
    {"fortnight", 14 * kDay},
    {"fortnights", 14 * kDay},
    {"month", 30 * kDay},
    {"months", 30 * kDay},
    {"year", kYear},
    {"years", kYear},
    {"decade", 10 * kYear},
    {"decades", 10 * kYear},
};

constexpr uint64_t kKiB = 1024;
constexpr Unit kSizeUnits[] = {
    {"byte", 1},
    {"bytes", 1},
    {"kb", kKiB},
    {"kbyte", kKiB},
    {"kbytes", kKiB},
    {"mb", kKiB* kKiB},
    {"mbyte", kKiB* kKiB},
    {"mbytes", kKiB* kKiB},
    {"gb", kKiB* kKiB* kKiB},
    {"gbyte", kKiB* kKiB* kKiB},
    {"gbytes", kKiB* kKiB* kKiB},
};

template <size_t N>
std::optional<uint64_t> lookup(const Unit (&table)[N], std::string_view name) {
  for (const Unit& u : table) {
    if (iequals(u.name, name)) return u.factor;
  }
  return std::nullopt;
}

// A non-negative decimal number with an optional fraction: "15", "1.5", "0.25", ".5".
// No sign, no exponent. At most 9 fraction digits are significant.
struct Decimal {
  uint64_t whole = 0;
  uint64_t frac = 0;        // fraction digits as an integer
  uint64_t frac_scale = 1;  // 10^(number of fraction digits kept)
};

std::optional<Decimal> parseDecimalFraction(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  Decimal d;
  if (!whole.empty()) {
    auto w = parseDecimal(whole);
    if (!w) return std::nullopt;
    d.whole = *w;
  }
  for (size_t i = 0; i < frac.size(); ++i) {
    if (frac[i] < '0' || frac[i] > '9') return std::nullopt;
    if (i < 9) {
      d.frac = d.frac * 10 + static_cast<uint64_t>(frac[i] - '0');
      d.frac_scale *= 10;
    }
  }
  return d;
}

std::optional<uint64_t> scale(const Decimal& d, uint64_t factor) {
  uint64_t whole = 0;
  if (__builtin_mul_overflow(d.whole, factor, &whole)) return std::nullopt;
  unsigned __int128 part = static_cast<unsigned __int128>(d.frac) * factor / d.frac_scale;
  uint64_t total = 0;
  if (__builtin_add_overflow(whole, static_cast<uint64_t>(part), &total)) return std::nullopt;
  return total;
}

template <size_t N>
std::optional<uint64_t> parseWithUnits(const Unit (&table)[N], std::string_view value,
                                       std::string_view unit, std::string_view default_unit) {
  auto d = parseDecimalFraction(value);
  if (!d) return std::nullopt;
  auto factor = lookup(table, unit.empty() ? default_unit : unit);
  if (!factor) return std::nullopt;
  return scale(*d, *factor);
}

}  // namespace

std::optional<Duration> parseDuration(std::string_view value, std::string_view unit,
                                      std::string_view default_unit) {
  auto ms = parseWithUnits(kTimeUnits, value, unit, default_unit);
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max())) {
    return std::nullopt;
  }
  return Duration(static_cast<Duration::rep>(*ms));
}

std::optional<uint64_t> parseSize(std::string_view value, std::string_view unit,
                                  std::string_view default_unit) {
  return parseWithUnits(kSizeUnits, value, unit, default_unit);
}

}  // namespace cuttle::conf
