// RFC 9111 (HTTP caching, shared cache) and the cache-related parts of RFC 9110 as pure
// functions: no I/O, no clock (`now` is an argument, unix seconds), unit-tested alone.
// The proxy calls them; they never call the proxy.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/object.h"
#include "common/header_list.h"
#include "common/message.h"

namespace cuttle::cache {

// ---- Cache-Control (RFC 9111 5.2) ---------------------------------------------------------

// All Cache-Control fields of a message, combined. Directive names are case-insensitive;
// values may be tokens or quoted strings; unknown directives are ignored; a directive whose
// value is malformed is treated as RFC 9111 says (e.g. max-age="5" accepted, max-age=abc
// makes the response stale: 1.2.2 and 4.2.1). Duplicated directives: the first wins for
// numbers, except that a response with conflicting max-age values is treated as stale.
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;               // unqualified no-cache
  std::vector<std::string> no_cache_fields;  // no-cache="Set-Cookie": those fields only
  bool is_private = false;             // unqualified private
  std::vector<std::string> private_fields;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool must_understand = false;
  bool no_transform = false;
  bool immutable = false;
  bool only_if_cached = false;         // request
  bool max_age_invalid = false;        // present but malformed or conflicting
  std::optional<int64_t> max_age;      // seconds, clamped to 2^31 (RFC 9111 1.2.2)
  std::optional<int64_t> s_maxage;
  std::optional<int64_t> max_stale;    // request; kAnyStale when present without a value
  std::optional<int64_t> min_fresh;    // request
  std::optional<int64_t> stale_while_revalidate;  // RFC 5861
  std::optional<int64_t> stale_if_error;          // RFC 5861 (request or response)
  static constexpr int64_t kAnyStale = INT64_MAX;
};
CacheControl parseCacheControl(const HeaderList& headers);

// ---- Storing (RFC 9111 3) -----------------------------------------------------------------

// One reason per "not stored" decision; the access log and Cache-Status detail use names().
enum class NotStored : uint8_t {
  kStored = 0,
  kMethod,              // not GET (HEAD responses update, never create, see 4.3.5)
  kStatusNotCacheable,  // not understood or not heuristically cacheable, no explicit freshness
  kPartialContent,      // 206 (cuttle stores complete responses only)
  kRequestNoStore,
  kResponseNoStore,
  kPrivate,             // unqualified private: a shared cache never stores it
  kAuthorization,       // request had Authorization and the response allows none of 3.5
  kVaryStar,
  kMustUnderstand,      // must-understand with a status whose caching rules cuttle lacks
  kNoFreshnessNoValidator,  // no explicit or heuristic freshness and no validator: useless
  kTooLarge,            // maximum_object_size
  kTooSmall,            // minimum_object_size
  kIncomplete,          // the body did not complete as framed (decided by the caller)
  kConfigDenied,        // refresh_pattern or rules said no
};
std::string_view notStoredName(NotStored reason);

// Status codes that are heuristically cacheable (RFC 9110 15.1): 200, 203, 204, 206, 300,
// 301, 308, 404, 405, 410, 414, 501.
bool isHeuristicallyCacheable(int status);

struct StoreLimits {
  uint64_t max_object_size = 4ull * 1024 * 1024;
  uint64_t min_object_size = 0;
};

// Whether a response may be stored (RFC 9111 3 and 3.5). `content_length` is the body
// size when known from the head (nullopt when chunked or close-delimited: the caller checks
// the limit again when the body is complete).
NotStored checkStorable(Method method, const HeaderList& request_headers, int status,
                        const HeaderList& response_headers, std::optional<uint64_t> content_length,
                        const StoreLimits& limits);

// The header section to store from a response (RFC 9111 3.1): every field except the
// hop-by-hop ones, those named by Connection, Content-Length and Transfer-Encoding (kept
// as body size), Age, and the fields named by qualified no-cache/private directives
// (RFC 9111 5.2.2.4, 5.2.2.7: those are not stored). Set-Cookie is kept. Serialized as
// "Name: value\r\n" lines in received order.
std::string storedFields(const HeaderList& response_headers);

// ---- Freshness (RFC 9111 4.2) -------------------------------------------------------------

// squid's refresh_pattern: heuristic freshness from Last-Modified (RFC 9111 4.2.2), per URL.
struct RefreshRule {
  std::regex pattern;
  int64_t min_seconds = 0;
  int percent = 20;
  int64_t max_seconds = 3 * 24 * 3600;
  bool override_expire = false;   // options squid users set; others are ignored
  bool ignore_reload = false;
};
struct RefreshRules {
  std::vector<RefreshRule> rules;  // first match wins; none: 10% of the Last-Modified age,
                                   // capped at 1 day, when Last-Modified is present
};

struct Freshness {
  int64_t lifetime = 0;     // seconds
  bool heuristic = false;
};
// Freshness lifetime of a stored response (4.2.1): s-maxage, max-age, Expires - Date (an
// invalid Expires means already stale), then heuristics (refresh rules) for heuristically
// cacheable statuses or responses marked public.
Freshness freshnessLifetime(const StoredObject& object, const RefreshRules& rules);

// current_age (4.2.3). Date and Age are read from the stored headers; a missing or invalid
// Date uses response_time; an invalid or huge Age is clamped (1.2.2, 5.1).
int64_t currentAge(const StoredObject& object, int64_t now);

// ---- Using a stored response (RFC 9111 4) -------------------------------------------------

enum class Use : uint8_t {
  kFresh,                 // serve it
  kStaleWhileRevalidate,  // serve it now, revalidate in the background (RFC 5861)
  kMustValidate,          // stale or no-cache: validate before use (send a conditional)
  kUnusable,              // cannot be used (e.g. request no-store is handled elsewhere;
                          // or stale beyond any allowance and no validator): fetch anew
};
struct UseDecision {
  Use use = Use::kUnusable;
  int64_t age = 0;             // the Age to send when serving
  Freshness freshness;
  bool stale = false;          // serving it means serving stale (must send a warning-free Age)
  std::string_view detail;     // short reason for Cache-Status / tracing
};
// Decides for a request whose URL and Vary selection matched `object` (4, 4.2.4, 5.2.1):
// request max-age, min-fresh, max-stale, no-cache (and Pragma: no-cache when there is no
// Cache-Control, 5.4); response no-cache, must-revalidate, proxy-revalidate, s-maxage
// (implies proxy-revalidate for a shared cache), stale-while-revalidate.
UseDecision decideUse(const RequestHead& request, const StoredObject& object, int64_t now,
                      const RefreshRules& rules);

// stale-if-error (RFC 5861 4): may `object` be served stale because the origin failed or
// answered 5xx? From the response's and the request's stale-if-error.
bool mayServeStaleOnError(const RequestHead& request, const StoredObject& object, int64_t now,
                          const RefreshRules& rules);

// ---- Vary (RFC 9111 4.1) ------------------------------------------------------------------

// Normalised Vary of a response: lower-case field names, sorted, deduplicated, ", "-joined;
// "*" if any member is "*"; "" without Vary.
std::string normalizeVary(const HeaderList& response_headers);
// The secondary key of a request for a normalised Vary: for each named field, the
// combined request field values with whitespace normalised (runs of OWS around commas
// removed) — case kept, except for fields whose values are case-insensitive tokens
// (Accept-Encoding, Accept-Language... lower-cased). Absent fields are distinguishable
// from empty ones.
std::string secondaryKey(std::string_view normalized_vary, const HeaderList& request_headers);

// ---- Validation (RFC 9111 4.3) ------------------------------------------------------------

// Adds If-None-Match (all stored ETags) and If-Modified-Since (stored Last-Modified, else
// Date) to a request being sent to validate `object`, replacing the client's own
// conditionals (4.3.1). Appends "Name: value\r\n" lines to out.
void appendValidators(const StoredObject& object, std::string& out);
// Whether a response with these headers has any validator.
bool hasValidator(const HeaderList& response_headers);

// The stored header section after a 304 (RFC 9111 3.2 and 4.3.4): fields of the 304
// replace stored fields of the same name, except Content-Length, Transfer-Encoding,
// Content-Range, Content-Encoding and the hop-by-hop fields, which are never taken from a
// 304. Returns "Name: value\r\n" lines for StoredObject::Init::fields.
std::string mergeNotModified(const StoredObject& stored, const HeaderList& not_modified_headers);

// Which stored response(s) a 304 applies to (4.3.4): by strong ETag, else weak/Last-Modified.
bool notModifiedMatches(const StoredObject& stored, const HeaderList& not_modified_headers);

// ---- Conditional requests on a stored response (RFC 9110 13.2) ----------------------------

enum class Precondition : uint8_t { kProceed, kNotModified, kFailed };
// Evaluates If-Match, If-Unmodified-Since, If-None-Match (weak comparison for GET/HEAD),
// If-Modified-Since (only without If-None-Match, GET/HEAD only), in the order of RFC 9110
// 13.2.2, against the stored validators. If-Range is left to selectRanges().
Precondition evaluatePreconditions(const RequestHead& request, const StoredObject& object);

// ---- Ranges (RFC 9110 14) -----------------------------------------------------------------

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};
struct RangeSelection {
  enum class Kind : uint8_t { kFull, kPartial, kUnsatisfiable } kind = Kind::kFull;
  std::vector<ByteRange> ranges;  // kPartial: satisfiable ranges in request order, coalesced
                                  // when overlapping or adjacent
};
// The Range of a GET against a complete representation of `length` bytes: no or invalid
// Range (or a unit other than bytes) -> kFull; If-Range that does not match (strong ETag
// comparison, or a Last-Modified date equal to the stored one) -> kFull; no satisfiable
// range -> kUnsatisfiable (416); too many ranges (> 64) -> kFull.
RangeSelection selectRanges(const RequestHead& request, const HeaderList& stored_headers,
                            uint64_t length);
// "bytes 0-99/1234"
std::string contentRange(const ByteRange& r, uint64_t length);
// multipart/byteranges (RFC 9110 14.6): the part headers for part i (boundary line,
// Content-Type if known, Content-Range, blank line) and the closing delimiter. The body is
// head(0) + bytes + head(1) + bytes + ... + tail().
struct Multipart {
  std::string boundary;
  std::string content_type;
  std::string partHead(const ByteRange& r, uint64_t length, bool first) const;
  std::string tail() const;
  uint64_t totalLength(const std::vector<ByteRange>& ranges, uint64_t length) const;
};

// ---- Invalidation (RFC 9111 4.4) ----------------------------------------------------------

// Whether a response to `method` with `status` invalidates the target URI: unsafe methods
// (anything but GET, HEAD, OPTIONS, TRACE) with a non-error status (2xx or 3xx).
bool invalidates(Method method, int status);
// The Location and Content-Location URIs to invalidate as well: resolved against
// `request_url`, kept only when they have the same scheme and authority (origin).
std::vector<std::string> invalidationTargets(std::string_view request_url,
                                             const HeaderList& response_headers);

}  // namespace cuttle::cache
