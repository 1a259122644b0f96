#include "tests/support/socket_stream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace cuttle::test {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

}  // namespace

SocketStream::SocketStream(int fd, std::chrono::milliseconds timeout)
    : fd_(fd), timeout_(timeout) {}

SocketStream::~SocketStream() { close(); }

SocketStream::SocketStream(SocketStream&& other) noexcept { *this = std::move(other); }

SocketStream& SocketStream::operator=(SocketStream&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    buffer_ = std::move(other.buffer_);
    received_ = std::move(other.received_);
    eof_ = other.eof_;
    reset_ = other.reset_;
    timed_out_ = other.timed_out_;
  }
  return *this;
}

SocketStream SocketStream::connectLoopback(uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return SocketStream();
  }
  sockaddr_in sa = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ADD_FAILURE() << "connect to 127.0.0.1:" << port << ": " << std::strerror(errno);
    ::close(fd);
    return SocketStream();
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return SocketStream(fd, timeout);
}

bool SocketStream::write(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void SocketStream::closeWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void SocketStream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SocketStream::shutdownBoth() {
  int fd = fd_;
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

bool SocketStream::waitReadable(Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // let recv() report the error
  }
}

bool SocketStream::fillUntil(Clock::time_point deadline, std::string_view what) {
  if (eof_ || fd_ < 0) return false;
  if (!waitReadable(deadline)) {
    timed_out_ = true;
    ADD_FAILURE() << "safety timeout (" << timeout_.count() << " ms) waiting for " << what
                  << "; received so far on this connection (" << received_.size()
                  << " bytes): " << ::testing::PrintToString(received_);
    return false;
  }
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      received_.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    eof_ = true;
    if (n < 0 && errno == ECONNRESET) reset_ = true;
    return false;
  }
}

bool SocketStream::fill(std::string_view what) { return fillUntil(Clock::now() + timeout_, what); }

bool SocketStream::readUntil(std::string_view delim, std::string* out, std::string_view what) {
  auto deadline = Clock::now() + timeout_;
  size_t from = 0;
  for (;;) {
    size_t pos = buffer_.find(delim, from);
    if (pos != std::string::npos) {
      out->append(buffer_, 0, pos + delim.size());
      buffer_.erase(0, pos + delim.size());
      return true;
    }
    from = buffer_.size() >= delim.size() ? buffer_.size() - delim.size() + 1 : 0;
    if (!fillUntil(deadline, what)) return false;
  }
}

bool SocketStream::readExactly(size_t n, std::string* out, std::string_view what) {
  auto deadline = Clock::now() + timeout_;
  while (buffer_.size() < n) {
    if (!fillUntil(deadline, what)) {
      out->append(buffer_);
      buffer_.clear();
      return false;
    }
  }
  out->append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

bool SocketStream::readToEof(std::string* out, std::string_view what) {
  auto deadline = Clock::now() + timeout_;
  while (!eof_) {
    if (!fillUntil(deadline, what) && !eof_) break;
  }
  out->append(buffer_);
  buffer_.clear();
  return eof_;
}

bool SocketStream::waitForEof(std::string* extra) {
  std::string got;
  bool ok = readToEof(&got, "the peer to close the connection");
  if (extra != nullptr) extra->append(got);
  return ok;
}

bool SocketStream::dataWithin(std::chrono::milliseconds wait) {
  if (!buffer_.empty()) return true;
  if (eof_ || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (r <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n > 0) {
    buffer_.append(buf, static_cast<size_t>(n));
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }
  eof_ = true;
  if (n < 0 && errno == ECONNRESET) reset_ = true;
  return false;
}

std::string SocketStream::takeBuffered() {
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

int listenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return -1;
  }
  sockaddr_in sa = loopback(0);
  socklen_t len = sizeof(sa);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ADD_FAILURE() << "listen on 127.0.0.1:0: " << std::strerror(errno);
    ::close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

uint16_t closedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa = loopback(0);
  socklen_t len = sizeof(sa);
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    port = ntohs(sa.sin_port);
  } else {
    ADD_FAILURE() << "bind 127.0.0.1:0: " << std::strerror(errno);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

}  // namespace cuttle::test
