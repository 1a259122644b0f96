#include "tests/support/http_wire.h"

#include <strings.h>

#include <cstdlib>

namespace cuttle::test {
namespace {

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Content-Length as a plain decimal; false for anything else.
bool parseLength(std::string_view v, uint64_t* out) {
  v = trim(v);
  if (v.empty() || v.size() > 18) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

// Reads the body of a message whose head is parsed, per its framing fields.
// until_close_allowed: responses may be delimited by close, requests may not.
bool readBody(SocketStream& s, const Fields& h, bool until_close_allowed, BodyKind* kind,
              std::string* raw_body, std::string* body, Fields* trailers, bool* saw_last_chunk,
              std::string* error) {
  std::string te = h.get("Transfer-Encoding");
  if (h.has("Transfer-Encoding")) {
    *kind = BodyKind::kChunked;
    if (!listHasToken(te, "chunked")) {
      *error = "unsupported Transfer-Encoding in test reader: " + te;
      return false;
    }
    return readChunkedBody(s, raw_body, body, trailers, saw_last_chunk, error);
  }
  if (h.has("Content-Length")) {
    uint64_t n = 0;
    if (!parseLength(h.get("Content-Length"), &n)) {
      *error = "bad Content-Length: " + h.get("Content-Length");
      return false;
    }
    *kind = BodyKind::kLength;
    std::string got;
    bool ok = s.readExactly(n, &got, "a Content-Length body");
    raw_body->append(got);
    body->append(got);
    if (!ok) *error = "connection ended before Content-Length was reached";
    return ok;
  }
  if (!until_close_allowed) return true;
  *kind = BodyKind::kUntilClose;
  std::string got;
  bool ok = s.readToEof(&got, "a close-delimited body");
  raw_body->append(got);
  body->append(got);
  return ok;
}

}  // namespace

std::string Fields::get(std::string_view name) const {
  for (const auto& [n, v] : list) {
    if (ieq(n, name)) return v;
  }
  return std::string();
}

bool Fields::has(std::string_view name) const { return count(name) > 0; }

size_t Fields::count(std::string_view name) const {
  size_t c = 0;
  for (const auto& f : list) c += ieq(f.first, name) ? 1 : 0;
  return c;
}

std::vector<std::string> Fields::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : list) {
    if (ieq(n, name)) out.push_back(v);
  }
  return out;
}

std::vector<std::string> Fields::names() const {
  std::vector<std::string> out;
  for (const auto& f : list) out.push_back(f.first);
  return out;
}

bool listHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (ieq(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool parseHead(std::string_view head, std::string* first_line, Fields* fields, std::string* error) {
  while (head.size() >= 2 && head.substr(head.size() - 2) == "\r\n") head.remove_suffix(2);
  size_t eol = head.find("\r\n");
  *first_line = std::string(head.substr(0, eol));
  if (eol == std::string_view::npos) return true;
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "unparsable field line: " + std::string(line);
      return false;
    }
    fields->list.emplace_back(std::string(line.substr(0, colon)),
                              std::string(trim(line.substr(colon + 1))));
    if (eol == std::string_view::npos) break;
    head.remove_prefix(eol + 2);
  }
  return true;
}

bool readChunkedBody(SocketStream& s, std::string* raw, std::string* body, Fields* trailers,
                     bool* saw_last_chunk, std::string* error) {
  for (;;) {
    std::string line;
    if (!s.readUntil("\r\n", &line, "a chunk-size line")) {
      raw->append(s.takeBuffered());
      *error = "connection ended inside a chunked body (before a chunk-size line)";
      return false;
    }
    raw->append(line);
    char* end = nullptr;
    unsigned long long size = std::strtoull(line.c_str(), &end, 16);
    if (end == line.c_str()) {
      *error = "bad chunk-size line: " + line;
      return false;
    }
    if (size == 0) {
      *saw_last_chunk = true;
      // Trailer section: fields until an empty line.
      for (;;) {
        std::string t;
        if (!s.readUntil("\r\n", &t, "the trailer section")) {
          *error = "connection ended inside the trailer section";
          return false;
        }
        raw->append(t);
        if (t == "\r\n") return true;
        std::string ignored;
        if (!parseHead("x\r\n" + t, &ignored, trailers, error)) return false;
      }
    }
    std::string data;
    bool ok = s.readExactly(size, &data, "chunk data");
    raw->append(data);
    body->append(data);
    if (!ok) {
      *error = "connection ended inside chunk data";
      return false;
    }
    std::string crlf;
    if (!s.readExactly(2, &crlf, "the CRLF after chunk data") || crlf != "\r\n") {
      raw->append(crlf);
      *error = "missing CRLF after chunk data";
      return false;
    }
    raw->append(crlf);
  }
}

HttpRequest readHttpRequest(SocketStream& s) {
  HttpRequest r;
  if (!s.readUntil("\r\n\r\n", &r.head, "a request head")) {
    r.raw = s.takeBuffered();
    r.error = r.raw.empty() ? "connection closed before a request" : "incomplete request head";
    return r;
  }
  r.raw = r.head;
  std::string line;
  if (!parseHead(r.head, &line, &r.headers, &r.error)) return r;
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) {
    r.error = "bad request line: " + line;
    return r;
  }
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  r.version = line.substr(sp2 + 1);
  bool last = false;
  bool ok = readBody(s, r.headers, false, &r.body_kind, &r.raw_body, &r.body, &r.trailers, &last,
                     &r.error);
  r.raw += r.raw_body;
  r.ok = ok;
  return r;
}

HttpResponse readHttpResponse(SocketStream& s, std::string_view request_method) {
  HttpResponse r;
  for (;;) {
    std::string head;
    if (!s.readUntil("\r\n\r\n", &head, "a response head")) {
      std::string rest = s.takeBuffered();
      r.raw += rest;
      r.error = rest.empty() ? "connection closed before a response" : "incomplete response head";
      return r;
    }
    r.raw += head;
    std::string line;
    Fields fields;
    if (!parseHead(head, &line, &fields, &r.error)) return r;
    size_t sp1 = line.find(' ');
    if (sp1 == std::string::npos || line.size() < sp1 + 4) {
      r.error = "bad status line: " + line;
      return r;
    }
    int status = std::atoi(line.substr(sp1 + 1, 3).c_str());
    if (status >= 100 && status < 200 && status != 101) {
      r.interim.push_back(head);
      r.interim_status.push_back(status);
      continue;
    }
    r.head = head;
    r.version = line.substr(0, sp1);
    r.status = status;
    r.reason = line.size() > sp1 + 5 ? line.substr(sp1 + 5) : std::string();
    r.headers = std::move(fields);
    break;
  }
  r.ok = true;
  if (request_method == "HEAD" || r.status == 204 || r.status == 304 || r.status == 101) {
    r.complete = true;
    return r;
  }
  std::string error;
  r.complete = readBody(s, r.headers, true, &r.body_kind, &r.raw_body, &r.body, &r.trailers,
                        &r.saw_last_chunk, &error);
  r.error = error;
  r.raw += r.raw_body;
  return r;
}

std::string chunked(std::string_view body) {
  static const char kHex[] = "0123456789abcdef";
  std::string size;
  for (size_t n = body.size(); n > 0; n /= 16) size.insert(size.begin(), kHex[n % 16]);
  std::string out;
  if (!body.empty()) {
    out += size;
    out += "\r\n";
    out += body;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

}  // namespace cuttle::test
