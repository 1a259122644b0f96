// The cache half of Exchange: lookup and hits, revalidation, filling the cache as the
// leader of a fill, following a fill (collapsed forwarding), invalidation, PURGE.
#include "cache/policy.h"
#include "common/strings.h"
#include "proxy/client_connection.h"
#include "proxy/error_page.h"
#include "proxy/exchange.h"
#include "proxy/worker.h"

namespace cuttle::proxy {
namespace {

constexpr size_t kFillChunk = 64 * 1024;

bool hasConditionals(const HeaderList& h) {
  return h.has(HeaderId::kIfNoneMatch) || h.has(HeaderId::kIfModifiedSince) ||
         h.has(HeaderId::kIfMatch) || h.has(HeaderId::kIfUnmodifiedSince) || h.has(HeaderId::kIfRange);
}

}  // namespace

int64_t Exchange::nowSeconds() const { return worker_.wallClockMs() / 1000; }

std::string Exchange::missStatus(std::string_view extra) const {
  // RFC 9211: "<cache>; fwd=<why>[; fwd-status=N][; stored][; collapsed][; detail=...]"
  std::string s(worker_.visibleHostname());
  s += "; fwd=";
  s += fwd_;
  s += extra;
  return s;
}

bool Exchange::lookupCache() {
  if (request_.method != Method::kGet && request_.method != Method::kHead) {
    trace("lookup", "bypass (method)");
    return false;
  }
  cache::Cache& c = worker_.cache();
  request_cc_ = cache::parseCacheControl(request_.headers);
  const int64_t now = nowSeconds();
  cache::Cache::Found found = c.lookup(worker_.cacheContext(), url_, request_.headers);
  uri_known_ = found.uri_known;
  fwd_ = found.uri_known ? "vary-miss" : "uri-miss";
  trace("lookup", found.object ? (found.from_memory ? "memory" : "disk") : fwd_);
  if (found.object) {
    cache::UseDecision d = cache::decideUse(request_, *found.object, now, worker_.settings().refresh_rules);
    trace("use", d.detail);
    if (d.use == cache::Use::kFresh || d.use == cache::Use::kStaleWhileRevalidate) {
      std::string status(worker_.visibleHostname());
      status += "; hit";
      if (d.use == cache::Use::kFresh) {
        status += "; ttl=";
        appendDecimal(status, static_cast<uint64_t>(std::max<int64_t>(0, d.freshness.lifetime - d.age)));
      } else {
        status += "; detail=stale-while-revalidate";
      }
      c.touch(found.object->key());
      if (d.use == cache::Use::kStaleWhileRevalidate) {
        // RFC 5861 3: one revalidation in the background, unless a fetch is on its way.
        cache::Cache::Claim claim = c.claim(url_);
        if (claim.leader) {
          auto bg = Exchange::backgroundRevalidation(worker_, request_, url_, uri_, found.object,
                                                     std::move(claim));
          if (bg) {
            Exchange* raw = bg.get();
            worker_.adoptBackground(std::move(bg));
            raw->startBackground();
          }
        }
      }
      serveStored(found.object, d.age, found.from_memory ? "TCP_MEM_HIT" : "TCP_HIT", std::move(status));
      return true;
    }
    if (d.use == cache::Use::kMustValidate) {
      stale_ = found.object;
      fwd_ = (request_cc_.no_cache || request_.headers.hasToken(HeaderId::kPragma, "no-cache"))
                 ? "request"
                 : "stale";
      result_ = fwd_ == "request" ? "TCP_CLIENT_REFRESH_MISS" : "TCP_REFRESH_MISS";
    } else {
      fwd_ = "stale";
    }
  }
  if (request_cc_.only_if_cached) {
    // RFC 9111 5.2.1.7: nothing usable stored: 504.
    fail(Error(ErrorCode::kGatewayTimeout, Side::kCache, "only-if-cached and no usable stored response"));
    return true;
  }
  const bool range = request_.headers.has(HeaderId::kRange);
  if (range && request_.method == Method::kGet && !no_collapse_ && wantWholeForRange()) {
    // Fetch the whole object so that the next range request hits (range_offset_limit);
    // this request gets its range from the stored object.
    whole_for_range_ = true;
    stale_ = nullptr;
  } else if (request_.method == Method::kHead || range) {
    stale_ = nullptr;  // forwarded as is: a HEAD or partial response never fills the cache
    trace("store", range ? "no (range request)" : "no (HEAD)");
    return false;
  }
  // A request with Authorization may lead a fill too: its response is stored (and shared
  // with the followers) only under RFC 9111 3.5's exceptions, which checkStorable applies.
  if (no_collapse_ || request_cc_.no_store) {
    trace("store", request_cc_.no_store ? "no (request no-store)" : "no (fetch not shared)");
    return false;
  }
  claim_ = c.claim(url_);
  if (!claim_.leader) {
    follow();
    return true;
  }
  return false;
}

bool Exchange::wantWholeForRange() const {
  const uint64_t limit = worker_.config().range_offset_limit;
  if (limit == 0) return false;
  if (limit == UINT64_MAX) return true;
  // squid's rule: the first byte asked for must lie below the limit. A suffix range
  // ("bytes=-500") needs the whole object anyway.
  std::string_view r = trimOws(request_.headers.get(HeaderId::kRange));
  if (!istartsWith(r, "bytes=")) return false;
  r.remove_prefix(6);
  r = trimOws(r);
  size_t dash = r.find('-');
  if (dash == 0) return true;
  auto first = parseDecimal(trimOws(r.substr(0, dash)));
  return first && *first < limit;
}

void Exchange::restartWithRange() {
  // The object cannot be kept whole (too big, not 200, not storable): ask again with the
  // client's own Range, and pass the answer through.
  abandonFill();
  whole_for_range_ = false;
  no_collapse_ = true;
  if (upstream_ != nullptr) {
    upstream_->close();
    upstream_ = nullptr;
  }
  acquireUpstream();
}

void Exchange::handlePurge() {
  if (!client_->peer().isLoopback()) {
    fail(Error(ErrorCode::kForbidden, Side::kClient, "PURGE is allowed from localhost only"));
    return;
  }
  const bool existed = worker_.cache().purge(worker_.cacheContext(), url_);
  result_ = "TCP_MISS";
  respondLocally(existed ? 200 : 404, "text/plain", existed ? "purged\n" : "not in cache\n");
}

// ---- serving a stored response ------------------------------------------------------------

void Exchange::serveStored(const cache::ObjectPtr& object, int64_t age, std::string_view result,
                           std::string cache_status) {
  if (client_ == nullptr) {
    finish(false);  // a background revalidation: the cache is updated, nobody to answer
    return;
  }
  trace("served", result);
  std::string traced = traceField();
  HitOptions o;
  o.age = age;
  o.cache_status = cache_status;
  o.extra_fields = traced;
  o.via = via();
  o.keep_alive = request_complete_ && clientWantsKeepAlive();
  o.date = worker_.httpDate();
  HitResponse r = buildHitResponse(request_, *object, o);
  status_ = r.status;
  result_ = r.result == "TCP_IMS_HIT" ? r.result : result;
  content_type_ = std::string(object->headers().get(HeaderId::kContentType));
  response_started_ = true;
  client_framing_.keep_alive = o.keep_alive;
  bytes_sent_ += r.head.size() + r.body_length;
  emit(std::move(r.head));
  for (BodySegment& s : r.body) emit(std::move(s.data), s.offset, s.length);
  if (r.stream_from_store) {
    streaming_ = object;
    stream_pos_ = r.stream_offset;
    stream_end_ = r.stream_offset + r.body_length;
    phase_ = Phase::kServingStore;
    pumpStore();
    return;
  }
  finish(o.keep_alive);
}

void Exchange::pumpStore() {
  while (stream_pos_ < stream_end_ && client_ != nullptr && !clientBacklogged()) {
    const uint64_t want = std::min<uint64_t>(stream_end_ - stream_pos_, cache::Store::kChunkSize);
    auto bytes = worker_.cache().readBody(worker_.cacheContext(), *streaming_, stream_pos_, want);
    if (!bytes || bytes->empty()) {
      // Evicted or corrupt while being served: the client must see the truncation.
      phase_ = Phase::kDone;
      log();
      client_->abortConnection();
      return;
    }
    stream_pos_ += bytes->size();
    emit(std::move(*bytes));
    flushClient();
  }
  if (stream_pos_ >= stream_end_ && client_ != nullptr) {
    streaming_ = nullptr;
    finish(client_framing_.keep_alive);
  }
}

// ---- following a fill (collapsed forwarding) ----------------------------------------------

void Exchange::follow() {
  phase_ = Phase::kFollowing;
  fwd_ = "miss";
  trace("collapsed", "following a fetch in flight");
  subscription_ = claim_.fill->subscribe(worker_.cacheContext().waker(), this);
}

void Exchange::stopFollowing() {
  subscription_.reset();
  claim_ = {};
}

void Exchange::onFillProgress() {
  if (fill_paused_) {  // the leader of an overflowed fill, woken by a follower's progress
    if (claim_.fill && claim_.fill->roomForMore()) {
      fill_paused_ = false;
      if (upstream_ != nullptr && !clientBacklogged()) upstream_->resumeReading();
    }
    return;
  }
  if (phase_ != Phase::kFollowing || client_ == nullptr || !claim_.fill) return;
  cache::Fill::View v = subscription_.read(next_chunk_);
  // Not storable after all, or too far behind an overflowing fill: a follower that has not
  // answered yet fetches on its own; one that has must cut its response.
  const bool unusable = v.state == cache::Fill::State::kFailed || v.lost ||
                        (!response_started_ && (v.overflow || (v.state == cache::Fill::State::kComplete && !v.object)));
  if (unusable) {
    stopFollowing();
    if (response_started_) {
      phase_ = Phase::kDone;  // the leader's fetch broke mid-body: so does this copy
      log();
      client_->abortConnection();
      return;
    }
    // Uncacheable or failed: fetch on our own.
    no_collapse_ = true;
    acquireUpstream();
    return;
  }
  if (!response_started_) {
    if (!v.head) return;
    const cache::StoredObject& h = *v.head;
    if (h.vary() == "*" || h.variant() != cache::secondaryKey(h.vary(), request_.headers)) {
      stopFollowing();  // another variant than this request selects
      no_collapse_ = true;
      acquireUpstream();
      return;
    }
    const bool streamable = !hasConditionals(request_.headers) && h.status() >= 200 &&
                            h.status() != 204 && h.status() != 304;
    if (!streamable || v.state == cache::Fill::State::kComplete) {
      if (v.state != cache::Fill::State::kComplete) return;  // answer as a hit, once complete
      cache::ObjectPtr object = v.object;
      stopFollowing();
      serveStored(object, cache::currentAge(*object, nowSeconds()), "TCP_MISS",
                  missStatus("; collapsed"));
      return;
    }
    startFollowingResponse(v);
  }
  for (const cache::StoredObject::Chunk& c : v.chunks) {
    if (clientBacklogged()) {
      // A follower takes chunks as its client drains (onClientDrained() comes back once a
      // write is in flight): a client that reads nothing holds no more than the watermark,
      // and the leader of an overflowed fill waits for the slowest follower.
      flushClient();
      if (clientBacklogged()) return;
    }
    ++next_chunk_;
    if (follower_chunked_) {
      std::string size;
      appendHex(size, c->size());
      size += "\r\n";
      bytes_sent_ += size.size() + c->size() + 2;
      emit(std::move(size));
      emit(c, 0, c->size());
      emit(std::string_view("\r\n"));
    } else {
      bytes_sent_ += c->size();
      emit(c, 0, c->size());
    }
  }
  if (v.state == cache::Fill::State::kComplete) {
    if (follower_chunked_) {
      emit(std::string_view("0\r\n\r\n"));
      bytes_sent_ += 5;
    }
    stopFollowing();
    finish(client_framing_.keep_alive);
    return;
  }
  flushClient();
}

void Exchange::startFollowingResponse(const cache::Fill::View& v) {
  const cache::StoredObject& h = *v.head;
  status_ = h.status();
  content_type_ = std::string(h.headers().get(HeaderId::kContentType));
  client_framing_.keep_alive = request_complete_ && clientWantsKeepAlive();
  std::string out = "HTTP/1.1 ";
  appendDecimal(out, static_cast<uint64_t>(h.status()));
  out += ' ';
  out += h.reason().empty() ? reasonPhrase(h.status()) : std::string_view(h.reason());
  out += "\r\n";
  for (const HeaderField& f : h.headers()) {
    if (f.id == HeaderId::kAge) continue;  // recomputed below
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  out += "Age: ";
  appendDecimal(out, static_cast<uint64_t>(std::max<int64_t>(0, cache::currentAge(h, nowSeconds()))));
  out += "\r\n";
  if (worker_.config().via) {
    out += "Via: 1.1 ";
    out += worker_.visibleHostname();
    out += "\r\n";
  }
  out += "Cache-Status: ";
  out += missStatus("; collapsed");
  out += "\r\n";
  if (v.length) {
    out += "Content-Length: ";
    appendDecimal(out, *v.length);
    out += "\r\n";
  } else if (request_.version.is11OrLater()) {
    out += "Transfer-Encoding: chunked\r\n";
    follower_chunked_ = true;
  } else {
    client_framing_.keep_alive = false;  // close-delimited for an HTTP/1.0 client
  }
  if (!client_framing_.keep_alive) {
    out += "Connection: close\r\n";
  } else if (!request_.version.is11OrLater()) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  response_started_ = true;
  bytes_sent_ += out.size();
  emit(std::move(out));
}

// ---- revalidation -------------------------------------------------------------------------

bool Exchange::handleValidationResponse(ResponseHead& head) {
  const int64_t now = nowSeconds();
  cache::Cache& c = worker_.cache();
  if (head.status == 304) {
    // The 304 answers cuttle's conditional about this one stored response: it applies
    // unless it names other validators (RFC 9111 4.3.4). Many origins send a 304 with
    // neither ETag nor Last-Modified.
    if (cache::hasValidator(head.headers) && !cache::notModifiedMatches(*stale_, head.headers)) {
      // About another representation: ask again, unconditionally, once this 304 is read.
      refetch_ = true;
      stale_ = nullptr;
      trace("validation", "304 for another representation, fetching anew");
      return true;
    }
    cache::StoredObject::Init init = stale_->init();
    init.fields = cache::mergeNotModified(*stale_, head.headers);
    init.request_time = request_sent_time_;
    init.response_time = now;
    cache::ObjectPtr fresh = cache::StoredObject::create(std::move(init));
    if (!fresh) fresh = stale_;
    c.update(fresh);
    if (claim_.leader) {
      claim_.fill->complete(fresh);
      c.release(claim_.fill);
      claim_ = {};
    }
    serveStored(fresh, cache::currentAge(*fresh, now), "TCP_REFRESH_UNMODIFIED",
                missStatus("; fwd-status=304"));
    return true;
  }
  if (head.status >= 500 && cache::mayServeStaleOnError(request_, *stale_, now, worker_.settings().refresh_rules)) {
    abandonFill();
    std::string extra = "; fwd-status=";
    appendDecimal(extra, static_cast<uint64_t>(head.status));
    extra += "; detail=stale-if-error";
    serveStored(stale_, cache::currentAge(*stale_, now), "TCP_REFRESH_FAIL_OLD", missStatus(extra));
    return true;
  }
  result_ = "TCP_REFRESH_MODIFIED";
  return false;
}

// ---- filling the cache (leader) -----------------------------------------------------------

void Exchange::beginFill(const ResponseHead& head, const BodyFraming& framing) {
  if (!claim_.leader) return;
  std::optional<uint64_t> length;
  if (framing.kind == Framing::kLength) length = framing.length;
  if (framing.kind == Framing::kNone) length = 0;
  cache::NotStored why = cache::checkStorable(request_.method, request_.headers, head.status,
                                              head.headers, length, worker_.settings().store_limits);
  // A body that ends with the connection cannot be told from a truncated one: not stored.
  if (why == cache::NotStored::kStored && framing.kind == Framing::kUntilClose) {
    why = cache::NotStored::kIncomplete;
  }
  if (why == cache::NotStored::kStored && currentPeer() != nullptr && currentPeer()->proxy_only) {
    why = cache::NotStored::kConfigDenied;  // cache_peer ... proxy-only
  }
  if (why != cache::NotStored::kStored) {
    std::string reason = "no (";
    reason += cache::notStoredName(why);
    reason += ')';
    trace("store", reason);
    abandonFill();
    return;
  }
  trace("store", "yes");
  cache::StoredObject::Init init;
  init.url = url_;
  init.vary = cache::normalizeVary(head.headers);
  init.variant = init.vary.empty() ? std::string() : cache::secondaryKey(init.vary, request_.headers);
  init.status = head.status;
  init.reason = std::string(head.reason);
  init.fields = cache::storedFields(head.headers);
  init.request_time = request_sent_time_;
  init.response_time = nowSeconds();
  init.body_size = length.value_or(0);
  head_object_ = cache::StoredObject::create(std::move(init));
  if (!head_object_) {
    abandonFill();
    return;
  }
  claim_.fill->publishHead(head_object_, length);
  filling_ = true;
  fill_bytes_ = 0;
  chunk_.reserve(kFillChunk);
}

void Exchange::fillBody(std::string_view data) {
  fill_bytes_ += data.size();
  if (!overflowed_ && fill_bytes_ > worker_.settings().store_limits.max_object_size) {
    // Too big to store; the followers already streaming still get the rest.
    overflowed_ = true;
    chunks_.clear();
    trace("store", "no (maximum_object_size)");
    claim_.fill->overflow();
    cache::FillWaker& waker = worker_.cacheContext().waker();
    leader_wake_id_ = waker.add(this);
    claim_.fill->setLeaderWaker(&waker, leader_wake_id_);
  }
  while (!data.empty()) {
    const size_t take = std::min(kFillChunk - chunk_.size(), data.size());
    chunk_.append(data.data(), take);
    data.remove_prefix(take);
    if (chunk_.size() == kFillChunk) publishChunk();
  }
}

void Exchange::publishChunk() {
  // A short chunk must not keep the 64 KiB reserved for it: cached small objects would
  // cost far more memory than cache_mem accounts for.
  if (chunk_.capacity() > chunk_.size() + 4096) chunk_.shrink_to_fit();
  auto c = std::make_shared<const std::string>(std::move(chunk_));
  chunk_ = std::string();
  if (!overflowed_) chunks_.push_back(c);
  claim_.fill->appendBody(std::move(c));
}

void Exchange::completeFill() {
  if (!filling_) return;
  if (!chunk_.empty()) publishChunk();
  if (overflowed_) {
    // Complete, not stored: the followers streaming it end cleanly.
    dropLeaderWake();
    claim_.fill->complete(nullptr);
    worker_.cache().release(claim_.fill);
    claim_ = {};
    filling_ = false;
    return;
  }
  if (fill_bytes_ < worker_.settings().store_limits.min_object_size) {
    abandonFill();
    return;
  }
  cache::StoredObject::Init init = head_object_->init();
  init.body_size = fill_bytes_;
  init.body = std::move(chunks_);
  cache::ObjectPtr object = cache::StoredObject::create(std::move(init));
  if (!object) {
    abandonFill();
    return;
  }
  worker_.cache().store(object);
  filled_ = object;
  claim_.fill->complete(object);
  worker_.cache().release(claim_.fill);
  claim_ = {};
  filling_ = false;
}

void Exchange::dropLeaderWake() {
  if (leader_wake_id_ == 0) return;
  if (claim_.fill) claim_.fill->setLeaderWaker(nullptr, 0);
  worker_.cacheContext().waker().remove(leader_wake_id_);
  leader_wake_id_ = 0;
  fill_paused_ = false;
}

void Exchange::abandonFill() {
  dropLeaderWake();
  filling_ = false;
  chunks_.clear();
  chunk_ = std::string();
  if (!claim_.leader || !claim_.fill) return;
  claim_.fill->fail();
  worker_.cache().release(claim_.fill);
  claim_ = {};
}

void Exchange::invalidateAfter(const ResponseHead& head) {
  if (!cache::invalidates(request_.method, head.status)) return;
  cache::Cache& c = worker_.cache();
  c.invalidate(url_);
  for (const std::string& target : cache::invalidationTargets(url_, head.headers)) c.invalidate(target);
}

}  // namespace cuttle::proxy

namespace cuttle::proxy {

std::unique_ptr<Exchange> Exchange::backgroundRevalidation(Worker& worker, const RequestHead& request,
                                                           std::string url, const Uri& uri,
                                                           cache::ObjectPtr stale,
                                                           cache::Cache::Claim claim) {
  // A copy of the request: parse its bytes again so that every view is the copy's own.
  MessageReader reader(MessageReader::Kind::kRequest, MessageReader::Limits{});
  reader.reset();
  reader.readHead(request.raw.data(), request.raw.size());
  if (reader.state() != MessageReader::State::kComplete) {
    claim.fill->fail();
    worker.cache().release(claim.fill);
    return nullptr;
  }
  std::unique_ptr<Exchange> e(new Exchange(worker, std::move(reader.request())));
  e->url_ = std::move(url);
  e->stale_ = std::move(stale);
  e->claim_ = std::move(claim);
  e->fwd_ = "stale";
  e->result_ = "TCP_REFRESH_MISS";
  e->uri_ = uri;
  // The copy's URI views must point into its own target.
  auto parsed = parseRequestTarget(e->request_.target, false);
  if (parsed) e->uri_ = std::move(*parsed);
  return e;
}

void Exchange::startBackground() {
  key_ = uri_.host;
  key_ += ':';
  appendDecimal(key_, uri_.port);
  acquireUpstream();
}

}  // namespace cuttle::proxy
