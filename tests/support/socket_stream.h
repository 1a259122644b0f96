// SocketStream: a blocking TCP connection for tests, with every wait bounded.
//
// Contract:
//   - Owns its file descriptor (closed by close() or the destructor). Sockets are created
//     with SOCK_CLOEXEC so that a cuttle child process never inherits them, and writes use
//     MSG_NOSIGNAL so that a peer that went away never raises SIGPIPE.
//   - Reads go through an internal buffer: readUntil()/readExactly() take bytes from it and
//     fill it from the socket as needed. Every wait uses poll() with the stream's safety
//     timeout (kSafetyTimeout unless set). The timeout exists only so that a broken proxy
//     fails a test instead of hanging it: when it expires the stream records timedOut(),
//     reports a gtest failure (ADD_FAILURE, naming `what` the caller was waiting for) and the
//     read returns false. It is never an assertion about speed.
//   - EOF and errors (ECONNRESET included) end reading: eof() becomes true (reset() tells a
//     reset apart). Bytes already buffered stay readable.
//   - received() is every byte ever read from the socket, in order, including bytes still
//     buffered (the raw wire for assertions).
//   - Not thread-safe: one thread uses a stream at a time. shutdownBoth() may be called from
//     another thread to unblock a reader (it only calls shutdown(2) on the descriptor).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cuttle::test {

// Generous bound on any single wait in the e2e tests (never a performance assertion).
inline constexpr std::chrono::milliseconds kSafetyTimeout{10000};

class SocketStream {
 public:
  SocketStream() = default;
  explicit SocketStream(int fd, std::chrono::milliseconds timeout = kSafetyTimeout);
  ~SocketStream();
  SocketStream(SocketStream&& other) noexcept;
  SocketStream& operator=(SocketStream&& other) noexcept;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  // Connects to 127.0.0.1:port. On failure returns a stream with valid() false and reports
  // a gtest failure.
  static SocketStream connectLoopback(uint16_t port,
                                      std::chrono::milliseconds timeout = kSafetyTimeout);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void setTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Writes all of bytes. False (without a gtest failure) if the peer is gone.
  bool write(std::string_view bytes);
  // Half-close: sends FIN, keeps reading.
  void closeWrite();
  void close();
  // Thread-safe: shutdown(SHUT_RDWR) so that a blocked reader wakes up with EOF.
  void shutdownBoth();

  // Reads once from the socket (waiting up to the timeout) and appends to the buffer.
  // False at EOF, error or timeout. `what` names the awaited thing in a timeout failure.
  bool fill(std::string_view what);
  // Takes everything up to and including delim. False (buffer untouched) if EOF or the
  // timeout comes first.
  bool readUntil(std::string_view delim, std::string* out, std::string_view what);
  // Takes exactly n bytes. On EOF takes what there is into *out and returns false.
  bool readExactly(size_t n, std::string* out, std::string_view what);
  // Takes everything until EOF. False on timeout (what arrived is still in *out).
  bool readToEof(std::string* out, std::string_view what);
  // Waits until the peer closes, without expecting data. Whatever arrives meanwhile is
  // appended to *extra (if given). True when EOF was seen; false on timeout.
  bool waitForEof(std::string* extra = nullptr);
  // True if bytes arrive within `wait` (no failure on timeout). Used only for negative
  // checks that cannot be expressed otherwise.
  bool dataWithin(std::chrono::milliseconds wait);

  // Bytes read from the socket and not yet taken.
  const std::string& buffered() const { return buffer_; }
  std::string takeBuffered();
  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }
  bool reset() const { return reset_; }
  bool timedOut() const { return timed_out_; }

 private:
  // Waits for readability (or EOF); false on timeout.
  bool waitReadable(std::chrono::steady_clock::time_point deadline);
  bool fillUntil(std::chrono::steady_clock::time_point deadline, std::string_view what);

  int fd_ = -1;
  std::chrono::milliseconds timeout_ = kSafetyTimeout;
  std::string buffer_;
  std::string received_;
  bool eof_ = false;
  bool reset_ = false;
  bool timed_out_ = false;
};

// A listening socket on 127.0.0.1 with a kernel-chosen port. Returns -1 (and reports a
// gtest failure) on error. *port receives the port.
int listenLoopback(uint16_t* port);

// A port on 127.0.0.1 where nothing listens (bound, then closed; the kernel does not hand
// an ephemeral port out again at once). For "connection refused" tests.
uint16_t closedLoopbackPort();

}  // namespace cuttle::test
