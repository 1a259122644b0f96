// Authenticator: Basic credentials decoded on the loop, verdicts cached per worker, the
// slow part elsewhere: PasswordFile::verify() on libuv's thread pool, or a helper process.
//
// Delivery: answers known at check() time (malformed fields, cached verdicts, immediate
// failures) are queued in `ready` and delivered by an idle handle on the next loop turn.
// Verdicts of a verification are delivered from the event that brought them (the
// after-work callback, a helper's answer), which never runs inside check().
#include "proxy/auth.h"

#include <cassert>
#include <cstring>
#include <deque>
#include <list>
#include <unordered_map>
#include <unordered_set>

#include "common/strings.h"
#include "proxy/auth_helper_pool.h"

namespace cuttle::proxy {

namespace {

constexpr size_t kMaxCredentialsLength = 8192;

Error malformed(std::string why) {
  return Error(ErrorCode::kBadRequest, Side::kClient, "malformed credentials: " + why);
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 4648 4, padding optional (some clients leave it out); nullopt on any other character
// or an impossible length.
std::optional<std::string> decodeBase64(std::string_view in) {
  size_t pad = 0;
  while (!in.empty() && in.back() == '=' && pad < 2) {
    in.remove_suffix(1);
    ++pad;
  }
  if (in.size() % 4 == 1 || (pad != 0 && (in.size() + pad) % 4 != 0)) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool hasControl(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

Result<BasicCredentials> parseBasicCredentials(std::string_view field_value) {
  std::string_view value = trimOws(field_value);
  if (value.empty()) return malformed("empty Proxy-Authorization");
  size_t blank = value.find_first_of(" \t");
  std::string_view scheme = value.substr(0, blank);
  if (!iequals(scheme, "Basic")) {
    return Error(ErrorCode::kBadRequest, Side::kClient,
                 "unsupported authentication scheme \"" + std::string(scheme.substr(0, 32)) + "\"");
  }
  std::string_view token =
      blank == std::string_view::npos ? std::string_view() : trimOws(value.substr(blank));
  if (token.empty()) return malformed("no credentials after Basic");
  if (token.size() > kMaxCredentialsLength) return malformed("longer than 8 KB");
  if (token.find_first_of(" \t,") != std::string_view::npos) {
    return malformed("more than one token after Basic");
  }
  std::optional<std::string> decoded = decodeBase64(token);
  if (!decoded) return malformed("bad base64");
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return malformed("no ':' between user and password");
  BasicCredentials credentials;
  credentials.user = decoded->substr(0, colon);
  credentials.password = decoded->substr(colon + 1);
  explicit_bzero(decoded->data(), decoded->size());
  if (credentials.user.empty()) return malformed("empty user name");
  // RFC 7617 2: user-id and password are free of control characters (a NUL would also cut
  // the password short for crypt()).
  if (hasControl(credentials.user) || hasControl(credentials.password)) {
    return malformed("control characters");
  }
  return credentials;
}

std::string basicChallenge(std::string_view realm) {
  std::string out = "Basic realm=\"";
  for (char c : realm) {
    if (hasControl(std::string_view(&c, 1))) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// --- Authenticator::Impl ---

struct Authenticator::Impl {
  struct Waiter {
    Callback callback;
    Check* owner = nullptr;  // the Check that cancels it; detached before the callback
  };
  struct Verdict {
    bool ok = false;
    bool cacheable = false;
    std::string reason;
  };
  // One verification in flight for a (user, password) key, shared by its checks.
  struct Pending {
    std::string user;
    std::vector<uint64_t> waiters;  // ids; cancelled ones are skipped at delivery
  };
  struct CacheEntry {
    bool ok = false;
    std::string reason;
    uint64_t expires_ms = 0;
    std::list<std::string>::iterator lru;
  };
  // A password-file verification on the thread pool. Owned by libuv between
  // uv_queue_work() and the after-work callback, which deletes it. The work function
  // touches only this object and the immutable PasswordFile.
  struct Work {
    uv_work_t req{};
    Impl* impl = nullptr;
    std::shared_ptr<const PasswordFile> file;
    std::string key;
    std::string user;
    std::string password;
    bool case_sensitive = true;
    bool ok = false;
  };
  struct Ready {
    uint64_t id;
    Outcome outcome;
  };

  Impl(uv_loop_t* l, std::shared_ptr<const BasicAuthConfig> c,
       std::shared_ptr<const PasswordFile> f, std::function<uint64_t()> clock)
      : loop(l), config(std::move(c)), file(std::move(f)), now_ms(std::move(clock)) {}

  void start(const std::string& key, const BasicCredentials& credentials, uint64_t id);
  static void doWork(uv_work_t* req);
  static void afterWork(uv_work_t* req, int status);
  void complete(const std::string& key, Verdict verdict);
  const CacheEntry* cached(const std::string& key);
  void remember(const std::string& key, const Verdict& verdict);
  void post(uint64_t id, Outcome outcome);
  void deliver(uint64_t id, Outcome outcome);
  void drainReady();
  void close();

  uv_loop_t* loop;
  std::shared_ptr<const BasicAuthConfig> config;
  std::shared_ptr<const PasswordFile> file;
  std::function<uint64_t()> now_ms;
  std::string challenge;
  std::unique_ptr<AuthHelperPool> helpers;  // program mode only
  uv_idle_t idle{};
  bool idle_open = false;
  bool closed = false;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, Waiter> waiters;
  std::unordered_map<std::string, Pending> pending;  // by key
  std::unordered_map<std::string, CacheEntry> cache;
  std::list<std::string> lru;  // cache keys, least recently used first
  std::unordered_set<Work*> works;
  std::deque<Ready> ready;
  Stats stats;
};

void Authenticator::Impl::post(uint64_t id, Outcome outcome) {
  ready.push_back(Ready{id, std::move(outcome)});
  uv_idle_start(&idle, [](uv_idle_t* handle) { static_cast<Impl*>(handle->data)->drainReady(); });
}

void Authenticator::Impl::deliver(uint64_t id, Outcome outcome) {
  auto it = waiters.find(id);
  if (it == waiters.end()) return;  // cancelled
  Waiter waiter = std::move(it->second);
  waiters.erase(it);
  if (waiter.owner != nullptr) Authenticator::detach(waiter.owner);
  waiter.callback(std::move(outcome));
}

// Delivers what is queued now; what the callbacks queue waits for the next turn.
void Authenticator::Impl::drainReady() {
  std::deque<Ready> batch;
  batch.swap(ready);
  for (Ready& item : batch) {
    if (closed) return;  // a callback closed the authenticator: nothing more is delivered
    deliver(item.id, std::move(item.outcome));
  }
  if (!closed && ready.empty()) uv_idle_stop(&idle);
}

const Authenticator::Impl::CacheEntry* Authenticator::Impl::cached(const std::string& key) {
  auto it = cache.find(key);
  if (it == cache.end()) return nullptr;
  if (it->second.expires_ms <= now_ms()) {
    lru.erase(it->second.lru);
    cache.erase(it);
    return nullptr;
  }
  lru.splice(lru.end(), lru, it->second.lru);
  return &it->second;
}

void Authenticator::Impl::remember(const std::string& key, const Verdict& verdict) {
  if (!verdict.cacheable) return;
  auto ttl =
      verdict.ok ? config->credentials_ttl : std::min(config->failure_ttl, config->credentials_ttl);
  if (ttl.count() <= 0) return;
  uint64_t expires = now_ms() + static_cast<uint64_t>(ttl.count()) * 1000;
  auto it = cache.find(key);
  if (it != cache.end()) {
    lru.erase(it->second.lru);
    cache.erase(it);
  }
  while (cache.size() >= kMaxCacheEntries && !lru.empty()) {
    cache.erase(lru.front());
    lru.pop_front();
  }
  auto pos = lru.insert(lru.end(), key);
  cache.emplace(key, CacheEntry{verdict.ok, verdict.reason, expires, pos});
}

// Starts the verification of `credentials` (user already folded) for waiter `id`.
void Authenticator::Impl::start(const std::string& key, const BasicCredentials& credentials,
                                uint64_t id) {
  if (!config->password_file.empty()) {
    if (!file) {
      post(id, Outcome{false, credentials.user, "no password file loaded"});
      return;
    }
    if (works.size() >= kMaxVerifications) {
      // Distinct credentials arriving faster than the thread pool can hash them: refuse
      // rather than queue without bound (not cached; the client may try again).
      post(id, Outcome{false, credentials.user, "too many password verifications in progress"});
      return;
    }
    auto work = std::make_unique<Work>();
    work->req.data = work.get();
    work->impl = this;
    work->file = file;
    work->key = key;
    work->user = credentials.user;
    work->password = credentials.password;
    work->case_sensitive = config->case_sensitive;
    int rc = uv_queue_work(loop, &work->req, &Impl::doWork, &Impl::afterWork);
    if (rc != 0) {
      post(id, Outcome{false, credentials.user, "cannot verify the password: " + uvMessage(rc)});
      return;
    }
    works.insert(work.release());
  } else {
    std::string request = helperEscape(credentials.user) + " " + helperEscape(credentials.password);
    // `this` owns the pool, which never calls back after close().
    Result<uint64_t> lookup =
        helpers->submit(std::move(request), [this, key](AuthHelperPool::Reply reply) {
          Verdict verdict;
          verdict.ok = reply.kind == AuthHelperPool::Reply::Kind::kOk;
          verdict.cacheable = reply.kind != AuthHelperPool::Reply::Kind::kBroken;
          if (reply.kind == AuthHelperPool::Reply::Kind::kErr) {
            verdict.reason = "wrong user name or password";
            if (!reply.message.empty()) verdict.reason += " (" + reply.message + ")";
          } else if (reply.kind == AuthHelperPool::Reply::Kind::kBroken) {
            verdict.reason = "authentication helper: " +
                             (reply.message.empty() ? std::string("failed (BH)") : reply.message);
          }
          complete(key, std::move(verdict));
        });
    if (!lookup.ok()) {
      post(id, Outcome{false, credentials.user, "authentication helper: " + lookup.error().cause});
      return;
    }
  }
  stats.verifications++;
  pending.emplace(key, Pending{credentials.user, {id}});
}

void Authenticator::Impl::doWork(uv_work_t* req) {
  auto* work = static_cast<Work*>(req->data);
  work->ok = work->file->verify(work->user, work->password, work->case_sensitive);
}

void Authenticator::Impl::afterWork(uv_work_t* req, int status) {
  std::unique_ptr<Work> work(static_cast<Work*>(req->data));
  explicit_bzero(work->password.data(), work->password.size());
  Impl* self = work->impl;
  self->works.erase(work.get());
  if (self->closed || status != 0) return;  // UV_ECANCELED: cancelled by close()
  Verdict verdict;
  verdict.ok = work->ok;
  verdict.cacheable = true;
  if (!work->ok) verdict.reason = "wrong user name or password";
  self->complete(work->key, std::move(verdict));
}

void Authenticator::Impl::complete(const std::string& key, Verdict verdict) {
  auto it = pending.find(key);
  if (it == pending.end()) return;
  Pending done = std::move(it->second);
  pending.erase(it);
  remember(key, verdict);
  for (uint64_t id : done.waiters) {
    if (closed) return;  // a callback closed the authenticator
    deliver(id, Outcome{verdict.ok, done.user, verdict.reason});
  }
}

void Authenticator::Impl::close() {
  if (closed) return;
  closed = true;
  for (auto& [id, waiter] : waiters) {
    if (waiter.owner != nullptr) Authenticator::detach(waiter.owner);
  }
  waiters.clear();
  ready.clear();
  pending.clear();
  cache.clear();
  lru.clear();
  // Work already running finishes; its after-work callback sees `closed` and drops it.
  for (Work* work : works) uv_cancel(reinterpret_cast<uv_req_t*>(&work->req));
  if (helpers) helpers->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&idle),
           [](uv_handle_t* handle) { static_cast<Impl*>(handle->data)->idle_open = false; });
}

// --- Authenticator ---

std::unique_ptr<Authenticator> Authenticator::create(uv_loop_t* loop,
                                                     std::shared_ptr<const BasicAuthConfig> config,
                                                     std::shared_ptr<const PasswordFile> file,
                                                     std::function<uint64_t()> now_ms) {
  if (!config) config = std::make_shared<const BasicAuthConfig>();
  if (!now_ms) now_ms = [loop] { return uv_now(loop); };
  auto impl = std::make_unique<Impl>(loop, std::move(config), std::move(file), std::move(now_ms));
  impl->challenge = basicChallenge(impl->config->realm);
  if (impl->config->enabled && impl->config->password_file.empty()) {
    AuthHelperPool::Options options;
    options.argv = impl->config->program;
    options.children = impl->config->children;
    options.concurrency = impl->config->concurrency;
    options.max_queue = impl->config->queue_size;
    impl->helpers = std::make_unique<AuthHelperPool>(loop, std::move(options));
  }
  uv_idle_init(loop, &impl->idle);
  impl->idle.data = impl.get();
  impl->idle_open = true;
  std::unique_ptr<Authenticator> authenticator(new Authenticator());
  authenticator->impl_ = std::move(impl);
  return authenticator;
}

bool Authenticator::finishedClosing() const {
  return !impl_ || (impl_->closed && !impl_->idle_open && impl_->works.empty() &&
                    (!impl_->helpers || impl_->helpers->processes() == 0));
}

Authenticator::~Authenticator() {
  // Destroy only after close() and after the loop has run what it started.
  assert(finishedClosing());
}

Authenticator::Check Authenticator::check(std::string_view proxy_authorization, Callback callback) {
  Impl& impl = *impl_;
  if (impl.closed) return Check();
  uint64_t id = impl.next_id++;
  impl.waiters.emplace(id, Impl::Waiter{std::move(callback), nullptr});
  impl.stats.checks++;
  Check check(this, id);
  Result<BasicCredentials> parsed = parseBasicCredentials(proxy_authorization);
  if (!parsed.ok()) {
    impl.stats.malformed++;
    impl.post(id, Outcome{false, "", parsed.error().cause});
    return check;
  }
  BasicCredentials& credentials = parsed.value();
  if (!impl.config->case_sensitive) credentials.user = toLower(credentials.user);
  if (!impl.config->enabled) {
    impl.post(id, Outcome{false, credentials.user, "proxy authentication is not configured"});
    return check;
  }
  // The user name cannot contain ':', so the key is unambiguous.
  std::string key = credentials.user + ":" + credentials.password;
  if (const Impl::CacheEntry* entry = impl.cached(key)) {
    impl.stats.cache_hits++;
    impl.post(id, Outcome{entry->ok, credentials.user, entry->reason});
  } else if (auto it = impl.pending.find(key); it != impl.pending.end()) {
    impl.stats.shared++;
    it->second.waiters.push_back(id);
  } else {
    impl.start(key, credentials, id);
  }
  explicit_bzero(key.data(), key.size());
  explicit_bzero(credentials.password.data(), credentials.password.size());
  return check;
}

std::string_view Authenticator::realm() const { return impl_->config->realm; }
std::string_view Authenticator::challenge() const { return impl_->challenge; }
const Authenticator::Stats& Authenticator::stats() const { return impl_->stats; }
size_t Authenticator::helperProcesses() const {
  return impl_->helpers ? impl_->helpers->processes() : 0;
}

void Authenticator::close() { impl_->close(); }

void Authenticator::cancel(uint64_t id) { impl_->waiters.erase(id); }

bool Authenticator::isPending(uint64_t id) const { return impl_->waiters.count(id) != 0; }

void Authenticator::rebind(uint64_t id, Check* owner) {
  auto it = impl_->waiters.find(id);
  if (it != impl_->waiters.end()) it->second.owner = owner;
}

// --- Check ---

Authenticator::Check::Check(Authenticator* authenticator, uint64_t id)
    : authenticator_(authenticator), id_(id) {
  authenticator->rebind(id, this);
}

Authenticator::Check::Check(Check&& other) noexcept
    : authenticator_(other.authenticator_), id_(other.id_) {
  other.authenticator_ = nullptr;
  if (authenticator_ != nullptr) authenticator_->rebind(id_, this);
}

Authenticator::Check& Authenticator::Check::operator=(Check&& other) noexcept {
  if (this != &other) {
    cancel();
    authenticator_ = other.authenticator_;
    id_ = other.id_;
    other.authenticator_ = nullptr;
    if (authenticator_ != nullptr) authenticator_->rebind(id_, this);
  }
  return *this;
}

Authenticator::Check::~Check() { cancel(); }

void Authenticator::Check::cancel() {
  if (authenticator_ == nullptr) return;
  Authenticator* a = authenticator_;
  authenticator_ = nullptr;
  a->cancel(id_);
}

bool Authenticator::Check::pending() const {
  return authenticator_ != nullptr && authenticator_->isPending(id_);
}

}  // namespace cuttle::proxy
