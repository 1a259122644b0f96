// The access half of Exchange: http_access with squid's semantics (conf/access.h), the
// destination lookup a dst ACL needs, proxy authentication, and the 403/407 answers.
#include "common/strings.h"
#include "proxy/client_connection.h"
#include "proxy/error_page.h"
#include "proxy/exchange.h"
#include "proxy/worker.h"

namespace cuttle::proxy {

bool Exchange::isManagerPath(std::string_view path) {
  return path == "/metrics" || path == "/status" || istartsWith(path, "/squid-internal-mgr/");
}

conf::AccessRequest Exchange::accessRequest() const {
  conf::AccessRequest r;
  r.client = client_address_;
  r.local_port = local_port_;
  r.method = request_.method_name;
  r.scheme = request_.method == Method::kConnect ? std::string_view() : std::string_view(uri_.scheme);
  r.host = uri_.host;
  r.port = uri_.port;
  if (manager_) {
    // An origin-form request for cuttle's own pages names no port: it is the one the
    // client connected to (as squid does), so that rules like "deny !Safe_ports" work.
    r.port = local_port_;
    r.host = "localhost";
  }
  r.url = url_;
  r.path = uri_.path_and_query;
  r.user_agent = request_.headers.get(HeaderId::kUserAgent);
  r.is_manager = manager_;
  r.user = user_;
  r.credentials_verified = credentials_verified_;
  if (destinations_known_) r.destinations = &origin_addresses_;
  r.now = nowSeconds();
  return r;
}

void Exchange::authorize() {
  const conf::AccessRules& rules = *worker_.settings().access_rules;
  const conf::AccessDecision d = rules.check(accessRequest());
  switch (d.result) {
    case conf::AccessResult::kAllow:
      proceed();
      return;
    case conf::AccessResult::kDeny:
      deny(d);
      return;
    case conf::AccessResult::kNeedDestination:
      resolveForAccess();
      return;
    case conf::AccessResult::kNeedAuth:
      authenticate();
      return;
  }
}

void Exchange::resolveForAccess() {
  // A dst ACL looks at where the request goes: resolve now; the connection uses the same
  // addresses. A name that does not resolve matches no dst ACL (squid).
  if (const dns::AddressList* cached = worker_.resolver().cached(uri_.host)) {
    origin_addresses_ = *cached;
    destinations_known_ = true;
    authorize();
    return;
  }
  phase_ = Phase::kResolving;
  lookup_ = worker_.resolver().resolve(uri_.host, [this](Result<dns::AddressList> r) {
    origin_addresses_ = r ? std::move(r.value()) : dns::AddressList();
    destinations_known_ = true;
    phase_ = Phase::kNew;
    authorize();
  });
}

void Exchange::authenticate() {
  const HeaderField* credentials = request_.headers.find(HeaderId::kProxyAuthorization);
  if (credentials == nullptr || credentials_verified_) {
    challenge("proxy authentication required");
    return;
  }
  phase_ = Phase::kResolving;  // waiting, as for DNS
  auth_check_ = worker_.authenticator().check(credentials->value, [this](Authenticator::Outcome o) {
    phase_ = Phase::kNew;
    if (!o.ok) {
      if (!o.user.empty()) user_ = o.user;  // logged as who tried
      challenge(o.reason.empty() ? std::string_view("invalid credentials") : std::string_view(o.reason));
      return;
    }
    user_ = std::move(o.user);
    credentials_verified_ = true;
    authorize();
  });
}

void Exchange::challenge(std::string_view reason) {
  result_ = "TCP_DENIED";
  status_ = 407;
  std::string extra = "Proxy-Authenticate: ";
  extra += worker_.authenticator().challenge();
  extra += "\r\n";
  ErrorPageOptions opts;
  // The client answers a 407 on the same connection, with credentials.
  opts.keep_alive = request_complete_ && clientWantsKeepAlive() && request_.method != Method::kConnect;
  opts.head_request = request_.method == Method::kHead;
  opts.date = worker_.httpDate();
  opts.via_host = worker_.config().via ? worker_.visibleHostname() : std::string_view();
  opts.extra_fields = extra;
  std::string page = buildErrorResponse(407, reason, opts);
  bytes_sent_ += page.size();
  response_started_ = true;
  emit(std::move(page));
  finish(opts.keep_alive);
}

void Exchange::deny(const conf::AccessDecision& d) {
  if (d.challenge) {
    challenge("proxy authentication required");
    return;
  }
  result_ = "TCP_DENIED";
  status_ = 403;
  std::string cause = "access denied by ";
  if (d.file.empty()) {
    cause += "default (no http_access rule)";
  } else {
    cause += d.file;
    cause += ':';
    appendDecimal(cause, static_cast<uint64_t>(d.line));
    cause += d.implicit ? " (implicitly, after '" : " '";
    cause += d.rule;
    cause += d.implicit ? "')" : "'";
  }
  ErrorPageOptions opts;
  opts.keep_alive = request_complete_ && clientWantsKeepAlive() && request_.method != Method::kConnect;
  opts.head_request = request_.method == Method::kHead;
  opts.date = worker_.httpDate();
  opts.via_host = worker_.config().via ? worker_.visibleHostname() : std::string_view();
  std::string page = buildErrorResponse(403, cause, opts);
  bytes_sent_ += page.size();
  response_started_ = true;
  emit(std::move(page));
  finish(opts.keep_alive);
}

void Exchange::serveManager() {
  const std::string_view path = uri_.path_and_query;
  SharedState& shared = worker_.shared();
  const uint64_t clients = shared.client_connections.load(std::memory_order_relaxed);
  if (path == "/metrics") {
    respondLocally(200, "text/plain; version=0.0.4; charset=utf-8",
                   shared.metrics.renderPrometheus(shared.cache->stats(), clients, worker_.ready()));
    return;
  }
  if (path == "/status") {
    const conf::Config& c = worker_.config();
    const uint64_t capacity = c.cache_dir ? c.cache_dir->size_mb * 1024 * 1024 : 0;
    respondLocally(200, "text/html; charset=utf-8",
                   shared.metrics.renderStatus(shared.cache->stats(), capacity, clients, worker_.wallClockMs()));
    return;
  }
  respondLocally(404, "text/plain", "no such page\n");
}

}  // namespace cuttle::proxy
