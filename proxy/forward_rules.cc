#include "proxy/forward_rules.h"

#include "common/strings.h"

namespace cuttle::proxy {
namespace {

void appendVia(const HttpVersion& received, const ViaOptions& via, std::string& out) {
  if (!via.enabled) return;
  // RFC 9110 7.6.3: the protocol version of the message as this hop received it.
  out += received.is11OrLater() ? "Via: 1.1 " : "Via: 1.0 ";
  out += via.host;
  out += "\r\n";
}

void appendField(const HeaderField& f, std::string& out) {
  out += f.name;
  out += ": ";
  out += f.value;
  out += "\r\n";
}

}  // namespace

bool isHopByHopField(const HeaderField& field, const HeaderList& message_headers) {
  if (isHopByHop(field.id) || field.id == HeaderId::kContentLength) return true;
  for (const HeaderField& c : message_headers) {
    if (c.id != HeaderId::kConnection) continue;
    ListIterator it(c.value);
    std::string_view token;
    while (it.next(&token)) {
      if (iequals(token, field.name)) return true;
    }
  }
  return false;
}

static bool isConditionalOrRange(HeaderId id, const UpstreamRequestOptions& o) {
  if (o.strip_conditionals &&
      (id == HeaderId::kIfNoneMatch || id == HeaderId::kIfModifiedSince || id == HeaderId::kIfMatch ||
       id == HeaderId::kIfUnmodifiedSince || id == HeaderId::kIfRange)) {
    return true;
  }
  return o.strip_range && (id == HeaderId::kRange || id == HeaderId::kIfRange);
}

void buildUpstreamRequest(const RequestHead& request, const Uri& uri, const BodyFraming& body,
                          const ViaOptions& via, std::string& out,
                          const UpstreamRequestOptions& options) {
  out.reserve(out.size() + request.raw.size() + 64);
  out += request.method_name;
  out += ' ';
  if (options.absolute_target.empty()) {
    uri.appendOriginForm(out);
  } else {
    out += options.absolute_target;  // to a parent proxy (RFC 9112 3.2.2)
  }
  out += " HTTP/1.1\r\nHost: ";
  out += uri.authority();
  out += "\r\n";
  const bool has_connection = request.headers.has(HeaderId::kConnection);
  const bool max_forwards_applies =
      request.method == Method::kOptions || request.method == Method::kTrace;
  for (const HeaderField& f : request.headers) {
    if (f.id == HeaderId::kHost) continue;
    if (has_connection ? isHopByHopField(f, request.headers)
                       : (isHopByHop(f.id) || f.id == HeaderId::kContentLength)) {
      continue;
    }
    if (f.id == HeaderId::kExpect && !request.version.is11OrLater()) continue;
    if (isConditionalOrRange(f.id, options)) continue;
    if (f.id == HeaderId::kMaxForwards && max_forwards_applies) {
      // RFC 9110 7.6.2: decrement; the caller answered itself when it was 0.
      auto v = parseDecimal(trimOws(f.value));
      if (v && *v > 0) {
        out += "Max-Forwards: ";
        appendDecimal(out, *v - 1);
        out += "\r\n";
        continue;
      }
    }
    appendField(f, out);
  }
  out += options.extra_fields;
  if (!options.proxy_authorization.empty()) {
    out += "Proxy-Authorization: ";
    out += options.proxy_authorization;
    out += "\r\n";
  }
  if (!options.upgrade.empty()) {
    out += "Upgrade: ";
    out += options.upgrade;
    out += "\r\nConnection: upgrade\r\n";
  }
  appendVia(request.version, via, out);
  switch (body.kind) {
    case Framing::kLength:
      out += "Content-Length: ";
      appendDecimal(out, body.length);
      out += "\r\n";
      break;
    case Framing::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    default:
      // An explicit zero length stays explicit: some origins demand a length on POST.
      if (request.headers.has(HeaderId::kContentLength)) out += "Content-Length: 0\r\n";
      break;
  }
  out += "\r\n";
}

ClientFraming chooseClientFraming(const RequestHead& request, const ResponseHead& response,
                                  const BodyFraming& upstream, bool client_keep_alive) {
  ClientFraming f;
  f.keep_alive = client_keep_alive;
  const bool client11 = request.version.is11OrLater();
  switch (upstream.kind) {
    case Framing::kNone:
      f.kind = Framing::kNone;
      break;
    case Framing::kLength:
      f.kind = Framing::kLength;
      f.length = upstream.length;
      break;
    case Framing::kChunked:
    case Framing::kUntilClose:
      if (client11) {
        f.kind = Framing::kChunked;
      } else {
        f.kind = Framing::kUntilClose;
        f.keep_alive = false;
      }
      break;
    case Framing::kTunnel:
      f.kind = Framing::kTunnel;
      f.keep_alive = false;
      break;
  }
  (void)response;
  return f;
}

void buildClientResponse(const ResponseHead& response, const ClientFraming& framing,
                         const RequestHead& request, const ViaOptions& via,
                         std::string_view date, std::string& out, std::string_view extra_fields) {
  out.reserve(out.size() + response.raw.size() + 96);
  out += "HTTP/1.1 ";
  appendDecimal(out, static_cast<uint64_t>(response.status));
  out += ' ';
  out += response.reason.empty() ? reasonPhrase(response.status) : response.reason;
  out += "\r\n";
  const bool has_connection = response.headers.has(HeaderId::kConnection);
  bool has_date = false;
  for (const HeaderField& f : response.headers) {
    if (f.id == HeaderId::kContentLength && framing.kind == Framing::kNone) {
      // HEAD and 304 responses keep the Content-Length of the representation
      // (RFC 9110 8.6); 1xx and 204 never have one.
      if (response.status != 204 && response.status >= 200) appendField(f, out);
      continue;
    }
    if (has_connection ? isHopByHopField(f, response.headers)
                       : (isHopByHop(f.id) || f.id == HeaderId::kContentLength)) {
      continue;
    }
    has_date |= f.id == HeaderId::kDate;
    appendField(f, out);
  }
  if (!has_date) {
    out += "Date: ";
    out += date;
    out += "\r\n";
  }
  appendVia(response.version, via, out);
  out += extra_fields;
  if (framing.kind == Framing::kLength) {
    out += "Content-Length: ";
    appendDecimal(out, framing.length);
    out += "\r\n";
  } else if (framing.kind == Framing::kChunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (!framing.keep_alive) {
    out += "Connection: close\r\n";
  } else if (!request.version.is11OrLater()) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

void buildSwitchingResponse(const ResponseHead& response, const ViaOptions& via, std::string& out) {
  out += "HTTP/1.1 101 ";
  out += response.reason.empty() ? reasonPhrase(101) : response.reason;
  out += "\r\n";
  for (const HeaderField& f : response.headers) {
    if (!isHopByHopField(f, response.headers)) appendField(f, out);
  }
  out += "Upgrade: ";
  out += response.headers.get(HeaderId::kUpgrade);
  out += "\r\nConnection: upgrade\r\n";
  appendVia(response.version, via, out);
  out += "\r\n";
}

void buildInterimResponse(const ResponseHead& response, std::string& out) {
  out += "HTTP/1.1 ";
  appendDecimal(out, static_cast<uint64_t>(response.status));
  out += ' ';
  out += response.reason.empty() ? reasonPhrase(response.status) : response.reason;
  out += "\r\n";
  for (const HeaderField& f : response.headers) {
    if (!isHopByHopField(f, response.headers)) appendField(f, out);
  }
  out += "\r\n";
}

void appendChunk(std::string& out, std::string_view data) {
  if (data.empty()) return;  // a zero-size chunk would end the body
  appendHex(out, data.size());
  out += "\r\n";
  out += data;
  out += "\r\n";
}

void appendLastChunk(std::string& out, const HeaderList& trailers) {
  out += "0\r\n";
  for (const HeaderField& f : trailers) {
    if (isHopByHopField(f, trailers) || f.id == HeaderId::kHost) continue;
    appendField(f, out);
  }
  out += "\r\n";
}

}  // namespace cuttle::proxy
