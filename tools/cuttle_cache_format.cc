#include "tools/cuttle_cache_format.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cuttle::tools {

std::string formatDuration(int64_t seconds) {
  if (seconds < 0) {
    // -INT64_MIN overflows; such ages do not exist (policy.h clamps them to 2^31).
    return "-" + formatDuration(seconds == INT64_MIN ? INT64_MAX : -seconds);
  }
  const int64_t days = seconds / 86400;
  const int64_t hours = seconds % 86400 / 3600;
  const int64_t minutes = seconds % 3600 / 60;
  const int64_t secs = seconds % 60;
  char buf[64];
  if (days > 0) {
    std::snprintf(buf, sizeof buf, "%" PRId64 "d%02" PRId64 "h", days, hours);
  } else if (hours > 0) {
    std::snprintf(buf, sizeof buf, "%" PRId64 "h%02" PRId64 "m", hours, minutes);
  } else if (minutes > 0) {
    std::snprintf(buf, sizeof buf, "%" PRId64 "m%02" PRId64 "s", minutes, secs);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRId64 "s", secs);
  }
  return buf;
}

std::string formatTime(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char buf[40];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

std::string formatBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string describeVariant(std::string_view variant) {
  std::string out;
  while (!variant.empty()) {
    const size_t eol = variant.find('\n');
    std::string_view member = variant.substr(0, eol);
    variant.remove_prefix(eol == std::string_view::npos ? variant.size() : eol + 1);
    if (!out.empty()) out += ", ";
    const size_t colon = member.find(':');
    if (colon == std::string_view::npos) {
      out.append(member).append(" absent");
    } else {
      out.append(member.substr(0, colon)).append("=").append(member.substr(colon + 1));
    }
  }
  return out;
}

// ---- JsonWriter ----------------------------------------------------------------------------

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

void JsonWriter::beginObject() {
  separate();
  out_ += '{';
  first_.push_back(true);
}

void JsonWriter::endObject() {
  out_ += '}';
  first_.pop_back();
}

void JsonWriter::beginArray() {
  separate();
  out_ += '[';
  first_.push_back(true);
}

void JsonWriter::endArray() {
  out_ += ']';
  first_.pop_back();
}

JsonWriter& JsonWriter::key(std::string_view name) {
  string(name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

void JsonWriter::string(std::string_view s) {
  separate();
  out_ += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out_ += buf;
        } else {
          // Bytes >= 0x80 pass as they are: header values are octets (RFC 9110 5.5), and
          // a JSON reader that insists on UTF-8 gets them as the origin sent them.
          out_ += c;
        }
    }
  }
  out_ += '"';
}

void JsonWriter::number(int64_t n) {
  separate();
  out_ += std::to_string(n);
}

void JsonWriter::unsignedNumber(uint64_t n) {
  separate();
  out_ += std::to_string(n);
}

void JsonWriter::decimal(double d) {
  separate();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", std::isfinite(d) ? d : 0.0);
  out_ += buf;
}

void JsonWriter::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
}

void JsonWriter::null() {
  separate();
  out_ += "null";
}

std::string JsonWriter::take() {
  std::string out = std::move(out_);
  out_.clear();
  out += '\n';
  return out;
}

// ---- Table ---------------------------------------------------------------------------------

std::string Table::render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace cuttle::tools
