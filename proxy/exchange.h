// Exchange: one request and its response. Decides what to do with a parsed request (answer
// locally, refuse, serve from the cache, follow a fill in flight, forward), finds an
// upstream connection (pool, DNS, connect with the next
// address on failure, one retry for idempotent requests on a reused connection), streams
// the request body up and the response down with backpressure in both directions, and
// writes the access log line. The cache half (lookup, hits, revalidation, filling, collapsed
// forwarding) is in exchange_cache.cc.
//
// Owned by its ClientConnection; destroyed through the worker's deferred queue. abort()
// detaches it from everything when the client goes away.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cache/cache.h"
#include "cache/fill.h"
#include "cache/policy.h"
#include "common/deferred.h"
#include "common/framing.h"
#include "common/message.h"
#include "common/message_reader.h"
#include "common/uri.h"
#include "conf/access.h"
#include "dns/resolver.h"
#include "proxy/auth.h"
#include "proxy/forward_rules.h"
#include "proxy/hit_response.h"
#include "proxy/peer_select.h"
#include "proxy/upstream_connection.h"

namespace cuttle::proxy {

class ClientConnection;
class Worker;

class Exchange final : public Deferrable,
                       public BodyListener,
                       private UpstreamConnection::Listener,
                       private cache::FillListener {
 public:
  Exchange(ClientConnection& client, RequestHead&& request, const BodyFraming& framing,
           bool request_complete);
  ~Exchange() override;

  // A revalidation with no client (stale-while-revalidate): validates `stale`, updates or
  // replaces it, as the leader of `claim`. Owned by the worker until it ends.
  static std::unique_ptr<Exchange> backgroundRevalidation(Worker& worker, const RequestHead& request,
                                                          std::string url, const Uri& uri,
                                                          cache::ObjectPtr stale,
                                                          cache::Cache::Claim claim);
  void startBackground();

  void start();

  // The request body, from the client connection's reader.
  void onBodyData(std::string_view data) override;
  void onTrailers(HeaderList&& trailers) override;
  void onRequestComplete();
  // The request body broke (bad framing, client closed, timeout).
  void onRequestError(const Error& error);
  // The client writer drained below its low watermark.
  void onClientDrained();
  // The client connection is closing: drop everything, call nobody.
  void abort();
  // The client connection is closing. Returns true when the exchange goes on alone to
  // finish filling the cache (quick_abort_max), false after abort().
  bool detachFromClient();

 private:
  enum class Phase : uint8_t {
    kNew, kFollowing, kResolving, kConnecting, kForwarding, kStreaming, kServingStore, kDone,
  };

  void handleLocal();
  void proceed();
  // exchange_access.cc
  void authorize();
  conf::AccessRequest accessRequest() const;
  void resolveForAccess();
  void authenticate();
  void challenge(std::string_view reason);
  void deny(const conf::AccessDecision& decision);
  void serveManager();
  static bool isManagerPath(std::string_view path);
  bool answerMaxForwards();
  void acquireUpstream();
  bool nextRoute();
  const conf::CachePeer* currentPeer() const;
  std::string peerCredentials(const conf::CachePeer& peer) const;
  void sendConnectToPeer(const conf::CachePeer& peer);
  void onResolved(Result<dns::AddressList> result);
  void connectNext();
  void sendRequestHead();
  void establishTunnel();
  void establishUpgrade(const ResponseHead& head);
  // The client and upstream connections become a Tunnel after `response` (200 or 101).
  void handOverToTunnel(std::string response, int status, std::string_view result);
  std::string_view requestedUpgrade() const;
  void sendBodyPiece(std::string_view data);
  void finishRequestBody();
  void respondLocally(int status, std::string_view content_type, std::string_view body);
  void fail(const Error& error);
  void finish(bool keep_alive);
  void log();
  bool clientWantsKeepAlive() const;
  ViaOptions via() const;
  // Towards the client; no-ops once the client is gone (a fetch finishing alone).
  void emit(std::string&& bytes);
  void emit(std::string_view bytes);
  void emit(std::shared_ptr<const std::string> data, size_t offset, size_t length);
  void flushClient();
  bool clientBacklogged() const;
  Exchange(Worker& worker, RequestHead&& request);

  // exchange_cache.cc
  bool lookupCache();
  void handlePurge();
  void serveStored(const cache::ObjectPtr& object, int64_t age, std::string_view result,
                   std::string cache_status);
  void pumpStore();
  void follow();
  void onFillProgress() override;
  void startFollowingResponse(const cache::Fill::View& view);
  void stopFollowing();
  bool handleValidationResponse(ResponseHead& head);
  void beginFill(const ResponseHead& head, const BodyFraming& framing);
  void fillBody(std::string_view data);
  void completeFill();
  void publishChunk();
  void abandonFill();
  void dropLeaderWake();
  void invalidateAfter(const ResponseHead& head);
  bool wantWholeForRange() const;
  void restartWithRange();
  std::string missStatus(std::string_view extra) const;
  int64_t nowSeconds() const;

  // UpstreamConnection::Listener
  void onUpstreamConnected() override;
  void onUpstreamHead(ResponseHead& head, const BodyFraming& framing) override;
  void onUpstreamBody(std::string_view data) override;
  void onUpstreamReadDone() override;
  void onUpstreamComplete(HeaderList&& trailers) override;
  void onUpstreamError(const Error& error, bool retryable) override;
  void onUpstreamDrained() override;

  ClientConnection* client_;
  Worker& worker_;
  SocketAddress client_address_;  // for the log, also once the client is gone
  uint16_t local_port_ = 0;       // the port the client connected to (localport ACL)
  RequestHead request_;
  BodyFraming request_framing_;
  Uri uri_;
  std::string url_;  // absolute URI, for the log
  std::string key_;  // host:port of the origin
  dns::Lookup lookup_;
  dns::AddressList addresses_;
  size_t next_address_ = 0;
  Error last_connect_error_;
  UpstreamConnection* upstream_ = nullptr;
  std::string held_body_;  // request body waiting for an upstream connection
  HeaderList request_trailers_;
  ClientFraming client_framing_;
  Phase phase_ = Phase::kNew;
  bool request_complete_;
  bool response_started_ = false;  // a response head went to the client
  bool retried_ = false;
  bool logged_ = false;
  int status_ = 0;
  int upstream_status_ = 0;         // the final status the origin sent (logformat %<Hs)
  HeaderList upstream_headers_;     // its header fields, copied only for logformat %{...}<h
  uint64_t body_received_ = 0;
  uint64_t bytes_sent_ = 0;
  int64_t start_wall_ms_ = 0;
  uint64_t start_tick_ms_ = 0;
  std::string content_type_;
  std::string_view result_ = "TCP_MISS";
  std::string_view hierarchy_ = "HIER_NONE";
  std::string peer_ = "-";
  std::string_view upgrade_;  // the Upgrade asked for and allowed; empty otherwise
  // Access control.
  bool manager_ = false;             // an origin-form request for cuttle's own pages
  bool destinations_known_ = false;  // origin_addresses_ resolved for a dst ACL
  dns::AddressList origin_addresses_;
  // Parents (cache_peer): the routes to try in order; empty means straight to the origin.
  std::shared_ptr<const std::vector<conf::CachePeer>> peers_;
  std::vector<Route> routes_;
  size_t route_ = 0;
  bool routes_chosen_ = false;
  bool credentials_verified_ = false;
  std::string user_;                 // the authenticated user, for rules and the log
  Authenticator::Check auth_check_;  // a verification in progress (cancelled with the exchange)
  // Cuttle-Trace: the cache decisions for this request, reported when the client asks.
  bool tracing_ = false;
  std::string trace_;
  void trace(std::string_view step, std::string_view value);
  std::string traceField() const;

  // Cache state.
  cache::CacheControl request_cc_;
  std::string_view fwd_ = "bypass";  // Cache-Status fwd= value when going to the origin
  bool uri_known_ = false;
  cache::Cache::Claim claim_;                // leader or follower of a fill
  cache::Fill::Subscription subscription_;   // follower
  size_t next_chunk_ = 0;                    // follower: chunks already sent
  bool follower_chunked_ = false;
  bool no_collapse_ = false;                 // fell back from a failed fill
  cache::ObjectPtr stale_;                   // being revalidated
  cache::ObjectPtr head_object_;             // leader: the head published to the fill
  std::string chunk_;                        // leader: body chunk being filled
  std::vector<cache::StoredObject::Chunk> chunks_;
  uint64_t fill_bytes_ = 0;
  bool filling_ = false;
  bool overflowed_ = false;                  // outgrew maximum_object_size: streamed, not stored
  // The leader of an overflowed fill waits for its slowest follower (Fill::roomForMore()):
  // upstream reading paused until the fill wakes leader_wake_id_ on this worker's waker.
  bool fill_paused_ = false;
  uint64_t leader_wake_id_ = 0;
  bool refetch_ = false;                     // a 304 did not apply: fetch again once it is read
  bool whole_for_range_ = false;             // Range stripped: fill, then answer the range
  cache::ObjectPtr filled_;                  // leader: the object completeFill() stored
  int64_t request_sent_time_ = 0;            // unix seconds (RFC 9111 4.2.3 request_time)
  cache::ObjectPtr streaming_;               // body streamed from the store
  uint64_t stream_pos_ = 0;
  uint64_t stream_end_ = 0;
};

}  // namespace cuttle::proxy
