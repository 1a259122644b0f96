#include "proxy/exchange.h"

#include "common/strings.h"
#include "proxy/client_connection.h"
#include "proxy/error_page.h"
#include "proxy/tunnel.h"
#include "proxy/worker.h"

namespace cuttle::proxy {

Exchange::Exchange(ClientConnection& client, RequestHead&& request, const BodyFraming& framing,
                   bool request_complete)
    : client_(&client),
      worker_(client.worker()),
      client_address_(client.peer()),
      local_port_(client.localPort()),
      request_(std::move(request)),
      request_framing_(framing),
      request_complete_(request_complete) {
  start_wall_ms_ = worker_.wallClockMs();
  start_tick_ms_ = uv_now(worker_.loop());
  tracing_ = request_.headers.has(HeaderId::kCuttleTrace);
}

Exchange::Exchange(Worker& worker, RequestHead&& request)
    : client_(nullptr), worker_(worker), request_(std::move(request)), request_complete_(true) {
  start_wall_ms_ = worker_.wallClockMs();
  start_tick_ms_ = uv_now(worker_.loop());
}

void Exchange::trace(std::string_view step, std::string_view value) {
  if (!tracing_) return;
  if (!trace_.empty()) trace_ += "; ";
  trace_ += step;
  trace_ += '=';
  trace_ += value;
}

std::string Exchange::traceField() const {
  if (!tracing_) return {};
  std::string f = "Cuttle-Trace: ";
  f += trace_.empty() ? std::string_view("none") : std::string_view(trace_);
  f += "\r\n";
  return f;
}

void Exchange::emit(std::string&& bytes) {
  if (client_ != nullptr) client_->write(std::move(bytes));
}

void Exchange::emit(std::string_view bytes) {
  if (client_ != nullptr) client_->write(bytes);
}

void Exchange::emit(std::shared_ptr<const std::string> data, size_t offset, size_t length) {
  if (client_ != nullptr) client_->write(std::move(data), offset, length);
}

void Exchange::flushClient() {
  if (client_ != nullptr) client_->flush();
}

bool Exchange::clientBacklogged() const {
  return client_ != nullptr && client_->writeAboveHighWatermark();
}

Exchange::~Exchange() {
  abandonFill();
  if (upstream_ != nullptr) upstream_->close();
}

ViaOptions Exchange::via() const {
  return ViaOptions{worker_.config().via, worker_.visibleHostname()};
}

bool Exchange::clientWantsKeepAlive() const {
  return requestWantsKeepAlive(request_) && !worker_.draining();
}

void Exchange::start() {
  auto uri = parseRequestTarget(request_.target, request_.method == Method::kConnect);
  if (!uri) {
    fail(uri.error());
    return;
  }
  uri_ = std::move(*uri);
  if (uri_.form == Uri::Form::kOrigin || uri_.form == Uri::Form::kAsterisk) {
    handleLocal();
    return;
  }
  key_ = uri_.host;
  key_ += ':';
  appendDecimal(key_, uri_.port);
  url_ = request_.method == Method::kConnect ? std::string(request_.target) : uri_.absolute();
  if (request_.method != Method::kConnect && uri_.scheme != "http") {
    fail(Error(ErrorCode::kNotImplemented, Side::kClient,
               "unsupported URI scheme " + uri_.scheme + " (https goes through CONNECT)"));
    return;
  }
  // A Via naming this proxy means the request has been here before (RFC 9110 7.6.3).
  std::string_view me = worker_.visibleHostname();
  for (const HeaderField& f : request_.headers) {
    if (f.id != HeaderId::kVia) continue;
    ListIterator it(f.value);
    std::string_view hop;
    while (it.next(&hop)) {
      size_t sp = hop.find(' ');
      std::string_view by = sp == std::string_view::npos ? hop : trimOws(hop.substr(sp + 1));
      by = by.substr(0, by.find(' '));
      if (iequals(by, me)) {
        fail(Error(ErrorCode::kForbidden, Side::kClient, "forwarding loop detected (Via)"));
        return;
      }
    }
  }
  const uint64_t max_body = worker_.config().request_body_max_size;
  if (max_body != 0 && request_framing_.kind == Framing::kLength && request_framing_.length > max_body) {
    fail(Error(ErrorCode::kBodyTooLarge, Side::kClient, "request body larger than request_body_max_size"));
    return;
  }
  authorize();
}

// After access was granted: everything a forward request can become.
void Exchange::proceed() {
  if (manager_) {
    serveManager();
    return;
  }
  if (answerMaxForwards()) return;
  if (request_.method == Method::kPurge) {
    handlePurge();
    return;
  }
  if (request_.method == Method::kConnect) {
    acquireUpstream();
    return;
  }
  upgrade_ = requestedUpgrade();
  if (upgrade_.empty() && lookupCache()) return;
  acquireUpstream();
}

void Exchange::handleLocal() {
  url_ = std::string(request_.target);
  result_ = "NONE";  // answered by cuttle itself
  const std::string_view path = uri_.path_and_query;
  if (path == "/healthz") {
    // Probes come from load balancers and orchestrators: not subject to http_access.
    respondLocally(200, "text/plain", "ok\n");
    return;
  }
  if (path == "/readyz") {
    if (worker_.ready()) {
      respondLocally(200, "text/plain", "ready\n");
    } else {
      respondLocally(503, "text/plain", worker_.draining() ? "draining\n" : "cache store not open\n");
    }
    return;
  }
  if (isManagerPath(path)) {
    manager_ = true;  // the `manager` ACL: http_access decides who may look
    authorize();
    return;
  }
  fail(Error(ErrorCode::kBadRequest, Side::kClient,
             "cuttle is a forward proxy: requests must use an absolute URI (GET http://host/path)"));
}

bool Exchange::answerMaxForwards() {
  // RFC 9110 7.6.2: a TRACE or OPTIONS with Max-Forwards: 0 is answered by this hop.
  if (request_.method != Method::kTrace && request_.method != Method::kOptions) return false;
  const HeaderField* f = request_.headers.find(HeaderId::kMaxForwards);
  if (f == nullptr) return false;
  auto v = parseDecimal(trimOws(f->value));
  if (!v || *v != 0) return false;
  if (request_.method == Method::kOptions) {
    respondLocally(200, "text/plain", "");
    return true;
  }
  // TRACE echoes the request as received, as message/http (RFC 9110 9.3.8).
  std::string_view raw(request_.raw.data(), request_.raw.size());
  respondLocally(200, "message/http", raw);
  return true;
}

void Exchange::respondLocally(int status, std::string_view content_type, std::string_view body) {
  ErrorPageOptions opts;
  opts.keep_alive = request_complete_ && clientWantsKeepAlive();
  opts.head_request = request_.method == Method::kHead;
  opts.date = worker_.httpDate();
  std::string out = buildLocalResponse(status, content_type, body, opts);
  status_ = status;
  bytes_sent_ += out.size();
  response_started_ = true;
  emit(std::move(out));
  finish(opts.keep_alive);
}

// ---- upstream connection ------------------------------------------------------------------

std::string_view Exchange::requestedUpgrade() const {
  const conf::AccessRules& rules = *worker_.settings().access_rules;
  // RFC 9110 7.8: Upgrade only counts when Connection names it. cuttle relays upgrades of
  // body-less requests, for the protocols http_upgrade_request_protocols allows.
  const HeaderField* up = request_.headers.find(HeaderId::kUpgrade);
  if (up == nullptr || !request_.headers.hasToken(HeaderId::kConnection, "upgrade")) return {};
  if (request_framing_.kind != Framing::kNone || !request_.version.is11OrLater()) return {};
  std::string_view protocol = up->value.substr(0, up->value.find_first_of(",/ \t"));
  if (!rules.upgradeAllowed(protocol, accessRequest())) return {};
  return up->value;
}

void Exchange::establishUpgrade(const ResponseHead& head) {
  std::string out;
  buildSwitchingResponse(head, via(), out);
  handOverToTunnel(std::move(out), 101, "TCP_MISS");
}

void Exchange::establishTunnel() {
  handOverToTunnel("HTTP/1.1 200 Connection established\r\n\r\n", 200, "TCP_TUNNEL");
}

void Exchange::handOverToTunnel(std::string response, int status, std::string_view result) {
  status_ = status;
  bytes_sent_ += response.size();
  response_started_ = true;
  phase_ = Phase::kDone;
  logged_ = true;  // the tunnel logs, once it ends
  emit(std::move(response));
  Tunnel::LogInfo info;
  info.start_wall_ms = start_wall_ms_;
  info.start_tick_ms = start_tick_ms_;
  info.method = std::string(request_.method_name);
  info.url = url_;
  info.peer = peer_;
  info.hierarchy = hierarchy_;
  info.host = uri_.host;
  info.bytes_to_client = bytes_sent_;
  info.bytes_from_client = request_.raw.size();
  info.result = result;
  info.status = status;
  UpstreamConnection* u = upstream_;
  upstream_ = nullptr;
  ClientConnection* c = client_;
  client_ = nullptr;
  c->becomeTunnel(std::make_unique<Tunnel>(*c, u, std::move(info)));
}

void Exchange::onRequestError(const Error& error) {
  if (phase_ == Phase::kDone) return;
  Error e = error;
  if (e.code == ErrorCode::kClientClosed && client_ != nullptr) {
    // Nobody is left to answer.
    status_ = 0;
    client_->abortConnection();
    return;
  }
  fail(e);
}

// ---- response -----------------------------------------------------------------------------

void Exchange::onUpstreamHead(ResponseHead& head, const BodyFraming& framing) {
  if (head.status >= 100 && head.status < 200 && head.status != 101) {
    // Interim responses go to HTTP/1.1 clients only (RFC 9110 15.2).
    if (request_.version.is11OrLater()) {
      std::string out;
      buildInterimResponse(head, out);
      bytes_sent_ += out.size();
      emit(std::move(out));
      flushClient();
    }
    return;
  }
  if (const conf::CachePeer* p = currentPeer()) worker_.peerHealth().succeeded(*p);
  upstream_status_ = head.status;
  if (worker_.accessLog().wantsResponseHeaders()) upstream_headers_ = head.headers.clone();
  if (framing.kind == Framing::kTunnel) {
    if (request_.method == Method::kConnect && head.status >= 200 && head.status < 300) {
      establishTunnel();  // through a parent: its 2xx, then our own 200 to the client
      return;
    }
    if (head.status == 101 && !upgrade_.empty() && head.headers.has(HeaderId::kUpgrade)) {
      establishUpgrade(head);
    } else {
      fail(Error(ErrorCode::kBadResponse, Side::kUpstream, "unexpected protocol switch from origin"));
    }
    return;
  }
  if (phase_ == Phase::kDone) return;
  if (stale_ && handleValidationResponse(head)) return;
  invalidateAfter(head);
  beginFill(head, framing);
  if (whole_for_range_) {
    if (head.status != 200 || !filling_) {
      restartWithRange();
      return;
    }
    phase_ = Phase::kStreaming;  // nothing goes to the client before the object is whole
    return;
  }
  status_ = head.status;
  content_type_ = std::string(head.headers.get(HeaderId::kContentType));
  // After a CONNECT the client's next bytes are tunnel data: never read as HTTP.
  const bool keep_alive = request_complete_ && clientWantsKeepAlive() && request_.method != Method::kConnect;
  client_framing_ = chooseClientFraming(request_, head, framing, keep_alive);
  std::string status_field = "Cache-Status: ";
  status_field += missStatus(filling_ ? "; stored" : "");
  status_field += "\r\n";
  status_field += traceField();
  std::string out;
  buildClientResponse(head, client_framing_, request_, via(), worker_.httpDate(), out, status_field);
  phase_ = Phase::kStreaming;
  response_started_ = true;
  bytes_sent_ += out.size();
  emit(std::move(out));
}

void Exchange::onUpstreamBody(std::string_view data) {
  if (phase_ == Phase::kDone) return;  // answered already: the rest only drains the connection
  if (filling_) fillBody(data);
  if (whole_for_range_) {
    if (!filling_ || overflowed_) restartWithRange();  // grew past maximum_object_size
    return;
  }
  if (client_framing_.kind == Framing::kChunked) {
    std::string chunk;
    chunk.reserve(data.size() + 16);
    appendChunk(chunk, data);
    bytes_sent_ += chunk.size();
    emit(std::move(chunk));
  } else {
    bytes_sent_ += data.size();
    emit(data);
  }
  if (clientBacklogged()) {
    flushClient();
    if (clientBacklogged() && upstream_ != nullptr) upstream_->pauseReading();
  }
  if (overflowed_ && claim_.fill && !claim_.fill->roomForMore() && upstream_ != nullptr) {
    fill_paused_ = true;  // until a follower reads on (onFillProgress)
    upstream_->pauseReading();
  }
}

void Exchange::onUpstreamReadDone() {
  if (phase_ == Phase::kDone) return;
  // Followers see each read's worth of body without waiting for a full chunk.
  if (filling_ && !chunk_.empty()) publishChunk();
  if (client_ != nullptr) flushClient();
}

void Exchange::onUpstreamComplete(HeaderList&& trailers) {
  if (refetch_) {
    refetch_ = false;
    UpstreamConnection* u = upstream_;
    upstream_ = nullptr;
    u->release();
    acquireUpstream();
    return;
  }
  if (phase_ == Phase::kDone) {
    // Answered already (a 304 refreshed the stored response, or stale-if-error): the
    // connection is clean again.
    UpstreamConnection* u = upstream_;
    upstream_ = nullptr;
    if (u != nullptr) u->release();
    return;
  }
  if (filling_) completeFill();
  if (whole_for_range_) {
    UpstreamConnection* u = upstream_;
    upstream_ = nullptr;
    u->release();
    if (!filled_) {
      restartWithRange();
      return;
    }
    serveStored(filled_, cache::currentAge(*filled_, nowSeconds()), "TCP_MISS", missStatus("; stored"));
    return;
  }
  if (client_framing_.kind == Framing::kChunked) {
    std::string last;
    appendLastChunk(last, trailers);
    bytes_sent_ += last.size();
    emit(std::move(last));
  }
  UpstreamConnection* u = upstream_;
  upstream_ = nullptr;
  if (!request_complete_) {
    u->close();  // the origin answered before the whole body went up: not reusable
  } else {
    u->release();
  }
  finish(client_framing_.keep_alive && request_complete_);
}

void Exchange::onUpstreamError(const Error& error, bool retryable) {
  upstream_ = nullptr;  // it closed itself
  if (phase_ == Phase::kDone) return;
  if (phase_ == Phase::kConnecting) {
    last_connect_error_ = error;
    connectNext();
    return;
  }
  if (retryable && !retried_ && !response_started_ && isIdempotent(request_.method) &&
      request_framing_.kind == Framing::kNone) {
    // RFC 9112 9.3.1: a reused connection may have been closed by the origin just as we
    // sent; an idempotent request without a body is retried once on a new connection.
    retried_ = true;
    acquireUpstream();
    return;
  }
  fail(error);
}

void Exchange::onUpstreamDrained() {
  if (client_ != nullptr && !request_complete_) client_->resumeReading();
}

void Exchange::onClientDrained() {
  if (upstream_ != nullptr && phase_ == Phase::kStreaming && !fill_paused_) upstream_->resumeReading();
  if (phase_ == Phase::kServingStore) pumpStore();
  if (phase_ == Phase::kFollowing) onFillProgress();
}

// ---- endings ------------------------------------------------------------------------------

void Exchange::fail(const Error& error) {
  if (phase_ == Phase::kDone) return;
  abandonFill();
  subscription_.reset();
  lookup_.cancel();
  if (upstream_ != nullptr) {
    upstream_->close();
    upstream_ = nullptr;
  }
  if (client_ == nullptr) {
    status_ = httpStatusFor(error);
    finish(false);
    return;
  }
  if (stale_ && !response_started_ && error.side != Side::kClient &&
      cache::mayServeStaleOnError(request_, *stale_, nowSeconds(), worker_.settings().refresh_rules)) {
    // RFC 5861 4: the origin cannot be reached; the stale response may stand in.
    serveStored(stale_, cache::currentAge(*stale_, nowSeconds()), "TCP_REFRESH_FAIL_OLD",
                missStatus("; detail=stale-if-error"));
    return;
  }
  if (response_started_) {
    // Part of a response is out: the client must see it cut short, never a clean end.
    phase_ = Phase::kDone;
    log();
    client_->abortConnection();
    return;
  }
  status_ = httpStatusFor(error);
  if (error.side == Side::kClient) result_ = "NONE";
  ErrorPageOptions opts;
  // The request was well framed (framing errors never reach an exchange), so the
  // connection can go on if the whole request was read.
  // After a failed CONNECT, bytes the client sent for the tunnel must never be read as
  // HTTP: close.
  opts.keep_alive = request_complete_ && clientWantsKeepAlive() &&
                    error.code != ErrorCode::kRequestTimeout && request_.method != Method::kConnect;
  opts.head_request = request_.method == Method::kHead;
  opts.date = worker_.httpDate();
  opts.via_host = worker_.config().via ? worker_.visibleHostname() : std::string_view();
  std::string cache_status = missStatus("");
  opts.cache_status = cache_status;
  trace("error", error.cause.substr(0, 80));
  std::string traced = traceField();
  opts.extra_fields = traced;
  std::string page = buildErrorResponse(status_, error.cause, opts);
  bytes_sent_ += page.size();
  response_started_ = true;
  emit(std::move(page));
  finish(opts.keep_alive);
}

void Exchange::finish(bool keep_alive) {
  phase_ = Phase::kDone;
  log();
  if (client_ == nullptr) {
    worker_.releaseBackground(this);
    return;
  }
  ClientConnection* c = client_;
  client_ = nullptr;
  c->flush();
  c->exchangeDone(keep_alive);
}

bool Exchange::detachFromClient() {
  // squid's quick_abort: a fill worth finishing goes on without its client when what is
  // left is small, or when other requests follow it.
  bool worth = filling_ && !overflowed_ && claim_.leader && phase_ == Phase::kStreaming && request_complete_;
  if (worth) {
    const uint64_t limit = worker_.config().quick_abort_max;
    const std::optional<uint64_t> length = head_object_ ? std::optional<uint64_t>(head_object_->bodySize())
                                                        : std::nullopt;
    const bool known = client_framing_.kind == Framing::kLength || (length && *length > 0);
    const uint64_t total = known && length ? *length : 0;
    const bool small_rest = known && total >= fill_bytes_ && total - fill_bytes_ <= limit;
    worth = small_rest || (known && claim_.fill->hasSubscribers());
  }
  if (!worth) {
    abort();
    return false;
  }
  client_ = nullptr;
  if (upstream_ != nullptr) upstream_->resumeReading();
  return true;
}

void Exchange::abort() {
  abandonFill();
  subscription_.reset();
  if (phase_ != Phase::kDone) {
    phase_ = Phase::kDone;
    log();
  }
  client_ = nullptr;
  lookup_.cancel();
  if (upstream_ != nullptr) {
    upstream_->close();
    upstream_ = nullptr;
  }
}

void Exchange::log() {
  if (logged_) return;
  logged_ = true;
  const uint64_t elapsed_ms = uv_now(worker_.loop()) - start_tick_ms_;
  worker_.metrics().request(request_.method, resultCodeOf(result_), status_,
                            body_received_ + request_.raw.size(), bytes_sent_,
                            static_cast<double>(elapsed_ms) / 1000.0, uri_.host);
  AccessLog& log = worker_.accessLog();
  if (!log.enabled()) return;
  AccessRecord r;
  r.start_ms = start_wall_ms_;
  r.elapsed_ms = uv_now(worker_.loop()) - start_tick_ms_;
  r.client = client_address_;
  r.result = result_;
  r.status = status_;
  r.bytes_sent = bytes_sent_;
  r.bytes_received = body_received_ + request_.raw.size();
  r.method = request_.method_name;
  r.url = url_.empty() ? request_.target : std::string_view(url_);
  r.hierarchy = hierarchy_;
  r.peer = peer_;
  r.content_type = content_type_;
  r.referer = request_.headers.get(HeaderId::kReferer);
  r.user_agent = request_.headers.get(HeaderId::kUserAgent);
  if (!user_.empty()) r.user = user_;
  r.trace = trace_;
  // For logformat codes: request_ outlives write(), which copies what it formats.
  r.local_port = local_port_;
  r.version_major = request_.version.major;
  r.version_minor = request_.version.minor;
  r.request_headers = &request_.headers;
  r.upstream_status = upstream_status_;
  r.response_headers = &upstream_headers_;
  log.write(r);
}

}  // namespace cuttle::proxy
