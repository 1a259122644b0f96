// Secondary cache keys (RFC 9111 4.1).
#include <algorithm>

#include "cache/policy.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

// Request fields whose values are comma lists with parameters (RFC 9110 12.5): empty
// elements carry no meaning and OWS around ';' may be added or removed.
bool isParameterList(std::string_view lower_name) {
  return lower_name == "accept" || lower_name == "accept-charset" ||
         lower_name == "accept-encoding" || lower_name == "accept-language";
}

// Fields whose whole value is case-insensitive (codings, charsets, language tags).
bool isCaseInsensitive(std::string_view lower_name) {
  return lower_name == "accept-charset" || lower_name == "accept-encoding" ||
         lower_name == "accept-language";
}

// Appends `s` with the OWS runs next to any of `separators` (outside quoted strings)
// removed; `s` is already trimmed.
void appendSqueezed(std::string_view s, std::string_view separators, std::string& out) {
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < s.size()) {
        out.push_back(s[++i]);
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      out.push_back(c);
    } else if (separators.find(c) != std::string_view::npos) {
      while (!out.empty() && isOws(out.back())) out.pop_back();
      out.push_back(c);
      while (i + 1 < s.size() && isOws(s[i + 1])) ++i;
    } else {
      out.push_back(c);
    }
  }
}

// The normalised value of one selecting field: all its lines combined (RFC 9110 5.3).
std::string normalizedValue(std::string_view lower_name, const HeaderList& headers) {
  std::string out;
  const bool list = isParameterList(lower_name);
  bool first = true;
  for (const HeaderField& f : headers) {
    if (!iequals(f.name, lower_name)) continue;
    if (list) {
      ListIterator it(f.value);
      std::string_view element;
      while (it.next(&element)) {
        if (!first) out.push_back(',');
        first = false;
        appendSqueezed(element, ";", out);
      }
    } else {
      if (!first) out.push_back(',');
      first = false;
      appendSqueezed(trimOws(f.value), ",", out);
    }
  }
  if (isCaseInsensitive(lower_name)) {
    for (char& c : out) c = asciiLower(c);
  }
  return out;
}

bool present(std::string_view lower_name, const HeaderList& headers) {
  return headers.find(lower_name) != nullptr;
}

}  // namespace

std::string normalizeVary(const HeaderList& response_headers) {
  std::vector<std::string> names;
  for (const HeaderField& f : response_headers) {
    if (f.id != HeaderId::kVary) continue;
    ListIterator it(f.value);
    std::string_view name;
    while (it.next(&name)) {
      if (name == "*") return "*";
      names.push_back(toLower(name));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string secondaryKey(std::string_view normalized_vary, const HeaderList& request_headers) {
  if (normalized_vary == "*") return "*";
  std::string key;
  ListIterator it(normalized_vary);
  std::string_view name;
  while (it.next(&name)) {
    const std::string lower = toLower(name);
    key.append(lower);
    if (present(lower, request_headers)) {
      key.push_back(':');
      key.append(normalizedValue(lower, request_headers));
    }
    key.push_back('\n');
  }
  return key;
}

bool varyMatches(std::string_view normalized_vary, std::string_view stored_variant,
                 const HeaderList& request_headers) {
  if (normalized_vary == "*") return false;  // 4.1: "*" always fails to match
  return secondaryKey(normalized_vary, request_headers) == stored_variant;
}

}  // namespace cuttle::cache
