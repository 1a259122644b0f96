// Known HTTP field names, so that code compares ids, not strings, and so that the
// hop-by-hop rules live in one table (RFC 9110 7.6.1, RFC 9112 6, 7).
#pragma once

#include <cstdint>
#include <string_view>

namespace cuttle {

enum class HeaderId : uint8_t {
  kOther = 0,
  kAccept,
  kAcceptEncoding,
  kAcceptLanguage,
  kAcceptRanges,
  kAge,
  kAllow,
  kAuthorization,
  kCacheControl,
  kCacheStatus,
  kConnection,
  kContentEncoding,
  kContentLength,
  kContentLocation,
  kContentRange,
  kContentType,
  kCuttleTrace,
  kCookie,
  kDate,
  kETag,
  kExpect,
  kExpires,
  kForwarded,
  kHost,
  kIfMatch,
  kIfModifiedSince,
  kIfNoneMatch,
  kIfRange,
  kIfUnmodifiedSince,
  kKeepAlive,
  kLastModified,
  kLocation,
  kMaxForwards,
  kPragma,
  kProxyAuthenticate,
  kProxyAuthenticationInfo,
  kProxyAuthorization,
  kProxyConnection,
  kRange,
  kReferer,
  kServer,
  kSetCookie,
  kTE,
  kTrailer,
  kTransferEncoding,
  kUpgrade,
  kUserAgent,
  kVary,
  kVia,
  kWarning,
  kXForwardedFor,
  kCount,
};

enum HeaderFlag : uint8_t {
  kHopByHop = 1 << 0,  // never forwarded as received (RFC 9110 7.6.1)
  kFraming = 1 << 1,   // regenerated for each hop (Content-Length, Transfer-Encoding)
};

// Maps a field name to its id, case-insensitively. kOther for unknown names.
HeaderId lookupHeaderId(std::string_view name);
// Canonical spelling of a known id ("Content-Length"); empty for kOther.
std::string_view headerName(HeaderId id);
uint8_t headerFlags(HeaderId id);
inline bool isHopByHop(HeaderId id) { return (headerFlags(id) & kHopByHop) != 0; }

}  // namespace cuttle
