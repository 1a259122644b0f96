#include "tests/support/prometheus_text.h"

#include <cctype>
#include <cstdlib>
#include <limits>
#include <set>

namespace cuttle::test {
namespace {

bool isNameStart(char c, bool colon) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || (colon && c == ':');
}
bool isNameChar(char c, bool colon) {
  return isNameStart(c, colon) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Takes a metric name (colon allowed) or a label name from the front of s.
std::string takeName(std::string_view& s, bool colon) {
  if (s.empty() || !isNameStart(s[0], colon)) return {};
  size_t n = 1;
  while (n < s.size() && isNameChar(s[n], colon)) ++n;
  std::string out(s.substr(0, n));
  s.remove_prefix(n);
  return out;
}

bool parseFloat(std::string_view s, double* out) {
  if (s == "+Inf" || s == "Inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s.empty()) return false;
  std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

// Parses `{...}` (the braces included) from the front of s; false on a syntax error.
bool takeLabels(std::string_view& s, std::string* labels, std::string* error) {
  if (s.empty() || s[0] != '{') return true;
  s.remove_prefix(1);
  const std::string_view start = s;
  std::set<std::string> seen;
  while (!s.empty() && s[0] != '}') {
    std::string name = takeName(s, false);
    if (name.empty()) {
      *error = "bad label name";
      return false;
    }
    if (!seen.insert(name).second) {
      *error = "label " + name + " twice";
      return false;
    }
    if (s.size() < 2 || s[0] != '=' || s[1] != '"') {
      *error = "label " + name + " without =\"value\"";
      return false;
    }
    s.remove_prefix(2);
    for (;;) {
      if (s.empty() || s[0] == '\n') {
        *error = "unterminated label value";
        return false;
      }
      if (s[0] == '"') break;
      if (s[0] == '\\') {
        if (s.size() < 2 || (s[1] != '\\' && s[1] != '"' && s[1] != 'n')) {
          *error = "bad escape in a label value";
          return false;
        }
        s.remove_prefix(1);
      }
      s.remove_prefix(1);
    }
    s.remove_prefix(1);  // closing quote
    if (!s.empty() && s[0] == ',') s.remove_prefix(1);
  }
  if (s.empty()) {
    *error = "unterminated label set";
    return false;
  }
  *labels = std::string(start.substr(0, start.size() - s.size()));
  s.remove_prefix(1);  // '}'
  return true;
}

std::string familyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string base = name.substr(0, name.size() - suffix.size());
    auto it = types.find(base);
    if (it == types.end()) continue;
    if (it->second == "histogram" || (it->second == "summary" && suffix != "_bucket")) return base;
  }
  return name;
}

}  // namespace

std::optional<double> PrometheusText::value(std::string_view series) const {
  for (const PrometheusSample& s : samples) {
    std::string key = s.labels.empty() ? s.name : s.name + "{" + s.labels + "}";
    if (key == series) return s.value;
  }
  return std::nullopt;
}

PrometheusText parsePrometheusText(std::string_view text) {
  PrometheusText out;
  std::set<std::string> finished_families, series;
  std::string current_family;
  int line_no = 0;
  auto fail = [&](const std::string& why, std::string_view line) {
    out.error = "line " + std::to_string(line_no) + ": " + why + ": " + std::string(line);
    return out;
  };
  if (text.empty() || text.back() != '\n') {
    out.error = "the text does not end with a newline";
    return out;
  }
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    ++line_no;
    if (line.empty()) return fail("blank line", line);
    if (line[0] == '#') {
      std::string_view rest = line.substr(1);
      if (rest.empty() || rest[0] != ' ') return fail("comment without a space after #", line);
      rest.remove_prefix(1);
      const bool is_help = rest.substr(0, 5) == "HELP ";
      const bool is_type = rest.substr(0, 5) == "TYPE ";
      if (!is_help && !is_type) continue;  // an ordinary comment
      rest.remove_prefix(5);
      std::string name = takeName(rest, true);
      if (name.empty()) return fail("bad metric name", line);
      if (finished_families.count(name) != 0 || name == current_family) {
        return fail("HELP/TYPE after the family's samples", line);
      }
      if (is_help) {
        if (!out.helps.insert(name).second) return fail("second HELP", line);
        if (!rest.empty() && rest[0] != ' ') return fail("bad HELP", line);
        continue;
      }
      if (rest.empty() || rest[0] != ' ') return fail("TYPE without a type", line);
      rest.remove_prefix(1);
      static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                        "untyped"};
      if (kTypes.count(rest) == 0) return fail("unknown type", line);
      if (!out.types.emplace(name, std::string(rest)).second) return fail("second TYPE", line);
      continue;
    }
    std::string_view rest = line;
    PrometheusSample sample;
    sample.name = takeName(rest, true);
    if (sample.name.empty()) return fail("bad metric name", line);
    std::string error;
    if (!takeLabels(rest, &sample.labels, &error)) return fail(error, line);
    if (rest.empty() || rest[0] != ' ') return fail("no space before the value", line);
    rest.remove_prefix(1);
    const size_t sp = rest.find(' ');
    if (!parseFloat(rest.substr(0, sp), &sample.value)) return fail("bad value", line);
    if (sp != std::string_view::npos) {
      double ts = 0;
      if (!parseFloat(rest.substr(sp + 1), &ts)) return fail("bad timestamp", line);
    }
    const std::string family = familyOf(sample.name, out.types);
    sample.family = family;
    if (family != current_family) {
      if (finished_families.count(family) != 0) return fail("family samples not contiguous", line);
      if (!current_family.empty()) finished_families.insert(current_family);
      current_family = family;
    }
    const std::string key = sample.name + "{" + sample.labels + "}";
    if (!series.insert(key).second) return fail("series twice", line);
    out.samples.push_back(std::move(sample));
  }
  out.ok = true;
  return out;
}

}  // namespace cuttle::test
