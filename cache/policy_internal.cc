#include "cache/policy_internal.h"

#include "common/http_date.h"
#include "common/strings.h"

namespace cuttle::cache::detail {

std::optional<std::string> unquote(std::string_view value) {
  if (value.empty() || value.front() != '"') return std::string(value);
  std::string out;
  for (size_t i = 1; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\') {
      if (++i == value.size()) return std::nullopt;
      out.push_back(value[i]);
    } else if (c == '"') {
      // Anything after the closing quote makes the value malformed.
      if (i + 1 != value.size()) return std::nullopt;
      return out;
    } else {
      out.push_back(c);
    }
  }
  return std::nullopt;  // unterminated
}

std::optional<int64_t> parseDeltaSeconds(std::string_view value) {
  std::optional<std::string> text = unquote(value);
  if (!text || text->empty()) return std::nullopt;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  // All digits: a value that overflows 64 bits is still a (huge) delta-seconds.
  std::optional<uint64_t> v = parseDecimal(*text);
  if (!v || *v > static_cast<uint64_t>(kDeltaSecondsMax)) return kDeltaSecondsMax;
  return static_cast<int64_t>(*v);
}

std::optional<EntityTag> parseEntityTag(std::string_view value) {
  value = trimOws(value);
  if (value.empty()) return std::nullopt;
  EntityTag tag;
  if (value.size() >= 2 && value[0] == 'W' && value[1] == '/') {
    tag.weak = true;
    value.remove_prefix(2);
  }
  if (value.empty()) return std::nullopt;
  if (value.front() == '"') {
    // opaque-tag = DQUOTE *etagc DQUOTE, no DQUOTE inside.
    if (value.size() < 2 || value.back() != '"') return std::nullopt;
    if (value.substr(1, value.size() - 2).find('"') != std::string_view::npos) return std::nullopt;
  } else if (tag.weak || value.find_first_of("\", ") != std::string_view::npos) {
    return std::nullopt;
  }
  tag.opaque = value;
  return tag;
}

std::optional<int64_t> headerDate(const HeaderList& headers, HeaderId id) {
  const HeaderField* f = headers.find(id);
  if (f == nullptr) return std::nullopt;
  return parseHttpDate(f->value);
}

std::optional<EntityTag> storedETag(const HeaderList& headers) {
  const HeaderField* f = headers.find(HeaderId::kETag);
  if (f == nullptr) return std::nullopt;
  return parseEntityTag(f->value);
}

int64_t dateValue(const StoredObject& object) {
  std::optional<int64_t> date = headerDate(object.headers(), HeaderId::kDate);
  return date ? *date : object.responseTime();
}

bool requestNoCache(const CacheControl& request_cc, const HeaderList& request_headers) {
  if (request_cc.no_cache || !request_cc.no_cache_fields.empty()) return true;
  // RFC 9111 5.4: Pragma only counts when the request has no Cache-Control at all.
  return !request_headers.has(HeaderId::kCacheControl) &&
         request_headers.hasToken(HeaderId::kPragma, "no-cache");
}

std::vector<std::string> connectionOptions(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const HeaderField& f : headers) {
    if (f.id != HeaderId::kConnection) continue;
    ListIterator it(f.value);
    std::string_view option;
    while (it.next(&option)) out.push_back(toLower(option));
  }
  return out;
}

bool containsName(const std::vector<std::string>& lower_names, std::string_view name) {
  for (const std::string& n : lower_names) {
    if (iequals(n, name)) return true;
  }
  return false;
}

}  // namespace cuttle::cache::detail
