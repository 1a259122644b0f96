// AuthHelperPool: children started with uv_spawn(), stdin and stdout as uv_pipe_t, one
// uv_timer_t each to escalate to SIGKILL. A Child's memory lives in children_ until the
// close callbacks of its four handles have run.
#include "proxy/auth_helper_pool.h"

#include <algorithm>
#include <cassert>
#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "common/log.h"
#include "common/strings.h"

namespace cuttle::proxy {

namespace {

constexpr uint64_t kQuickExitMs = 1000;
constexpr int kQuickExitsAllowed = 3;
constexpr uint64_t kFirstBackoffMs = 250;
constexpr uint64_t kMaxBackoffMs = 10000;

bool rfc1738Unsafe(unsigned char c) {
  static constexpr std::string_view kUnsafe = " \"#%'<>[\\]^`{|}~";
  return c < 0x20 || c >= 0x7f || kUnsafe.find(static_cast<char>(c)) != std::string_view::npos;
}

// The value of a key=value token starting at `s`: quoted ("..." with \-escapes) or up to
// the next blank.
std::string kvValue(std::string_view s) {
  if (s.empty() || s[0] != '"') return std::string(s.substr(0, s.find_first_of(" \t")));
  std::string out;
  for (size_t i = 1; i < s.size() && s[i] != '"'; ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string helperEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (rfc1738Unsafe(c)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

struct AuthHelperPool::Child {
  AuthHelperPool* pool = nullptr;
  std::list<Child>::iterator self;
  uv_process_t process{};
  uv_pipe_t to_child{};    // the child's stdin
  uv_pipe_t from_child{};  // the child's stdout
  uv_timer_t kill_timer{};
  int open_handles = 0;
  bool retired = false;   // no new lookups; handles closing or about to
  bool exited = false;    // libuv reaped it (its pid must not be signalled any more)
  bool answered = false;  // sent at least one answer
  uint64_t started_ms = 0;
  std::vector<uint64_t> slots;  // lookup id per channel; 0: free
  std::string input;            // stdout bytes not yet split into lines
};

// A write owns its bytes until its callback (STYLE rule 6).
struct AuthHelperPool::WriteRequest {
  uv_write_t req{};
  std::string data;
  Child* child = nullptr;
};

AuthHelperPool::Reply AuthHelperPool::parseReply(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || isOws(line.back()))) line.remove_suffix(1);
  line = trimOws(line);
  size_t end = line.find_first_of(" \t");
  std::string_view code = line.substr(0, end);
  std::string_view rest =
      end == std::string_view::npos ? std::string_view() : trimOws(line.substr(end));
  Reply reply;
  if (code == "OK") {
    reply.kind = Reply::Kind::kOk;
  } else if (code == "ERR") {
    reply.kind = Reply::Kind::kErr;
  } else if (code == "BH") {
    reply.kind = Reply::Kind::kBroken;
  } else {
    reply.kind = Reply::Kind::kBroken;
    reply.message = "unexpected helper answer: " + std::string(line.substr(0, 200));
    return reply;
  }
  // message=... anywhere among the key=value pairs; else the text as a whole.
  for (size_t pos = 0; pos < rest.size();) {
    if ((pos == 0 || isOws(rest[pos - 1])) && rest.compare(pos, 8, "message=") == 0) {
      reply.message = kvValue(rest.substr(pos + 8));
      return reply;
    }
    if (rest[pos] == '"') {  // skip a quoted value, which may hold blanks
      size_t close = pos + 1;
      while (close < rest.size() && rest[close] != '"') close += rest[close] == '\\' ? 2 : 1;
      pos = close + 1;
    } else {
      ++pos;
    }
  }
  if (rest.find('=') == std::string_view::npos) reply.message = std::string(rest);
  return reply;
}

AuthHelperPool::AuthHelperPool(uv_loop_t* loop, Options options)
    : loop_(loop), options_(std::move(options)) {
  options_.children = std::max(options_.children, 1);
  options_.concurrency = std::max(options_.concurrency, 0);
}

AuthHelperPool::~AuthHelperPool() { assert(closed_ && children_.empty()); }

size_t AuthHelperPool::running() const {
  size_t n = 0;
  for (const Child& child : children_) n += child.retired ? 0 : 1;
  return n;
}

Result<uint64_t> AuthHelperPool::submit(std::string request, Callback callback) {
  if (closed_) {
    return Error(ErrorCode::kServiceUnavailable, Side::kInternal, "authentication helpers closed");
  }
  if (queued_ >= options_.max_queue) {
    return Error(ErrorCode::kServiceUnavailable, Side::kInternal,
                 "too many authentication lookups waiting for a helper");
  }
  uint64_t id = next_id_++;
  lookups_.emplace(id, Lookup{std::move(request), std::move(callback), false});
  queue_.push_back(id);
  queued_++;
  Status status = dispatch();
  auto it = lookups_.find(id);
  if (!status.ok() && it != lookups_.end() && !it->second.in_child) {
    // Nothing runs that could take it: fail now rather than wait for nothing.
    lookups_.erase(it);
    auto queued = std::find(queue_.begin(), queue_.end(), id);
    if (queued != queue_.end()) queue_.erase(queued);
    queued_--;
    return status.takeError();
  }
  return id;
}

void AuthHelperPool::cancel(uint64_t id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;
  if (!it->second.in_child) queued_--;  // its id stays in queue_, skipped later
  lookups_.erase(it);
}

Status AuthHelperPool::dispatch() {
  while (!queue_.empty()) {
    uint64_t id = queue_.front();
    if (lookups_.count(id) == 0) {  // cancelled
      queue_.pop_front();
      continue;
    }
    Child* target = nullptr;
    for (Child& child : children_) {
      if (!child.retired &&
          std::find(child.slots.begin(), child.slots.end(), 0) != child.slots.end()) {
        target = &child;
        break;
      }
    }
    if (target == nullptr) {
      if (running() >= static_cast<size_t>(options_.children)) return {};  // wait
      Result<Child*> started = spawn();
      if (!started.ok()) return started.takeError();
      target = started.value();
    }
    queue_.pop_front();
    queued_--;
    if (!assign(target, id)) {
      // The write failed at once (the lookup is back in the queue): stop rather than spin.
      return Error(ErrorCode::kServiceUnavailable, Side::kInternal,
                   "cannot write to authentication helper " + options_.argv[0]);
    }
  }
  return {};
}

// After an I/O event: when nothing runs and nothing can start, the queue would wait
// forever; fail it instead.
void AuthHelperPool::pump() {
  if (closed_) return;
  Status status = dispatch();
  if (!status.ok() && running() == 0) failQueued(status.error().cause);
}

void AuthHelperPool::failQueued(const std::string& why) {
  std::deque<uint64_t> waiting;
  waiting.swap(queue_);
  queued_ = 0;
  for (uint64_t id : waiting) {
    if (closed_) return;
    finish(id, Reply{Reply::Kind::kBroken, why});
  }
}

Result<AuthHelperPool::Child*> AuthHelperPool::spawn() {
  if (options_.argv.empty()) {
    return Error(ErrorCode::kServiceUnavailable, Side::kInternal, "no authentication helper");
  }
  if (now() < no_start_before_) {
    return Error(ErrorCode::kServiceUnavailable, Side::kInternal,
                 "authentication helper " + options_.argv[0] +
                     " keeps exiting right after it starts; not restarted yet");
  }
  Child& child = children_.emplace_back();
  child.pool = this;
  child.self = std::prev(children_.end());
  child.slots.assign(static_cast<size_t>(std::max(options_.concurrency, 1)), 0);
  child.started_ms = now();
  uv_pipe_init(loop_, &child.to_child, 0);
  uv_pipe_init(loop_, &child.from_child, 0);
  uv_timer_init(loop_, &child.kill_timer);
  child.to_child.data = &child;
  child.from_child.data = &child;
  child.kill_timer.data = &child;
  child.process.data = &child;
  child.open_handles = 4;

  std::vector<char*> args;
  for (std::string& arg : options_.argv) args.push_back(arg.data());
  args.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&child.to_child);
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&child.from_child);
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t options{};
  options.exit_cb = &AuthHelperPool::onProcessExit;
  options.file = args[0];
  options.args = args.data();
  options.stdio_count = 3;
  options.stdio = stdio;
  int rc = uv_spawn(loop_, &child.process, &options);
  if (rc != 0) {
    // libuv initialised the process handle anyway: it must be closed like the others.
    child.retired = true;
    child.exited = true;
    for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&child.process),
                                reinterpret_cast<uv_handle_t*>(&child.to_child),
                                reinterpret_cast<uv_handle_t*>(&child.from_child),
                                reinterpret_cast<uv_handle_t*>(&child.kill_timer)}) {
      uv_close(handle, &AuthHelperPool::onHandleClosed);
    }
    LOG_ERROR("cannot start authentication helper %s: %s", options_.argv[0].c_str(),
              uvMessage(rc).c_str());
    return Error(ErrorCode::kServiceUnavailable, Side::kInternal,
                 "cannot start authentication helper " + options_.argv[0] + ": " + uvMessage(rc));
  }
  stats_.started++;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&child.from_child),
      [](uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
        // Answers are short: read into the child's line buffer's spare room.
        auto* c = static_cast<Child*>(handle->data);
        constexpr size_t kChunk = 4096;
        size_t used = c->input.size();
        c->input.resize(used + kChunk);
        *buf = uv_buf_init(c->input.data() + used, kChunk);
      },
      &AuthHelperPool::onRead);
  return &child;
}

bool AuthHelperPool::assign(Child* child, uint64_t id) {
  auto slot = std::find(child->slots.begin(), child->slots.end(), 0);
  assert(slot != child->slots.end());
  *slot = id;
  Lookup& lookup = lookups_.at(id);
  lookup.in_child = true;
  auto write = std::make_unique<WriteRequest>();
  write->req.data = write.get();
  write->child = child;
  if (options_.concurrency > 0) {
    appendDecimal(write->data, static_cast<uint64_t>(slot - child->slots.begin()));
    write->data.push_back(' ');
  }
  write->data.append(lookup.request).push_back('\n');
  uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
  int rc = uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&child->to_child), &buf, 1,
                    &AuthHelperPool::onWritten);
  if (rc != 0) {
    // Its lookups go back to the queue, to be tried on another child (no callback here:
    // this may run inside submit()); this child is done.
    retire(child, "cannot write to authentication helper: " + uvMessage(rc), Lost::kRequeue);
    return false;
  }
  write.release();  // owned by libuv until onWritten
  stats_.lookups++;
  return true;
}

void AuthHelperPool::onWritten(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> write(static_cast<WriteRequest*>(req->data));
  Child* child = write->child;
  if (status == 0 || status == UV_ECANCELED || child->retired) return;
  AuthHelperPool* pool = child->pool;
  pool->retire(child, "cannot write to authentication helper: " + uvMessage(status));
  pool->pump();
}

void AuthHelperPool::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* child = static_cast<Child*>(stream->data);
  AuthHelperPool* pool = child->pool;
  constexpr size_t kChunk = 4096;
  // The alloc callback grew `input` by kChunk: keep what was read, drop the rest.
  child->input.resize(child->input.size() - kChunk +
                      static_cast<size_t>(std::max<ssize_t>(nread, 0)));
  if (nread < 0) {
    pool->retire(child, nread == UV_EOF ? "authentication helper closed its output"
                                        : "cannot read from authentication helper: " +
                                              uvMessage(static_cast<int>(nread)));
    pool->pump();
    return;
  }
  size_t start = 0;
  for (;;) {
    size_t eol = child->input.find('\n', start);
    if (eol == std::string::npos) break;
    // A copy: the callbacks may close the pool, and the buffer goes with the child.
    std::string line = child->input.substr(start, eol - start);
    start = eol + 1;
    pool->onLine(child, line);
    if (pool->closed_ || child->retired) return;
  }
  child->input.erase(0, start);
  if (child->input.size() > kMaxLineLength) {
    pool->retire(child, "authentication helper sent a line longer than 64 KB");
  }
  pool->pump();
}

void AuthHelperPool::onLine(Child* child, std::string_view line) {
  stats_.replies++;
  size_t channel = 0;
  if (options_.concurrency > 0) {
    size_t blank = line.find(' ');
    std::optional<uint64_t> id = parseDecimal(line.substr(0, blank));
    if (!id || *id >= child->slots.size() || child->slots[*id] == 0) {
      LOG_WARN("authentication helper %s: answer for an unknown channel ignored: %.100s",
               options_.argv[0].c_str(), std::string(line).c_str());
      return;
    }
    channel = static_cast<size_t>(*id);
    line = blank == std::string_view::npos ? std::string_view() : line.substr(blank + 1);
  } else if (child->slots[0] == 0) {
    LOG_WARN("authentication helper %s: answer without a question ignored: %.100s",
             options_.argv[0].c_str(), std::string(line).c_str());
    return;
  }
  uint64_t id = child->slots[channel];
  child->slots[channel] = 0;
  child->answered = true;
  quick_exits_ = 0;
  finish(id, parseReply(line));
}

void AuthHelperPool::finish(uint64_t id, Reply reply) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;  // cancelled
  Callback callback = std::move(it->second.callback);
  lookups_.erase(it);
  callback(std::move(reply));
}

void AuthHelperPool::retire(Child* child, const std::string& why, Lost lost_lookups) {
  if (child->retired) return;
  child->retired = true;
  std::vector<uint64_t> lost;
  for (uint64_t& id : child->slots) {
    if (id != 0) lost.push_back(id);
    id = 0;
  }
  if (lost_lookups == Lost::kRequeue) {
    for (auto it = lost.rbegin(); it != lost.rend(); ++it) {
      auto found = lookups_.find(*it);
      if (found == lookups_.end()) continue;
      found->second.in_child = false;
      queue_.push_front(*it);
      queued_++;
    }
    lost.clear();
  }
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&child->from_child));
  uv_close(reinterpret_cast<uv_handle_t*>(&child->from_child), &AuthHelperPool::onHandleClosed);
  // EOF on its stdin: squid's helpers exit on it.
  uv_close(reinterpret_cast<uv_handle_t*>(&child->to_child), &AuthHelperPool::onHandleClosed);
  if (child->exited) {
    uv_close(reinterpret_cast<uv_handle_t*>(&child->process), &AuthHelperPool::onHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&child->kill_timer), &AuthHelperPool::onHandleClosed);
  } else {
    // The process handle stays open until libuv reaps the child (closing it earlier would
    // leave a zombie).
    uv_process_kill(&child->process, SIGTERM);
    uv_timer_start(&child->kill_timer, &AuthHelperPool::onKillTimer,
                   static_cast<uint64_t>(kKillAfter.count()), 0);
  }
  if (!closed_ && !lost.empty()) {
    LOG_WARN("authentication helper %s: %s; %zu lookup(s) failed", options_.argv[0].c_str(),
             why.c_str(), lost.size());
  }
  for (uint64_t id : lost) {
    if (closed_) return;
    finish(id, Reply{Reply::Kind::kBroken, why});
  }
}

void AuthHelperPool::onProcessExit(uv_process_t* process, int64_t status, int signal) {
  auto* child = static_cast<Child*>(process->data);
  child->pool->onExit(child, status, signal);
}

void AuthHelperPool::onExit(Child* child, int64_t status, int signal) {
  child->exited = true;
  if (!closed_) {
    stats_.exited++;
    // A child that dies before answering anything, right after it started, is a start
    // failure, whether its end was seen first as EOF, a failed write or this exit.
    if (!child->answered && now() - child->started_ms < kQuickExitMs) {
      if (++quick_exits_ >= kQuickExitsAllowed) {
        uint64_t backoff = kFirstBackoffMs << std::min(quick_exits_ - kQuickExitsAllowed, 6);
        no_start_before_ = now() + std::min(backoff, kMaxBackoffMs);
      }
    }
  }
  if (child->retired) {
    uv_timer_stop(&child->kill_timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&child->process), &AuthHelperPool::onHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&child->kill_timer), &AuthHelperPool::onHandleClosed);
    return;
  }
  std::string why = signal != 0
                        ? "authentication helper killed by signal " + std::to_string(signal)
                        : "authentication helper exited with status " + std::to_string(status);
  retire(child, why);
  pump();
}

void AuthHelperPool::onKillTimer(uv_timer_t* timer) {
  auto* child = static_cast<Child*>(timer->data);
  if (!child->exited) uv_process_kill(&child->process, SIGKILL);
}

void AuthHelperPool::onHandleClosed(uv_handle_t* handle) {
  auto* child = static_cast<Child*>(handle->data);
  if (--child->open_handles == 0) child->pool->children_.erase(child->self);
}

void AuthHelperPool::close() {
  if (closed_) return;
  closed_ = true;
  lookups_.clear();
  queue_.clear();
  queued_ = 0;
  for (Child& child : children_) retire(&child, "closing");
}

}  // namespace cuttle::proxy
