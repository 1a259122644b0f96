// Invalidation after unsafe requests (RFC 9111 4.4), with RFC 3986 5.2 reference
// resolution for Location and Content-Location.
#include <algorithm>

#include "cache/policy.h"
#include "common/strings.h"
#include "common/uri.h"

namespace cuttle::cache {
namespace {

// The parts of a URI reference (RFC 3986 4.1, 5.2.1); the fragment is dropped.
struct Reference {
  std::string_view scheme;
  bool has_authority = false;
  std::string_view authority;
  std::string_view path;
  bool has_query = false;
  std::string_view query;
};

Reference splitReference(std::string_view ref) {
  Reference r;
  ref = ref.substr(0, ref.find('#'));
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ":".
  size_t colon = ref.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view scheme = ref.substr(0, colon);
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    bool ok = alpha(scheme[0]);
    for (char c : scheme) {
      ok = ok && (alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
    }
    if (ok) {
      r.scheme = scheme;
      ref.remove_prefix(colon + 1);
    }
  }
  if (ref.starts_with("//")) {
    ref.remove_prefix(2);
    size_t end = ref.find_first_of("/?");
    r.has_authority = true;
    r.authority = ref.substr(0, end);
    ref = end == std::string_view::npos ? std::string_view() : ref.substr(end);
  }
  size_t q = ref.find('?');
  r.path = ref.substr(0, q);
  if (q != std::string_view::npos) {
    r.has_query = true;
    r.query = ref.substr(q + 1);
  }
  return r;
}

// RFC 3986 5.2.4.
std::string removeDotSegments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', in.front() == '/' ? 1 : 0);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

// RFC 3986 5.2.2 with a base that has an authority; returns an absolute URI.
std::string resolve(const Uri& base, std::string_view reference) {
  const Reference r = splitReference(reference);
  std::string_view base_pq = base.path_and_query;
  size_t q = base_pq.find('?');
  std::string_view base_path = base_pq.substr(0, q);
  if (base_path.empty()) base_path = "/";
  std::string scheme, authority, path, query;
  bool has_query = false;
  if (!r.scheme.empty()) {
    scheme = toLower(r.scheme);
    authority = r.authority;
    path = removeDotSegments(r.path);
    has_query = r.has_query;
    query = r.query;
  } else {
    scheme = base.scheme;
    if (r.has_authority) {
      authority = r.authority;
      path = removeDotSegments(r.path);
      has_query = r.has_query;
      query = r.query;
    } else {
      authority = base.authority();
      if (r.path.empty()) {
        path = base_path;
        has_query = r.has_query || q != std::string_view::npos;
        query = r.has_query
                    ? r.query
                    : (q != std::string_view::npos ? base_pq.substr(q + 1) : std::string_view());
      } else {
        if (r.path.front() == '/') {
          path = removeDotSegments(r.path);
        } else {
          // 5.2.3 merge: the base path up to its last "/", then the reference.
          std::string merged(base_path.substr(0, base_path.rfind('/') + 1));
          merged.append(r.path);
          path = removeDotSegments(merged);
        }
        has_query = r.has_query;
        query = r.query;
      }
    }
  }
  std::string out = scheme + "://" + authority + path;
  if (has_query) {
    out.push_back('?');
    out.append(query);
  }
  return out;
}

}  // namespace

bool invalidates(Method method, int status) {
  if (status < 200 || status > 399) return false;  // 4.4: non-error status codes only
  switch (method) {
    case Method::kGet:
    case Method::kHead:
    case Method::kOptions:
    case Method::kTrace:
    case Method::kConnect:
      return false;
    default:
      return true;  // unsafe, or of unknown safety
  }
}

std::vector<std::string> invalidationTargets(std::string_view request_url,
                                             const HeaderList& response_headers) {
  std::vector<std::string> out;
  Result<Uri> base = parseRequestTarget(request_url, false);
  if (!base || base->form != Uri::Form::kAbsolute) return out;
  const std::string self = base->absolute();
  for (const HeaderField& f : response_headers) {
    if (f.id != HeaderId::kLocation && f.id != HeaderId::kContentLocation) continue;
    std::string_view value = trimOws(f.value);
    if (value.empty()) continue;
    const std::string absolute = resolve(*base, value);
    Result<Uri> target = parseRequestTarget(absolute, false);
    if (!target || target->form != Uri::Form::kAbsolute) continue;
    // 4.4: never invalidate another origin (denial of service).
    if (target->scheme != base->scheme || target->host != base->host ||
        target->port != base->port) {
      continue;
    }
    std::string canonical = target->absolute();
    if (canonical == self || std::find(out.begin(), out.end(), canonical) != out.end()) continue;
    out.push_back(std::move(canonical));
  }
  return out;
}

}  // namespace cuttle::cache
