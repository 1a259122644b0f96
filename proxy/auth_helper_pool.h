// AuthHelperPool: a small pool of child processes speaking squid's helper protocol, as
// squid runs its `auth_param basic program` helpers. Used by proxy/auth.h; one per worker.
//
// Protocol (squid's, for basic authentication helpers):
//   - concurrency 0: one lookup at a time per child. cuttle writes one line "REQUEST\n" to
//     the child's stdin and reads one line back from its stdout.
//   - concurrency N > 0: up to N lookups at once per child, each line prefixed by a channel
//     id "ID REQUEST\n" (ID from 0 to N-1), answered "ID RESULT..." in any order.
//   - Answers: "OK [key=value ...]", "ERR [key=value ...]", "BH [key=value ...]" (broken
//     helper: the lookup failed, which says nothing of the credentials). The bare "OK" and
//     "ERR" of older helpers are the same. message="..." (quoted or not) becomes the
//     message; without it, the text after the code is. Any other answer counts as BH.
//   - A child's stderr is cuttle's stderr. The child gets EOF on stdin when cuttle is done
//     with it (squid's helpers exit then), and SIGTERM at the same time; SIGKILL when it
//     has not exited kKillAfter later.
//
// Processes:
//   - Started on demand (squid's startup=0): a lookup that finds every child busy starts a
//     new one while there are fewer than `children`; otherwise it waits in a FIFO queue of
//     at most max_queue lookups (beyond: submit() fails at once).
//   - A child that exits, closes its stdout, sends a line longer than kMaxLineLength or
//     cannot be written to is retired: its lookups in flight fail (kBroken) and the next
//     lookup that needs a child starts a new one. A child that exits within a second of
//     starting without answering anything counts as a start failure; after three in a row
//     no child is started for a while (250 ms, doubling up to 10 s): lookups that arrive
//     then, with no child running, fail at once.
//   - uv_spawn() failing (no such program...) fails the lookup at once.
//
// Contract:
//   - Thread: the loop's thread for everything. The process must ignore SIGPIPE (cuttle's
//     server does), since a child may exit while cuttle writes to it.
//   - submit() never runs a callback; callbacks run from the pool's I/O events only. A
//     callback may call submit(), cancel() and close().
//   - close() is idempotent: the queued and in-flight lookups are dropped without callbacks,
//     the children told to exit. The pool may be destroyed once the loop has run every
//     close callback (uv_run until its handles are gone; a child that ignores EOF and
//     SIGTERM keeps the loop up to kKillAfter).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"

namespace cuttle::proxy {

// squid's rfc1738_escape(): %XX (upper-case hex) for bytes below 0x20, 0x7F and above, and
// for space " # % ' < > [ \ ] ^ ` { | } ~. Helpers decode with rfc1738_unescape().
std::string helperEscape(std::string_view text);

class AuthHelperPool {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0]: the program (without '/': searched in PATH)
    int children = 5;               // at most this many processes (>= 1)
    int concurrency = 0;            // squid's concurrency=: channel ids when > 0
    size_t max_queue = 1024;        // lookups waiting for a child
  };
  struct Reply {
    enum class Kind : uint8_t { kOk, kErr, kBroken };
    Kind kind = Kind::kBroken;
    std::string message;
  };
  using Callback = std::function<void(Reply)>;
  struct Stats {
    uint64_t started = 0;  // children spawned
    uint64_t exited = 0;   // children that exited while the pool was open
    uint64_t lookups = 0;  // lookups written to a child
    uint64_t replies = 0;  // answers read (including those of cancelled lookups)
  };

  static constexpr size_t kMaxLineLength = 64 * 1024;
  static constexpr std::chrono::milliseconds kKillAfter{2000};

  AuthHelperPool(uv_loop_t* loop, Options options);
  AuthHelperPool(const AuthHelperPool&) = delete;
  AuthHelperPool& operator=(const AuthHelperPool&) = delete;
  ~AuthHelperPool();  // only after close() and the close callbacks (asserted)

  // Queues a lookup: `request` is the line without channel id and newline (it must not
  // contain '\n'). Returns its id (never 0), or an Error (Side::kInternal,
  // kServiceUnavailable) when the pool is closed, the queue is full, or no child runs and
  // none can be started. The callback runs once, unless the lookup is cancelled or the
  // pool closed first.
  Result<uint64_t> submit(std::string request, Callback callback);
  // No callback for this lookup. When a child is already working on it, its answer is
  // read and dropped (the child stays busy until then). Unknown ids are ignored.
  void cancel(uint64_t id);
  void close();

  bool closed() const { return closed_; }
  // Children whose handles are not all closed yet (running or being retired).
  size_t processes() const { return children_.size(); }
  size_t queued() const { return queued_; }
  const Stats& stats() const { return stats_; }

  // Parses one answer line (without channel id). Exposed for tests.
  static Reply parseReply(std::string_view line);

 private:
  struct Child;
  struct WriteRequest;
  struct Lookup {
    std::string request;
    Callback callback;
    bool in_child = false;
  };

  Status dispatch();  // never runs callbacks
  void pump();        // dispatch() from an I/O event; may fail the queue
  void failQueued(const std::string& why);
  Result<Child*> spawn();
  bool assign(Child* child, uint64_t id);
  enum class Lost : uint8_t { kFail, kRequeue };  // the retired child's lookups in flight
  void retire(Child* child, const std::string& why, Lost lost = Lost::kFail);
  void onLine(Child* child, std::string_view line);
  void onExit(Child* child, int64_t status, int signal);
  void finish(uint64_t id, Reply reply);
  size_t running() const;
  uint64_t now() const { return uv_now(loop_); }

  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWritten(uv_write_t* req, int status);
  static void onProcessExit(uv_process_t* process, int64_t status, int signal);
  static void onKillTimer(uv_timer_t* timer);
  static void onHandleClosed(uv_handle_t* handle);

  uv_loop_t* loop_;
  Options options_;
  bool closed_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Lookup> lookups_;
  std::deque<uint64_t> queue_;  // may hold cancelled ids, skipped by dispatch()
  size_t queued_ = 0;           // lookups in queue_ that are not cancelled
  std::list<Child> children_;   // stable addresses; erased in the last close callback
  int quick_exits_ = 0;         // children in a row that exited right after starting
  uint64_t no_start_before_ = 0;
  Stats stats_;
};

}  // namespace cuttle::proxy
