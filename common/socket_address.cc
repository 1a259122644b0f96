#include "common/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/strings.h"

namespace cuttle {

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa) {
  SocketAddress a;
  if (sa == nullptr) return a;
  if (sa->sa_family == AF_INET) {
    std::memcpy(&a.storage_.in4, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6) {
    std::memcpy(&a.storage_.in6, sa, sizeof(sockaddr_in6));
  }
  return a;
}

std::optional<SocketAddress> SocketAddress::parseIp(std::string_view text, uint16_t port) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string s(text);
  SocketAddress a;
  if (inet_pton(AF_INET, s.c_str(), &a.storage_.in4.sin_addr) == 1) {
    a.storage_.in4.sin_family = AF_INET;
    a.storage_.in4.sin_port = htons(port);
    return a;
  }
  a = SocketAddress();
  if (inet_pton(AF_INET6, s.c_str(), &a.storage_.in6.sin6_addr) == 1) {
    a.storage_.in6.sin6_family = AF_INET6;
    a.storage_.in6.sin6_port = htons(port);
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::parseIpPort(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
  }
  auto p = parseDecimal(port);
  if (!p || *p > 65535) return std::nullopt;
  return parseIp(host, static_cast<uint16_t>(*p));
}

uint16_t SocketAddress::port() const {
  if (isV4()) return ntohs(storage_.in4.sin_port);
  if (isV6()) return ntohs(storage_.in6.sin6_port);
  return 0;
}

void SocketAddress::setPort(uint16_t port) {
  if (isV4()) storage_.in4.sin_port = htons(port);
  if (isV6()) storage_.in6.sin6_port = htons(port);
}

socklen_t SocketAddress::length() const {
  if (isV4()) return sizeof(sockaddr_in);
  if (isV6()) return sizeof(sockaddr_in6);
  return 0;
}

std::string SocketAddress::ipString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (isV4()) inet_ntop(AF_INET, &storage_.in4.sin_addr, buf, sizeof(buf));
  if (isV6()) inet_ntop(AF_INET6, &storage_.in6.sin6_addr, buf, sizeof(buf));
  return buf;
}

std::string SocketAddress::toString() const {
  std::string out;
  if (isV6()) {
    out.push_back('[');
    out.append(ipString());
    out.push_back(']');
  } else {
    out.append(ipString());
  }
  out.push_back(':');
  appendDecimal(out, port());
  return out;
}

bool SocketAddress::isLoopback() const {
  if (isV4()) return (ntohl(storage_.in4.sin_addr.s_addr) >> 24) == 127;
  if (isV6()) {
    if (IN6_IS_ADDR_LOOPBACK(&storage_.in6.sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&storage_.in6.sin6_addr)) return storage_.in6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  if (family() != o.family()) return false;
  if (isV4()) {
    return storage_.in4.sin_port == o.storage_.in4.sin_port &&
           storage_.in4.sin_addr.s_addr == o.storage_.in4.sin_addr.s_addr;
  }
  if (isV6()) {
    return storage_.in6.sin6_port == o.storage_.in6.sin6_port &&
           std::memcmp(&storage_.in6.sin6_addr, &o.storage_.in6.sin6_addr, 16) == 0;
  }
  return true;
}

}  // namespace cuttle
