// SocketAddress: an IPv4 or IPv6 address with a port, small enough to keep by value.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cuttle {

class SocketAddress {
 public:
  SocketAddress() { storage_.in6 = {}; storage_.in6.sin6_family = AF_UNSPEC; }
  // From a sockaddr of family AF_INET or AF_INET6; anything else gives an empty address.
  static SocketAddress fromSockaddr(const sockaddr* sa);
  // Numeric IPv4 ("1.2.3.4") or IPv6 ("::1", also "[::1]") address, no name lookup.
  static std::optional<SocketAddress> parseIp(std::string_view text, uint16_t port = 0);
  // "ip:port" or "[ipv6]:port".
  static std::optional<SocketAddress> parseIpPort(std::string_view text);

  int family() const { return storage_.sa.sa_family; }
  bool empty() const { return family() == AF_UNSPEC; }
  bool isV4() const { return family() == AF_INET; }
  bool isV6() const { return family() == AF_INET6; }
  uint16_t port() const;
  void setPort(uint16_t port);
  const sockaddr* sockaddr_ptr() const { return &storage_.sa; }
  socklen_t length() const;

  // "1.2.3.4" or "::1" (no brackets, no port).
  std::string ipString() const;
  // "1.2.3.4:80" or "[::1]:80".
  std::string toString() const;
  bool isLoopback() const;

  bool operator==(const SocketAddress& o) const;

 private:
  union {
    sockaddr sa;
    sockaddr_in in4;
    sockaddr_in6 in6;
  } storage_;
};

}  // namespace cuttle
