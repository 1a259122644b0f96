#include "common/http_date.h"

#include <cstring>

#include "common/strings.h"

namespace cuttle {
namespace {

const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int monthIndex(std::string_view m) {
  for (int i = 0; i < 12; ++i) {
    if (iequals(m, kMonths[i])) return i;
  }
  return -1;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, int* out) {
  auto v = parseDecimal(s);
  if (!v || *v > 100000) return false;
  *out = static_cast<int>(*v);
  return true;
}

bool parseTime(std::string_view t, int* h, int* mi, int* s) {
  return t.size() == 8 && t[2] == ':' && t[5] == ':' && digits(t.substr(0, 2), h) &&
         digits(t.substr(3, 2), mi) && digits(t.substr(6, 2), s);
}

int daysInMonth(int year, int month) {
  static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 1 && leap ? 29 : kMonthDays[month];
}

std::optional<int64_t> build(int year, int month, int day, int h, int mi, int s) {
  if (month < 0 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  // "31 Apr" is not a date; it must not turn into 1 May.
  if (day < 1 || day > daysInMonth(year, month)) return std::nullopt;
  return daysFromCivil(year, static_cast<unsigned>(month + 1), static_cast<unsigned>(day)) * 86400 +
         h * 3600 + mi * 60 + s;
}

}  // namespace

void appendHttpDate(std::string& out, int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[40];
  int n = snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                   tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                   tm.tm_sec);
  out.append(buf, static_cast<size_t>(n));
}

std::string formatHttpDate(int64_t unix_seconds) {
  std::string out;
  appendHttpDate(out, unix_seconds);
  return out;
}

std::optional<int64_t> parseHttpDate(std::string_view text) {
  text = trimOws(text);
  int day, year, h, mi, s;
  size_t comma = text.find(',');
  if (comma != std::string_view::npos) {
    std::string_view rest = trimOws(text.substr(comma + 1));
    if (rest.size() == 24 && rest[2] == ' ' && rest[6] == ' ' && rest[11] == ' ' &&
        rest.substr(20) == " GMT") {
      // IMF-fixdate: "06 Nov 1994 08:49:37 GMT"
      if (!digits(rest.substr(0, 2), &day) || !digits(rest.substr(7, 4), &year) ||
          !parseTime(rest.substr(12, 8), &h, &mi, &s)) {
        return std::nullopt;
      }
      return build(year, monthIndex(rest.substr(3, 3)), day, h, mi, s);
    }
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' &&
        rest.substr(18) == " GMT") {
      // RFC 850: "06-Nov-94 08:49:37 GMT". Two-digit years use a fixed pivot (00-69 are
      // 20xx), not RFC 9110 5.6.7's sliding 50 years: the two differ only for the few years
      // just above 69, where "01-Jan-70" (a common "already expired") must stay in the past.
      if (!digits(rest.substr(0, 2), &day) || !digits(rest.substr(7, 2), &year) ||
          !parseTime(rest.substr(10, 8), &h, &mi, &s)) {
        return std::nullopt;
      }
      year += year < 70 ? 2000 : 1900;
      return build(year, monthIndex(rest.substr(3, 3)), day, h, mi, s);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() == 24 && text[3] == ' ' && text[7] == ' ' && text[10] == ' ' && text[19] == ' ') {
    std::string_view d = text.substr(8, 2);
    if (d[0] == ' ') d.remove_prefix(1);
    if (!digits(d, &day) || !parseTime(text.substr(11, 8), &h, &mi, &s) ||
        !digits(text.substr(20, 4), &year)) {
      return std::nullopt;
    }
    return build(year, monthIndex(text.substr(4, 3)), day, h, mi, s);
  }
  return std::nullopt;
}

std::string_view DateCache::get(int64_t unix_seconds) {
  if (unix_seconds != second_) {
    std::string s = formatHttpDate(unix_seconds);
    size_ = std::min(s.size(), sizeof(text_));
    std::memcpy(text_, s.data(), size_);
    second_ = unix_seconds;
  }
  return std::string_view(text_, size_);
}

}  // namespace cuttle
