#include "tools/cuttle_cache_purge.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "common/strings.h"
#include "common/uri.h"

namespace cuttle::tools {
namespace {

constexpr size_t kMaxAnswer = 64 * 1024;

bool isWildcard(const SocketAddress& a) {
  const std::string ip = a.ipString();
  return ip == "0.0.0.0" || ip == "::";
}

// Closes a socket at the end of a scope.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

Error ioError(ErrorCode code, const SocketAddress& to, std::string_view what, int err) {
  return Error(code, Side::kUpstream,
               std::string(what) + " " + to.toString() + ": " + std::strerror(err));
}

// A connected socket with send and receive timeouts (on Linux SO_SNDTIMEO bounds connect()
// too), or the errno of the failure.
int connectTo(const SocketAddress& to, int* err) {
  int fd = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(kPurgeTimeout.count());
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, to.sockaddr_ptr(), to.length()) != 0) {
    *err = errno == EINPROGRESS ? ETIMEDOUT : errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads the answer: the head, then Content-Length bytes of body, or until EOF without one
// (the request said Connection: close). Returns the errno of a failed read, 0 otherwise.
int readAnswer(int fd, std::string* out) {
  char buf[4096];
  for (;;) {
    const size_t head_end = out->find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string_view head(out->data(), head_end);
      for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
        const size_t next = head.find("\r\n", pos + 2);
        std::string_view line = head.substr(
            pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
        pos = next;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || !iequals(line.substr(0, colon), "content-length"))
          continue;
        auto length = parseDecimal(trimOws(line.substr(colon + 1)));
        if (length && out->size() >= head_end + 4 + *length) return 0;
      }
    }
    if (out->size() > kMaxAnswer) return 0;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    out->append(buf, static_cast<size_t>(n));
  }
}

// "HTTP/1.1 200 OK\r\n..." -> 200 and the body.
std::optional<PurgeReply> parseAnswer(std::string_view answer) {
  if (!answer.starts_with("HTTP/1.") || answer.size() < 12 || answer[8] != ' ') return std::nullopt;
  auto status = parseDecimal(answer.substr(9, 3));
  if (!status) return std::nullopt;
  PurgeReply reply;
  reply.status = static_cast<int>(*status);
  const size_t head_end = answer.find("\r\n\r\n");
  if (head_end != std::string_view::npos) reply.body = std::string(answer.substr(head_end + 4));
  return reply;
}

}  // namespace

std::vector<SocketAddress> proxyAddresses(const conf::Config& config) {
  std::vector<SocketAddress> out;
  auto addIp = [&](const char* ip, uint16_t port) {
    if (auto a = SocketAddress::parseIp(ip, port)) out.push_back(*a);
  };
  for (const conf::HttpPort& p : config.http_ports) {
    const uint16_t port = p.address.port();
    if (port == 0) continue;
    if (!p.any_address && !isWildcard(p.address)) {
      out.push_back(p.address);
    } else if (p.address.isV6()) {
      addIp("::1", port);
      addIp("127.0.0.1", port);  // a dual-stack wildcard socket accepts IPv4 too
    } else {
      addIp("127.0.0.1", port);
    }
  }
  return out;
}

Result<PurgeReply> sendPurge(const std::vector<SocketAddress>& proxies, const std::string& url) {
  auto uri = parseRequestTarget(url, false);
  if (!uri || uri->form != Uri::Form::kAbsolute) {
    return Error(ErrorCode::kInvalidArgument, Side::kClient,
                 "not an absolute URL (http://host/path): " + url);
  }
  if (proxies.empty()) {
    return Error(ErrorCode::kConnectFailed, Side::kUpstream, "no proxy address to connect to");
  }
  std::string request = "PURGE " + uri->absolute() + " HTTP/1.1\r\nHost: " + uri->authority() +
                        "\r\nConnection: close\r\nUser-Agent: cuttle-cache\r\n\r\n";
  Error refused(ErrorCode::kConnectFailed, Side::kUpstream, "no proxy address to connect to");
  for (const SocketAddress& to : proxies) {
    int err = 0;
    Socket socket(connectTo(to, &err));
    if (socket.fd() < 0) {
      refused = ioError(ErrorCode::kConnectFailed, to, "cannot connect to", err);
      continue;
    }
    if (!sendAll(socket.fd(), request)) return ioError(ErrorCode::kIo, to, "sending to", errno);
    std::string answer;
    if (int rc = readAnswer(socket.fd(), &answer); rc != 0) {
      const bool timeout = rc == EAGAIN || rc == EWOULDBLOCK;
      return ioError(timeout ? ErrorCode::kUpstreamTimeout : ErrorCode::kIo, to,
                     timeout ? "no answer from" : "reading from", rc);
    }
    auto reply = parseAnswer(answer);
    if (!reply) {
      return Error(ErrorCode::kBadResponse, Side::kUpstream,
                   "not an HTTP answer from " + to.toString());
    }
    reply->proxy = to;
    return std::move(*reply);
  }
  return refused;
}

}  // namespace cuttle::tools
