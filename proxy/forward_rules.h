// Pure rules for forwarding a message across cuttle (RFC 9110 7.6, RFC 9112): which fields
// cross, how the start line and framing are regenerated, Via. No I/O; unit-tested alone.
#pragma once

#include <string>
#include <string_view>

#include "common/framing.h"
#include "common/message.h"
#include "common/uri.h"

namespace cuttle::proxy {

struct ViaOptions {
  bool enabled = true;
  std::string_view host;  // visible_hostname
};

// True if the field is hop-by-hop for this message: listed as hop-by-hop in header_id, or
// named by a Connection field of the same message (RFC 9110 7.6.1). Framing fields count
// as hop-by-hop: cuttle regenerates them.
bool isHopByHopField(const HeaderField& field, const HeaderList& message_headers);

// The request head sent upstream: origin-form request line with "HTTP/1.1", Host from the
// URI first, the end-to-end fields in received order (duplicates kept), Max-Forwards
// decremented for OPTIONS and TRACE, Expect dropped for HTTP/1.0 clients (RFC 9110 10.1.1),
// Via appended, and framing for `body`. Appends to out.
struct UpstreamRequestOptions {
  bool strip_conditionals = false;  // validating a stored response: cuttle's validators only
  bool strip_range = false;         // fetching the whole object for the cache
  std::string_view extra_fields;    // "Name: value\r\n" lines added before Via
  // An allowed protocol upgrade (RFC 9110 7.8): sent on with "Connection: upgrade".
  std::string_view upgrade;
  // To a parent proxy: the absolute URI as request-target, and its credentials.
  std::string_view absolute_target;
  std::string_view proxy_authorization;
};
void buildUpstreamRequest(const RequestHead& request, const Uri& uri, const BodyFraming& body,
                          const ViaOptions& via, std::string& out,
                          const UpstreamRequestOptions& options = {});

// How cuttle frames a response body towards the client (RFC 9112 6, 7): Content-Length
// when known; chunked to HTTP/1.1 clients otherwise; close-delimited to HTTP/1.0 clients,
// which never receive chunked.
struct ClientFraming {
  Framing kind = Framing::kNone;
  uint64_t length = 0;
  bool keep_alive = false;
};
ClientFraming chooseClientFraming(const RequestHead& request, const ResponseHead& response,
                                  const BodyFraming& upstream, bool client_keep_alive);

// The response head sent to the client: "HTTP/1.1 status reason", end-to-end fields in
// order, Date added if missing (RFC 9110 6.6.1), Via appended, framing and Connection per
// `framing`. `date` is the current IMF-fixdate. Appends to out.
void buildClientResponse(const ResponseHead& response, const ClientFraming& framing,
                         const RequestHead& request, const ViaOptions& via,
                         std::string_view date, std::string& out,
                         std::string_view extra_fields = {});

// A 101 Switching Protocols for the client: end-to-end fields, the Upgrade the origin
// chose, "Connection: upgrade", Via.
void buildSwitchingResponse(const ResponseHead& response, const ViaOptions& via, std::string& out);

// An interim (1xx) response for an HTTP/1.1 client.
void buildInterimResponse(const ResponseHead& response, std::string& out);

// Chunked transfer coding of a body, piece by piece (RFC 9112 7.1).
void appendChunk(std::string& out, std::string_view data);
// Last chunk, the trailer fields that may cross (no framing or hop-by-hop ones), and the
// final CRLF.
void appendLastChunk(std::string& out, const HeaderList& trailers);

}  // namespace cuttle::proxy
