#include "proxy/log_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/strings.h"

namespace cuttle::proxy {
namespace {

// Quotes for common/combined: replaces characters that would break the field.
void appendSafe(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char c : s) out += (c == '"' || c < 0x20 || c == 0x7f) ? '%' : c;
}

}  // namespace

void formatSquid(const AccessRecord& r, std::string& out) {
  // %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
  char head[64];
  int n =
      snprintf(head, sizeof(head), "%lld.%03d %6llu ", static_cast<long long>(r.start_ms / 1000),
               static_cast<int>(r.start_ms % 1000), static_cast<unsigned long long>(r.elapsed_ms));
  out.append(head, static_cast<size_t>(n));
  out += r.client.empty() ? "-" : r.client.ipString();
  out += ' ';
  out += r.result;
  n = snprintf(head, sizeof(head), "/%03d %llu ", r.status,
               static_cast<unsigned long long>(r.bytes_sent));
  out.append(head, static_cast<size_t>(n));
  out += r.method.empty() ? "NONE" : r.method;
  out += ' ';
  appendSafe(out, r.url);
  out += ' ';
  out += r.user.empty() ? "-" : r.user;
  out += ' ';
  out += r.hierarchy;
  out += '/';
  out += r.peer;
  out += ' ';
  out += r.content_type.empty() ? "-" : r.content_type;
  if (!r.trace.empty()) {
    out += " trace=\"";
    appendSafe(out, r.trace);
    out += '"';
  }
  out += '\n';
}

void formatCommon(const AccessRecord& r, bool combined, std::string& out) {
  // host ident user [dd/Mon/yyyy:hh:mm:ss +0000] "method url HTTP/1.1" status bytes
  out += r.client.empty() ? "-" : r.client.ipString();
  out += " - ";
  out += r.user.empty() ? "-" : r.user;
  time_t t = static_cast<time_t>(r.start_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[48];
  size_t n = strftime(date, sizeof(date), " [%d/%b/%Y:%H:%M:%S +0000] \"", &tm);
  out.append(date, n);
  appendSafe(out, r.method);
  out += ' ';
  appendSafe(out, r.url);
  out += " HTTP/1.1\" ";
  appendDecimal(out, static_cast<uint64_t>(r.status));
  out += ' ';
  appendDecimal(out, r.bytes_sent);
  if (combined) {
    out += " \"";
    appendSafe(out, r.referer);
    out += "\" \"";
    appendSafe(out, r.user_agent);
    out += '"';
  }
  out += ' ';
  out += r.result;
  out += ':';
  out += r.hierarchy;
  out += '\n';
}

// ---- logformat ------------------------------------------------------------------------------

namespace {

// The codes of squid's logformat that cuttle writes (LogFormat::Token::code; 0 is literal
// text). Values are stored in a uint8_t.
enum Code : uint8_t {
  kLiteral = 0,
  kClientIp,
  kClientPort,
  kLocalIp,
  kLocalPort,
  kServerIp,
  kTimeSeconds,
  kTimeMillis,
  kTimeLocal,
  kTimeGmt,
  kResponseTime,
  kStartTime,
  kStatusSent,
  kStatusReceived,
  kBytesSent,
  kBytesReceived,
  kBytesTotal,
  kMethod,
  kUrl,
  kUrlPath,
  kVersion,
  kUser,
  kResult,
  kHierarchy,
  kMimeType,
  kRequestHeader,
  kReplyHeader,
  kUnrecorded,  // squid knows it, cuttle does not record it: "-"
};

struct CodeName {
  std::string_view name;
  Code code;
};

// squid 5's names. The longest name that starts the text wins (">Hs" over ">h" is a
// matter of case, "<st" over "st" of length).
// clang-format off
constexpr CodeName kCodes[] = {
    {">a", kClientIp}, {">A", kClientIp}, {">p", kClientPort}, {"la", kLocalIp},
    {"lp", kLocalPort}, {">la", kLocalIp}, {">lp", kLocalPort}, {"<a", kServerIp},
    {"<A", kServerIp}, {"ts", kTimeSeconds}, {"tu", kTimeMillis}, {"tl", kTimeLocal},
    {"tg", kTimeGmt}, {"tr", kResponseTime}, {"tS", kStartTime}, {">Hs", kStatusSent},
    {"Hs", kStatusSent}, {"<Hs", kStatusReceived}, {"<st", kBytesSent},
    {">st", kBytesReceived}, {"st", kBytesTotal}, {"rm", kMethod}, {">rm", kMethod},
    {"ru", kUrl}, {">ru", kUrl}, {"rp", kUrlPath}, {">rp", kUrlPath}, {"rv", kVersion},
    {">rv", kVersion}, {"un", kUser}, {"ul", kUser}, {"Ss", kResult}, {"Sh", kHierarchy},
    {"mt", kMimeType}, {">h", kRequestHeader}, {"<h", kReplyHeader},
};
// clang-format on

// Known to squid, not recorded by cuttle: logged as "-".
constexpr std::string_view kUnrecordedCodes[] = {
    ">eui", ">qos", "<qos", ">nfmark", "<nfmark",   "<p",         "<la",  "<lp",
    "dt",   "<pt",  "<tt",  "<tS",     "busy_time", "et",         "ea",   "ue",
    "ui",   "us",   ">ha",  "rs",      "rd",        ">rs",        ">rd",  ">rP",
    "<rm",  "<ru",  "<rs",  "<rd",     "<rp",       "<rv",        ">sh",  "<sh",
    "<sH",  "<sS",  "<bs",  "sn",      "err_code",  "err_detail", "note", "master_xaction",
};

// Namespaces of squid codes for features cuttle does not have: all logged as "-".
constexpr std::string_view kUnrecordedNamespaces[] = {
    "ssl::", "tls::", "icap::", "adapt::", "proxy_protocol::", "transport::"};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isWord(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Reads "{...}" at the front of `rest`; nullopt (and *bad) when the brace is not closed.
std::optional<std::string> takeArg(std::string_view& rest, bool* bad) {
  if (rest.empty() || rest.front() != '{') return std::nullopt;
  size_t close = rest.find('}');
  if (close == std::string_view::npos) {
    *bad = true;
    return std::nullopt;
  }
  std::string arg(rest.substr(1, close - 1));
  rest.remove_prefix(close + 1);
  return arg;
}

// The code at the front of `rest` (consumed), or nullopt.
std::optional<Code> takeCode(std::string_view& rest, std::string* name) {
  if (rest.substr(0, 6) == "http::") rest.remove_prefix(6);
  for (std::string_view ns : kUnrecordedNamespaces) {
    if (rest.substr(0, ns.size()) != ns) continue;
    size_t n = ns.size();
    while (n < rest.size() && (rest[n] == '<' || rest[n] == '>')) ++n;
    const size_t word = n;
    while (n < rest.size() && isWord(rest[n])) ++n;
    if (n == word) return std::nullopt;
    *name = std::string(rest.substr(0, n));
    rest.remove_prefix(n);
    return kUnrecorded;
  }
  std::string_view best;
  Code code = kUnrecorded;
  for (const CodeName& c : kCodes) {
    if (rest.substr(0, c.name.size()) == c.name && c.name.size() > best.size()) {
      best = c.name;
      code = c.code;
    }
  }
  for (std::string_view c : kUnrecordedCodes) {
    if (rest.substr(0, c.size()) == c && c.size() > best.size()) {
      best = c;
      code = kUnrecorded;
    }
  }
  if (best.empty()) return std::nullopt;
  *name = std::string(best);
  rest.remove_prefix(best.size());
  return code;
}

// "%..." as written up to the next space or %, for messages.
std::string fragment(std::string_view from) {
  size_t end = 1;
  while (end < from.size() && from[end] != ' ' && from[end] != '\t' && from[end] != '%') ++end;
  return std::string(from.substr(0, end));
}

// %{Name:element}>h and %{Name:;element}>h: the separator is a non-alphanumeric
// character right after the colon (squid's rule), ',' otherwise.
void splitHeaderArg(std::string& name, std::string& element, char& separator) {
  size_t colon = name.find(':');
  if (colon == std::string::npos) return;
  std::string rest = name.substr(colon + 1);
  name.resize(colon);
  if (!rest.empty() && !isWord(rest.front())) {
    separator = rest.front();
    rest.erase(0, 1);
  }
  element = std::move(rest);
}

// RFC 1738 "unsafe" characters (squid's rfc1738 tables), controls and 8-bit bytes.
bool urlUnsafe(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return true;
  return std::string_view("<>\"#{}|\\^~[]`'").find(static_cast<char>(c)) != std::string_view::npos;
}

// squid's encodings " and /: backslash escapes; / also quotes a value with spaces.
void appendEscaped(std::string_view value, bool shell, std::string& out) {
  const bool wrap = shell && value.find(' ') != std::string_view::npos;
  if (wrap) out += '"';
  for (char c : value) {
    const char* escape = c == '"'              ? "\\\""
                         : c == '\\'           ? "\\\\"
                         : c == '\r'           ? "\\r"
                         : c == '\n'           ? "\\n"
                         : c == '\t' && !shell ? "\\t"
                                               : nullptr;
    if (escape != nullptr) {
      out += escape;
    } else {
      out += c;
    }
  }
  if (wrap) out += '"';
}

// squid's encodings [ and #, and 'P' (its pass-through URL encoding, which leaves '%'
// alone): %XX for the bytes each one protects.
void appendPercentEncoded(std::string_view value, char encoding, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool encoded = encoding == '['
                             ? c < 0x20 || c > 0x7e || c == '%' || c == '[' || c == ']' || c == '\\'
                             : urlUnsafe(c) || (c == '%' && encoding == '#');
    if (encoded) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
}

// The value of header `name` (all fields of that name joined by ", ", as squid does), or
// of its list member `element` ("element=value" members, joined by the separator).
void headerValue(const HeaderList& headers, std::string_view name, std::string_view element,
                 char separator, std::string& value) {
  for (const HeaderField& f : headers) {
    if (!iequals(f.name, name)) continue;
    if (element.empty()) {
      if (!value.empty()) value += ", ";
      value += f.value;
      continue;
    }
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t end = rest.find(separator);
      std::string_view member = trimOws(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (member.size() > element.size() && member[element.size()] == '=' &&
          iequals(member.substr(0, element.size()), element)) {
        if (!value.empty()) value += separator;
        value += member.substr(element.size() + 1);
      }
    }
  }
}

void allHeaders(const HeaderList& headers, std::string& value) {
  for (const HeaderField& f : headers) {
    value += f.name;
    value += ": ";
    value += f.value;
    value += "\r\n";
  }
}

void appendTime(int64_t ms, bool local, const std::string& format, std::string& value) {
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm;
  if (local) {
    localtime_r(&t, &tm);
  } else {
    gmtime_r(&t, &tm);
  }
  char buf[256];
  // The format is the administrator's %{...}tl argument, checked by strftime itself.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  // squid's default for %tl and %tg.
  size_t n =
      strftime(buf, sizeof(buf), format.empty() ? "%d/%b/%Y:%H:%M:%S %z" : format.c_str(), &tm);
#pragma GCC diagnostic pop
  value.append(buf, n);
}

// The path of an absolute URI ("http://h/p?q" -> "/p?q"), or of an origin-form target.
std::string_view urlPath(std::string_view url) {
  if (!url.empty() && url.front() == '/') return url;
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  size_t slash = url.find('/', scheme + 3);
  return slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
}

// A number, zero-padded to `width` digits when asked (squid: "%0*d").
void appendNumber(uint64_t v, int zero_width, std::string& value) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%0*llu", zero_width, static_cast<unsigned long long>(v));
  value.append(buf, static_cast<size_t>(n));
}

// "whole.decimals" with `precision` decimals: the `known` ones, then zeros (cuttle's clock
// has milliseconds). squid zero-pads the whole part so that the field has the width.
void appendDecimals(uint64_t whole, std::string_view known, int precision, int zero_width,
                    std::string& value) {
  appendNumber(whole, zero_width > precision + 1 ? zero_width - precision - 1 : 0, value);
  if (precision <= 0) return;
  value += '.';
  for (size_t i = 0; i < static_cast<size_t>(precision); ++i)
    value += i < known.size() ? known[i] : '0';
}

// The value of a numeric code (zero-padded when asked), or false for other codes. Nothing
// is appended when the value is unknown.
bool numericValue(const LogFormat::Token& t, const AccessRecord& r, std::string& value) {
  const int zero_width = t.zero && t.width > 0 ? t.width : 0;
  switch (static_cast<Code>(t.code)) {
    case kClientPort:
      if (!r.client.empty()) appendNumber(r.client.port(), zero_width, value);
      return true;
    case kLocalPort:
      if (r.local_port != 0 || !r.local.empty()) {
        appendNumber(r.local_port != 0 ? r.local_port : r.local.port(), zero_width, value);
      }
      return true;
    case kTimeSeconds:
      appendNumber(static_cast<uint64_t>(r.start_ms / 1000), zero_width, value);
      return true;
    case kTimeMillis:
      appendNumber(static_cast<uint64_t>(r.start_ms % 1000), zero_width, value);
      return true;
    case kResponseTime:
      // squid: %.3tr is milliseconds with three decimals.
      if (t.precision >= 0) {
        appendDecimals(r.elapsed_ms, {}, t.precision, zero_width, value);
      } else {
        appendNumber(r.elapsed_ms, zero_width, value);
      }
      return true;
    case kStartTime: {
      char ms[8];
      snprintf(ms, sizeof(ms), "%03d", static_cast<int>(r.start_ms % 1000));
      appendDecimals(static_cast<uint64_t>(r.start_ms / 1000), ms,
                     t.precision >= 0 ? t.precision : 3, zero_width, value);
      return true;
    }
    case kStatusSent:
      appendNumber(static_cast<uint64_t>(r.status), zero_width, value);
      return true;
    case kStatusReceived:
      if (r.upstream_status > 0)
        appendNumber(static_cast<uint64_t>(r.upstream_status), zero_width, value);
      return true;
    case kBytesSent:
      appendNumber(r.bytes_sent, zero_width, value);
      return true;
    case kBytesReceived:
      appendNumber(r.bytes_received, zero_width, value);
      return true;
    case kBytesTotal:
      appendNumber(r.bytes_sent + r.bytes_received, zero_width, value);
      return true;
    case kVersion:
      if (r.version_major != 0 || r.version_minor != 0) {
        appendNumber(r.version_major, 0, value);
        value += '.';
        appendNumber(r.version_minor, 0, value);
      }
      return true;
    default:
      return false;
  }
}

// The value of a text code; returns the code's default encoding ('P' for squid's
// pass-through URL encoding, 0 for none).
char textValue(const LogFormat::Token& t, const AccessRecord& r, std::string& value) {
  switch (static_cast<Code>(t.code)) {
    case kClientIp:
      if (!r.client.empty()) value = r.client.ipString();
      return 0;
    case kLocalIp:
      if (!r.local.empty()) value = r.local.ipString();
      return 0;
    case kServerIp:
      if (r.peer != "-") value = r.peer;
      return 0;
    case kTimeLocal:
    case kTimeGmt:
      appendTime(r.start_ms, t.code == kTimeLocal, t.text, value);
      return 0;
    case kMethod:
      value = r.method.empty() ? std::string_view("NONE") : r.method;
      return 0;
    case kUrl:
      value = r.url;
      return 0;
    case kUrlPath:
      value = urlPath(r.url);
      return 0;
    case kResult:
      value = r.result;
      return 0;
    case kHierarchy:
      value = r.hierarchy;
      return 0;
    case kMimeType:
      value = r.content_type;
      return 0;
    case kUser:
      if (r.user != "-") value = r.user;
      return 'P';
    case kRequestHeader:
    case kReplyHeader: {
      const HeaderList* headers = t.code == kRequestHeader ? r.request_headers : r.response_headers;
      if (headers != nullptr && t.text.empty()) {
        allHeaders(*headers, value);
      } else if (headers != nullptr) {
        headerValue(*headers, t.text, t.element, t.separator, value);
      } else if (t.code == kRequestHeader && t.element.empty()) {
        // No header list (records built by hand): the two fields kept anyway.
        if (iequals(t.text, "Referer")) value = r.referer;
        if (iequals(t.text, "User-Agent")) value = r.user_agent;
      }
      return 'P';
    }
    default:
      return 0;  // kUnrecorded
  }
}

// Reads a number of at most 5 digits (more are left for the caller to reject).
int takeNumber(std::string_view& rest) {
  int v = 0;
  while (!rest.empty() && isDigit(rest.front()) && v < 10000) {
    v = v * 10 + (rest.front() - '0');
    rest.remove_prefix(1);
  }
  return v;
}

// One % code, `rest` starting after the '%' of `at`:
// [encoding] [-] [[0]width] [.precision] [{arg}] code [{arg}].
Result<LogFormat::Token> takeToken(std::string_view& rest, std::string_view at,
                                   std::vector<std::string>* warnings) {
  LogFormat::Token t;
  if (!rest.empty() && std::string_view("\"[#/'").find(rest.front()) != std::string_view::npos) {
    t.encoding = rest.front();
    rest.remove_prefix(1);
  }
  if (!rest.empty() && rest.front() == '-') {
    t.left = true;
    rest.remove_prefix(1);
  }
  t.zero = !rest.empty() && rest.front() == '0';
  if (!rest.empty() && isDigit(rest.front())) t.width = takeNumber(rest);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    if (rest.empty() || !isDigit(rest.front())) {
      return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                   "expected a precision after '.' in '" + fragment(at) + "'");
    }
    t.precision = takeNumber(rest);
  }
  bool bad = false;
  std::optional<std::string> arg = takeArg(rest, &bad);
  std::string name;
  std::optional<Code> code = bad ? std::nullopt : takeCode(rest, &name);
  if (!bad && code && !arg) arg = takeArg(rest, &bad);
  if (bad)
    return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                 "missing '}' in '" + fragment(at) + "'");
  if (!code) {
    return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                 at.size() == 1 ? std::string("'%' at the end of the format")
                                : "unknown format code '" + fragment(at) + "'");
  }
  if (*code == kUnrecorded && warnings != nullptr) {
    warnings->push_back("format code '%" + name + "' is not recorded by cuttle, logged as '-'");
  }
  t.code = *code;
  if (arg) t.text = std::move(*arg);
  if (t.code == kRequestHeader || t.code == kReplyHeader)
    splitHeaderArg(t.text, t.element, t.separator);
  return t;
}

}  // namespace

Result<LogFormat> LogFormat::compile(std::string_view spec, std::vector<std::string>* warnings) {
  LogFormat f;
  f.kind_ = Kind::kTokens;
  Token literal;  // text collected up to the next code
  std::string_view rest = spec;
  while (!rest.empty()) {
    size_t pct = rest.find('%');
    literal.text += rest.substr(0, pct);
    if (pct == std::string_view::npos) break;
    const std::string_view at = rest.substr(pct);
    rest.remove_prefix(pct + 1);
    if (!rest.empty() && rest.front() == '%') {
      literal.text += '%';
      rest.remove_prefix(1);
      continue;
    }
    Result<Token> t = takeToken(rest, at, warnings);
    if (!t) return t.takeError();
    if (!literal.text.empty()) f.tokens_.push_back(std::exchange(literal, Token()));
    f.tokens_.push_back(std::move(t.value()));
  }
  if (!literal.text.empty()) f.tokens_.push_back(std::move(literal));
  return f;
}

std::optional<LogFormat> LogFormat::builtin(std::string_view name) {
  LogFormat f;
  if (name == "squid" || name == "icap_squid") {
    f.kind_ = Kind::kSquid;
  } else if (name == "common") {
    f.kind_ = Kind::kCommon;
  } else if (name == "combined") {
    f.kind_ = Kind::kCombined;
  } else if (name == "referrer") {
    return std::move(compile("%tl %>a %{Referer}>h %ru", nullptr).value());
  } else if (name == "useragent") {
    return std::move(compile("%>a [%tl] \"%{User-Agent}>h\"", nullptr).value());
  } else {
    return std::nullopt;
  }
  return f;
}

bool LogFormat::usesResponseHeaders() const {
  for (const Token& t : tokens_) {
    if (t.code == kReplyHeader) return true;
  }
  return false;
}

void LogFormat::format(const AccessRecord& r, std::string& out) const {
  switch (kind_) {
    case Kind::kSquid:
      formatSquid(r, out);
      return;
    case Kind::kCommon:
    case Kind::kCombined:
      formatCommon(r, kind_ == Kind::kCombined, out);
      return;
    case Kind::kTokens:
      formatTokens(r, out);
      out += '\n';
      return;
  }
}

void LogFormat::formatTokens(const AccessRecord& r, std::string& out) const {
  thread_local std::string value;
  thread_local std::string encoded;
  for (const Token& t : tokens_) {
    if (t.code == kLiteral) {
      out += t.text;
      continue;
    }
    value.clear();
    const bool number = numericValue(t, r, value);
    const char default_encoding = number ? 0 : textValue(t, r, value);
    if (value.empty()) {
      out += '-';  // squid: no value, no padding
      continue;
    }
    std::string_view v = value;
    const char encoding = t.encoding != 0 ? t.encoding : default_encoding;
    if (encoding == '"' || encoding == '/') {
      encoded.clear();
      appendEscaped(value, encoding == '/', encoded);
      v = encoded;
    } else if (encoding == '[' || encoding == '#' || encoding == 'P') {
      encoded.clear();
      appendPercentEncoded(value, encoding, encoded);
      v = encoded;
    }
    // .precision truncates text; for numbers it is decimals (above) or ignored (squid).
    if (!number && t.precision >= 0 && v.size() > static_cast<size_t>(t.precision)) {
      v = v.substr(0, static_cast<size_t>(t.precision));
    }
    const size_t width = t.width > 0 ? static_cast<size_t>(t.width) : 0;
    const size_t pad = v.size() < width ? width - v.size() : 0;
    if (!t.left) out.append(pad, ' ');
    out += v;
    if (t.left) out.append(pad, ' ');
  }
}

}  // namespace cuttle::proxy
