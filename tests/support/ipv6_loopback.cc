#include "tests/support/ipv6_loopback.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cuttle::test {
namespace {

sockaddr_in6 ipv6Loopback(uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_addr = in6addr_loopback;
  return sa;
}

}  // namespace

bool ipv6LoopbackAvailable() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 sa = ipv6Loopback(0);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return ok;
}

SocketStream connectIpv6Loopback(uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket(AF_INET6): " << std::strerror(errno);
    return SocketStream();
  }
  sockaddr_in6 sa = ipv6Loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ADD_FAILURE() << "connect to [::1]:" << port << ": " << std::strerror(errno);
    ::close(fd);
    return SocketStream();
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return SocketStream(fd, timeout);
}

}  // namespace cuttle::test
