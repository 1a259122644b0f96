#include "tests/support/cache_origin.h"

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace cuttle::test {

// ---- origins ---------------------------------------------------------------------------------

OriginServer::Handler scripted(Responder respond) {
  return [respond = std::move(respond)](OriginConnection& c) {
    for (;;) {
      HttpRequest req = c.readRequest();
      if (!req.ok) return;
      std::string out = respond(req);
      if (out.empty() || !c.write(out)) return;
      if (listHasToken(req.headers.get("Connection"), "close")) return;
      const size_t head_end = out.find("\r\n\r\n");
      std::string first_line;
      Fields fields;
      std::string error;
      if (parseHead(std::string_view(out).substr(0, head_end), &first_line, &fields, &error) &&
          listHasToken(fields.get("Connection"), "close")) {
        return;
      }
    }
  };
}

std::string response(int status, std::string_view reason, std::string_view fields,
                     std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += fields;
  out += "\r\n";
  out += body;
  return out;
}

std::vector<HttpRequest> requestsFor(const OriginServer& origin, std::string_view target) {
  std::vector<HttpRequest> out;
  for (HttpRequest& r : origin.requests()) {
    if (r.target == target) out.push_back(std::move(r));
  }
  return out;
}

size_t countRequests(const OriginServer& origin, std::string_view target) {
  return requestsFor(origin, target).size();
}

// ---- time ------------------------------------------------------------------------------------

int64_t unixNow() { return static_cast<int64_t>(std::time(nullptr)); }

std::string httpDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// ---- messages --------------------------------------------------------------------------------

bool isDeltaSeconds(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string patternBody(uint64_t seed, size_t size) {
  // xorshift64*: cheap, deterministic, every byte value.
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  std::string out;
  out.resize(size);
  for (size_t i = 0; i < size; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    out[i] = static_cast<char>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
  return out;
}

std::string boundaryOf(std::string_view content_type) {
  size_t at = content_type.find("boundary=");
  if (at == std::string_view::npos) return std::string();
  std::string_view b = content_type.substr(at + 9);
  b = b.substr(0, b.find(';'));
  while (!b.empty() && (b.back() == ' ' || b.back() == '\t')) b.remove_suffix(1);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  return std::string(b);
}

bool parseByteranges(std::string_view body, std::string_view boundary, std::vector<BytePart>* parts,
                     std::string* error) {
  const std::string delimiter = "--" + std::string(boundary);
  // The body starts with the first delimiter (no preamble is sent by a proxy, but RFC 2046
  // allows one: skip up to the first delimiter at a line start).
  size_t pos = 0;
  if (!body.starts_with(delimiter)) {
    pos = body.find("\r\n" + delimiter);
    if (pos == std::string_view::npos) {
      *error = "no first delimiter";
      return false;
    }
    pos += 2;
  }
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      // Close delimiter; an epilogue (normally CRLF) may follow.
      return true;
    }
    if (body.substr(pos, 2) != "\r\n") {
      *error = "delimiter not followed by CRLF at " + std::to_string(pos);
      return false;
    }
    pos += 2;
    size_t head_end = body.find("\r\n\r\n", pos);
    BytePart part;
    if (body.substr(pos, 2) == "\r\n") {
      head_end = pos - 2;  // a part without fields
    } else if (head_end == std::string_view::npos) {
      *error = "part head without an end";
      return false;
    } else {
      std::string first;
      if (!parseHead("x\r\n" + std::string(body.substr(pos, head_end - pos)), &first, &part.fields,
                     error)) {
        return false;
      }
    }
    const size_t data_start = head_end + 4;
    const size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) {
      *error = "part data without a following delimiter";
      return false;
    }
    part.data = std::string(body.substr(data_start, next - data_start));
    parts->push_back(std::move(part));
    pos = next + 2;
  }
}

// ---- proxy -----------------------------------------------------------------------------------

std::vector<std::string> accessResults(const CuttleProcess& proxy) {
  static const std::regex kCode(R"(^\S+ +\d+ \S+ ([A-Z_]+/\d{3}) )");
  std::vector<std::string> out;
  for (const std::string& line : proxy.accessLogLines()) {
    std::smatch m;
    out.push_back(std::regex_search(line, m, kCode) ? std::string(m[1]) : "?" + line);
  }
  return out;
}

std::vector<std::string> waitForAccessResults(CuttleProcess& proxy, size_t n) {
  proxy.waitForAccessLogLines(n);
  return accessResults(proxy);
}

HttpResponse get(const CuttleProcess& proxy, std::string_view url, std::string_view extra) {
  return fetch(proxy.port(), getRequest(url, extra));
}

bool pollUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool fileContains(const std::string& path, std::string_view needle) {
  return readFile(path).find(needle) != std::string::npos;
}

std::string cacheDirLine(const std::string& dir) { return "cache_dir lmdb " + dir + "/cache 64\n"; }

}  // namespace cuttle::test
