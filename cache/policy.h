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

namespace cuttle::conf {
struct RefreshPattern;
}

namespace cuttle::cache {

// The largest delta-seconds value (RFC 9111 1.2.2): bigger values and overflowing
// calculations (Age, max-age, ...) are taken as this.
inline constexpr int64_t kDeltaSecondsMax = 2147483648;

// ---- Cache-Control (RFC 9111 5.2) ---------------------------------------------------------

// All Cache-Control fields of a message, combined. Directive names are case-insensitive;
// values may be tokens or quoted strings; unknown directives are ignored; a directive whose
// value is malformed is treated as RFC 9111 says (e.g. max-age="5" accepted, max-age=abc
// makes the response stale: 1.2.2 and 4.2.1). Duplicated directives: the first wins for
// numbers, except that conflicting max-age (or s-maxage) values are treated as stale.
// A malformed max-stale, min-fresh, stale-while-revalidate or stale-if-error is ignored.
// no-cache / private with an empty field list count as the unqualified (stricter) form;
// field names in the lists are lower-cased.
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;                     // unqualified no-cache
  std::vector<std::string> no_cache_fields;  // no-cache="Set-Cookie": those fields only
  bool is_private = false;                   // unqualified private
  std::vector<std::string> private_fields;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool must_understand = false;
  bool no_transform = false;
  bool immutable = false;
  bool only_if_cached = false;     // request
  bool max_age_invalid = false;    // present but malformed or conflicting
  bool s_maxage_invalid = false;   // present but malformed or conflicting
  std::optional<int64_t> max_age;  // seconds, clamped to 2^31 (RFC 9111 1.2.2)
  std::optional<int64_t> s_maxage;
  std::optional<int64_t> max_stale;               // request; kAnyStale when present without a value
  std::optional<int64_t> min_fresh;               // request
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
  kPrivate,        // unqualified private: a shared cache never stores it
  kAuthorization,  // request had Authorization and the response allows none of 3.5
  kVaryStar,
  kMustUnderstand,          // must-understand with a status whose caching rules cuttle lacks
  kNoFreshnessNoValidator,  // no explicit or heuristic freshness and no validator: useless
  kTooLarge,                // maximum_object_size
  kTooSmall,                // minimum_object_size
  kIncomplete,              // the body did not complete as framed (decided by the caller)
  kConfigDenied,            // refresh_pattern or rules said no
};
std::string_view notStoredName(NotStored reason);

// Status codes that are heuristically cacheable (RFC 9110 15.1): 200, 203, 204, 206, 300,
// 301, 308, 404, 405, 410, 414, 501.
bool isHeuristicallyCacheable(int status);
// Status codes whose caching requirements cuttle understands and implements, i.e. the ones
// it may store (RFC 9110 15: a response with an unrecognised status is never cached;
// RFC 9111 5.2.2.3 must-understand): 200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 401,
// 403, 404, 405, 410, 414, 451, 500, 501, 502, 503, 504. Not 206 (partial), 304 (only
// updates), 407 (belongs to a proxy hop), 412 and 416 (answers to the request's own
// conditions or ranges, not to the URL), 429 (RFC 6585 4: never stored).
bool isUnderstoodStatus(int status);

struct StoreLimits {
  uint64_t max_object_size = 4ull * 1024 * 1024;
  uint64_t min_object_size = 0;
};

// Whether a response may be stored (RFC 9111 3 and 3.5). `content_length` is the body
// size when known from the head (nullopt when chunked or close-delimited: the caller checks
// the limit again when the body is complete).
// Checked in this order, the first failing rule giving the reason: method, request no-store,
// 206, must-understand with a status not understood, status not understood, response
// no-store (ignored under must-understand with an understood status, 5.2.2.3), unqualified
// private, Authorization (3.5: allowed by must-revalidate, public or s-maxage), Vary: *,
// no explicit freshness (max-age, s-maxage, Expires, public) and a status that is not
// heuristically cacheable, then kNoFreshnessNoValidator: explicit freshness that is zero
// (max-age=0, invalid Expires, Expires <= Date...) or unqualified no-cache, without ETag or
// Last-Modified and without stale-while-revalidate / stale-if-error (every use would be a
// full fetch), then the size limits. Heuristic freshness depends on refresh rules and the
// URL, which are not arguments: a heuristically cacheable response is not rejected here for
// lack of Last-Modified.
NotStored checkStorable(Method method, const HeaderList& request_headers, int status,
                        const HeaderList& response_headers, std::optional<uint64_t> content_length,
                        const StoreLimits& limits);

// The header section to store from a response (RFC 9111 3.1): every field except the
// hop-by-hop ones, those named by Connection, Content-Length and Transfer-Encoding (kept
// as body size), and the fields named by qualified no-cache/private directives
// (RFC 9111 5.2.2.4, 5.2.2.7: those are not stored). Set-Cookie is kept. Serialized as
// "Name: value\r\n" lines in received order.
// Age IS kept: it is the age_value of RFC 9111 4.2.3, which currentAge() needs; whoever
// serves the object replaces it with currentAge() (5.1). (cache/object.h's comment on
// Init::fields says Age is left out; that would lose the upstream age of the response.)
std::string storedFields(const HeaderList& response_headers);

// ---- Freshness (RFC 9111 4.2) -------------------------------------------------------------

// squid's refresh_pattern: heuristic freshness from Last-Modified (RFC 9111 4.2.2), per URL.
struct RefreshRule {
  std::regex pattern;
  int64_t min_seconds = 0;
  int percent = 20;
  int64_t max_seconds = 3 * 24 * 3600;
  bool override_expire = false;  // options squid users set; others are ignored
  bool ignore_reload = false;
};
struct RefreshRules {
  std::vector<RefreshRule> rules;  // first match wins; none: 10% of the Last-Modified age,
                                   // capped at 1 day, when Last-Modified is present
};
// Builds the rules from the configuration (minutes -> seconds; -i -> icase; the options
// override-expire and ignore-reload; other options ignored). A pattern that fails to
// compile (the configuration loader already rejects those) is skipped. May throw only
// std::bad_alloc; call it when the configuration is loaded, not on the data path.
RefreshRules refreshRulesFromConfig(const std::vector<conf::RefreshPattern>& patterns);
// The first rule whose pattern is found in `url` (std::regex_search, as squid's regexec),
// or null.
const RefreshRule* matchRefreshRule(const RefreshRules& rules, std::string_view url);

struct Freshness {
  int64_t lifetime = 0;  // seconds
  bool heuristic = false;
};
// Freshness lifetime of a stored response (4.2.1): s-maxage, max-age, Expires - Date (an
// invalid Expires means already stale), then heuristics (refresh rules) for heuristically
// cacheable statuses or responses marked public.
// Details: an invalid or conflicting s-maxage or max-age (or several different Expires)
// makes the lifetime 0; Date missing or invalid -> response_time. A matching rule with
// override-expire raises an explicit max-age / Expires lifetime to the rule's min (never
// s-maxage). Heuristic with a rule: percent% of (Date - Last-Modified) clamped to
// [min, max]; without Last-Modified: min. Without a matching rule: 10% of
// (Date - Last-Modified) capped at 1 day; 0 without Last-Modified.
Freshness freshnessLifetime(const StoredObject& object, const RefreshRules& rules);

// current_age (4.2.3). Date and Age are read from the stored headers; a missing or invalid
// Date uses response_time; an invalid Age (not 1*DIGIT) counts as 0, a huge one as
// kDeltaSecondsMax (1.2.2, 5.1). Negative terms (now before response_time, response before
// request) count as 0. The result is at most kDeltaSecondsMax.
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
  int64_t age = 0;  // the Age to send when serving
  Freshness freshness;
  bool stale = false;       // serving it means serving stale (must send a warning-free Age)
  std::string_view detail;  // short reason for Cache-Status / tracing
};
// Decides for a request whose URL and Vary selection matched `object` (4, 4.2.4, 5.2.1):
// request max-age, min-fresh, max-stale, no-cache (and Pragma: no-cache when there is no
// Cache-Control, 5.4); response no-cache, must-revalidate, proxy-revalidate, s-maxage
// (implies proxy-revalidate for a shared cache), stale-while-revalidate.
// In order (fresh means current_age < lifetime, 4.2; at age == lifetime it is stale):
//   request no-cache or Pragma: no-cache (unless the URL's refresh rule has ignore-reload)
//                                            -> kMustValidate "request no-cache"
//   response unqualified no-cache            -> kMustValidate "response no-cache"
//   request max-age < age (malformed = 0)    -> kMustValidate "max-age exceeded"
//   request min-fresh > lifetime - age       -> kMustValidate "min-fresh"
//   fresh                                    -> kFresh "fresh"
//   stale and must-revalidate / proxy-revalidate / s-maxage (4.2.4: stale forbidden, so
//   max-stale and stale-while-revalidate are ignored) -> kMustValidate with that name
//   staleness <= stale-while-revalidate      -> kStaleWhileRevalidate (stale = true)
//   staleness <= request max-stale           -> kFresh "max-stale" (stale = true)
//   stale with a validator                   -> kMustValidate "stale"
//   stale without one                        -> kUnusable "stale, no validator"
// staleness = age - lifetime. `detail` points to static storage.
UseDecision decideUse(const RequestHead& request, const StoredObject& object, int64_t now,
                      const RefreshRules& rules);

// stale-if-error (RFC 5861 4): may `object` be served stale because the origin failed or
// answered 5xx? From the response's and the request's stale-if-error: either one whose
// value is >= the staleness (0 when still fresh) allows it. Never when the response has
// unqualified no-cache, must-revalidate, proxy-revalidate or s-maxage (RFC 9111 4.2.4,
// 5.2.2.2: a cache must answer 504 rather than reuse such a response unvalidated).
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
// Format: per Vary member, "name:value\n" when present (value possibly empty), "name\n"
// when absent. For the list-valued fields Accept, Accept-Charset, Accept-Encoding,
// Accept-Language, empty list elements are dropped and OWS around ';' is removed too.
// For "*" the result is "*", which must never be compared: use varyMatches().
std::string secondaryKey(std::string_view normalized_vary, const HeaderList& request_headers);
// Whether a request selects the stored response with this normalised Vary and secondary
// key (RFC 9111 4.1). Vary "*" never matches.
bool varyMatches(std::string_view normalized_vary, std::string_view stored_variant,
                 const HeaderList& request_headers);

// ---- Validation (RFC 9111 4.3) ------------------------------------------------------------

// Adds If-None-Match (all stored ETags) and If-Modified-Since (stored Last-Modified, else
// Date) to a request being sent to validate `object`, replacing the client's own
// conditionals (4.3.1). Appends "Name: value\r\n" lines to out; the caller removes the
// client's conditional fields (isConditionalField) before.
// If-Modified-Since carries the Last-Modified value exactly as received (servers that only
// honour exact matches compare text). Without Last-Modified it carries the stored Date, but
// only when the response has no ETag either: RFC 9110 13.1.3 allows a cache to generate it
// from Date, and RFC 9111 4.3.4 (third bullet) says how the resulting validator-less 304
// is applied; with an ETag it would be ignored anyway (If-None-Match takes precedence).
void appendValidators(const StoredObject& object, std::string& out);
// Validating several stored responses (the variants of one URL, 4.3.1): one If-None-Match
// with every distinct ETag; If-Modified-Since only when there is exactly one object.
void appendValidators(const std::vector<const StoredObject*>& objects, std::string& out);
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range.
bool isConditionalField(HeaderId id);
// Whether a response with these headers has any validator (RFC 9110 8.8): an ETag, or a
// Last-Modified that is a valid HTTP-date. Date is not a validator.
bool hasValidator(const HeaderList& response_headers);

// The stored header section after a 304 (RFC 9111 3.2 and 4.3.4): fields of the 304
// replace stored fields of the same name, except Content-Length, Transfer-Encoding,
// Content-Range, Content-Encoding and the hop-by-hop fields, which are never taken from a
// 304. Returns "Name: value\r\n" lines for StoredObject::Init::fields.
// A replaced field keeps the position of its first stored line; new fields are appended in
// the 304's order. Fields named by the 304's Connection are not taken. Age always comes
// from the 304 (dropped when it has none: the stored one described the old exchange; the
// caller sets request_time/response_time of the validation). Fields named by qualified
// no-cache/private of the resulting Cache-Control are dropped, as in storedFields().
std::string mergeNotModified(const StoredObject& stored, const HeaderList& not_modified_headers);

// Which stored response(s) a 304 applies to (4.3.4): by strong ETag, else weak/Last-Modified.
// A strong ETag in the 304 must match the stored ETag by strong comparison. Otherwise every
// validator the 304 carries must match (weak ETag comparison; Last-Modified dates equal);
// a 304 without validators applies only to a stored response without validators.
bool notModifiedMatches(const StoredObject& stored, const HeaderList& not_modified_headers);

// ---- Conditional requests on a stored response (RFC 9110 13.2) ----------------------------

enum class Precondition : uint8_t { kProceed, kNotModified, kFailed };
// Evaluates If-Match, If-Unmodified-Since, If-None-Match (weak comparison for GET/HEAD),
// If-Modified-Since (only without If-None-Match, GET/HEAD only), in the order of RFC 9110
// 13.2.2, against the stored validators. If-Range is left to selectRanges().
// Details: preconditions are ignored (kProceed) when the stored status is not 2xx (13.2.1).
// If-Match: "*" or a strong match; If-Unmodified-Since ignored with If-Match, when invalid
// or repeated, or when there is no Last-Modified. If-None-Match: "*" or a weak match is a
// false condition: kNotModified for GET/HEAD, kFailed otherwise. If-Modified-Since compares
// with Last-Modified, else Date, else response_time (RFC 9111 4.3.2).
// Note: RFC 9111 4.3.2 calls If-Match and If-Unmodified-Since "not applicable to a cache";
// a caller that prefers to forward such requests can test for them before calling.
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
// Details: only GET; several Range fields are invalid; a range-spec with last < first makes
// the whole field invalid; positions too large for 64 bits are huge, not invalid. An
// If-Range date must equal Last-Modified, and Last-Modified must be strong (stored Date at
// least 1 s later, RFC 9110 8.8.2.2); a weak entity-tag in If-Range never matches. A
// zero-length representation with a satisfiable suffix range gives kFull (an empty range
// cannot be written as Content-Range).
RangeSelection selectRanges(const RequestHead& request, const HeaderList& stored_headers,
                            uint64_t length);
// "bytes 0-99/1234"
std::string contentRange(const ByteRange& r, uint64_t length);
// multipart/byteranges (RFC 9110 14.6): the part headers for part i (boundary line,
// Content-Type if known, Content-Range, blank line) and the closing delimiter. The body is
// head(0) + bytes + head(1) + bytes + ... + tail().
// The CRLF that precedes a boundary belongs to it (RFC 2046 5.1.1), so partHead() of a part
// other than the first starts with CRLF and tail() is CRLF "--" boundary "--" CRLF.
struct Multipart {
  std::string boundary;
  std::string content_type;  // of the representation; empty: no Content-Type in the parts
  // "multipart/byteranges; boundary=..." for the response's Content-Type.
  std::string mediaType() const;
  // A boundary from 64 random bits ("cuttle" + 16 hex digits).
  static std::string makeBoundary(uint64_t random);
  std::string partHead(const ByteRange& r, uint64_t length, bool first) const;
  std::string tail() const;
  uint64_t totalLength(const std::vector<ByteRange>& ranges, uint64_t length) const;
};

// ---- Invalidation (RFC 9111 4.4) ----------------------------------------------------------

// Whether a response to `method` with `status` invalidates the target URI: unsafe methods
// (anything but GET, HEAD, OPTIONS, TRACE) with a non-error status (2xx or 3xx).
// CONNECT is excluded too: its target is an authority, not a URI that can be cached.
bool invalidates(Method method, int status);
// The Location and Content-Location URIs to invalidate as well: resolved against
// `request_url` (an absolute URI; RFC 3986 5.2 for relative references), kept only when
// they have the same scheme and authority (origin). Returned canonical (Uri::absolute()),
// without duplicates and without `request_url` itself; empty when request_url is not an
// absolute URI.
std::vector<std::string> invalidationTargets(std::string_view request_url,
                                             const HeaderList& response_headers);

}  // namespace cuttle::cache
