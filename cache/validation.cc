// Validating stored responses (RFC 9111 3.2, 4.3.1, 4.3.4).
#include <algorithm>

#include "cache/policy.h"
#include "cache/policy_internal.h"
#include "common/http_date.h"
#include "common/strings.h"

namespace cuttle::cache {
namespace {

using detail::EntityTag;

void appendField(std::string_view name, std::string_view value, std::string& out) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool validLastModified(const HeaderList& headers) {
  return detail::headerDate(headers, HeaderId::kLastModified).has_value();
}

// Fields never taken from a 304 (RFC 9111 3.2): framing, hop-by-hop, and those describing
// the stored content itself (its coding and range), which the 304 does not carry.
bool neverFromNotModified(const HeaderField& f) {
  return isHopByHop(f.id) || f.id == HeaderId::kContentLength ||
         f.id == HeaderId::kTransferEncoding || f.id == HeaderId::kContentRange ||
         f.id == HeaderId::kContentEncoding;
}

}  // namespace

bool isConditionalField(HeaderId id) {
  return id == HeaderId::kIfMatch || id == HeaderId::kIfNoneMatch ||
         id == HeaderId::kIfModifiedSince || id == HeaderId::kIfUnmodifiedSince ||
         id == HeaderId::kIfRange;
}

bool hasValidator(const HeaderList& response_headers) {
  return detail::storedETag(response_headers).has_value() || validLastModified(response_headers);
}

void appendValidators(const StoredObject& object, std::string& out) {
  appendValidators(std::vector<const StoredObject*>{&object}, out);
}

void appendValidators(const std::vector<const StoredObject*>& objects, std::string& out) {
  // 4.3.1: the entity tags of every stored response being validated.
  std::vector<std::string_view> tags;
  for (const StoredObject* o : objects) {
    std::optional<EntityTag> tag = detail::storedETag(o->headers());
    if (!tag) continue;
    // Keep the W/ prefix: If-None-Match uses the weak comparison (RFC 9110 13.1.2).
    std::string_view text = trimOws(o->headers().get(HeaderId::kETag));
    if (std::find(tags.begin(), tags.end(), text) == tags.end()) tags.push_back(text);
  }
  if (!tags.empty()) {
    std::string list;
    for (std::string_view t : tags) {
      if (!list.empty()) list += ", ";
      list += t;
    }
    appendField("If-None-Match", list, out);
  }
  if (objects.size() != 1) return;  // Last-Modified only for a single stored response
  const HeaderList& headers = objects.front()->headers();
  if (validLastModified(headers)) {
    appendField("If-Modified-Since", trimOws(headers.get(HeaderId::kLastModified)), out);
  } else if (tags.empty() && detail::headerDate(headers, HeaderId::kDate)) {
    // RFC 9110 13.1.3: a cache may use the stored Date when there is no Last-Modified.
    appendField("If-Modified-Since", trimOws(headers.get(HeaderId::kDate)), out);
  }
}

bool notModifiedMatches(const StoredObject& stored, const HeaderList& not_modified_headers) {
  const HeaderList& nm = not_modified_headers;
  std::optional<EntityTag> nm_tag = detail::storedETag(nm);
  std::optional<int64_t> nm_lm = detail::headerDate(nm, HeaderId::kLastModified);
  std::optional<EntityTag> st_tag = detail::storedETag(stored.headers());
  std::optional<int64_t> st_lm = detail::headerDate(stored.headers(), HeaderId::kLastModified);
  // A strong entity tag identifies the representation by itself (4.3.4, first bullet).
  if (nm_tag && !nm_tag->weak) return st_tag && detail::strongMatch(*nm_tag, *st_tag);
  // Weak validators: each one supplied must correspond (second bullet).
  if (nm_tag || nm_lm) {
    if (nm_tag && !(st_tag && detail::weakMatch(*nm_tag, *st_tag))) return false;
    if (nm_lm && !(st_lm && *st_lm == *nm_lm)) return false;
    return true;
  }
  // No validator at all: only a stored response without validators (third bullet).
  return !hasValidator(stored.headers());
}

std::string mergeNotModified(const StoredObject& stored, const HeaderList& not_modified_headers) {
  const std::vector<std::string> connection = detail::connectionOptions(not_modified_headers);
  auto taken = [&](const HeaderField& f) {
    return !neverFromNotModified(f) && !detail::containsName(connection, f.name);
  };
  // Names the 304 replaces; Age always (the stored one describes the old exchange).
  std::vector<std::string> updated{"age"};
  for (const HeaderField& f : not_modified_headers) {
    if (taken(f) && !detail::containsName(updated, f.name)) updated.push_back(toLower(f.name));
  }
  HeaderList merged;
  std::vector<std::string> emitted;
  auto emitUpdates = [&](std::string_view name) {
    for (const HeaderField& f : not_modified_headers) {
      if (taken(f) && iequals(f.name, name)) merged.addCopy(f.name, f.value);
    }
    emitted.push_back(toLower(name));
  };
  for (const HeaderField& f : stored.headers()) {
    if (!detail::containsName(updated, f.name)) {
      merged.addCopy(f.name, f.value);
    } else if (!detail::containsName(emitted, f.name)) {
      emitUpdates(f.name);  // in place of the first stored line of that name
    }
  }
  for (const HeaderField& f : not_modified_headers) {
    if (taken(f) && !detail::containsName(emitted, f.name)) emitUpdates(f.name);
  }
  // The stored response now follows the merged Cache-Control (qualified no-cache/private).
  return storedFields(merged);
}

}  // namespace cuttle::cache
