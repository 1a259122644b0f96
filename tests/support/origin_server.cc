#include "tests/support/origin_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

namespace cuttle::test {

// ---- OriginConnection ----------------------------------------------------------------------

OriginConnection::OriginConnection(OriginServer& server, int index, int fd)
    : server_(server), index_(index), stream_(fd) {}

void OriginConnection::record() {
  const std::string& all = stream_.received();
  if (all.size() == recorded_) return;
  std::lock_guard<std::mutex> lock(server_.mu_);
  server_.conns_[static_cast<size_t>(index_)]->received.append(all, recorded_, std::string::npos);
  recorded_ = all.size();
  server_.changed_.notify_all();
}

HttpRequest OriginConnection::readRequest() {
  HttpRequest r = readHttpRequest(stream_);
  record();
  if (!r.raw.empty()) {
    std::lock_guard<std::mutex> lock(server_.mu_);
    server_.requests_.push_back(r);
    server_.request_conns_.push_back(index_);
    server_.changed_.notify_all();
  }
  return r;
}

bool OriginConnection::readUntil(std::string_view delim, std::string* out) {
  bool ok = stream_.readUntil(delim, out, "bytes from the proxy at the origin");
  record();
  return ok;
}

bool OriginConnection::readRaw(size_t n, std::string* out) {
  bool ok = stream_.readExactly(n, out, "bytes from the proxy at the origin");
  record();
  return ok;
}

bool OriginConnection::write(std::string_view bytes) { return stream_.write(bytes); }

void OriginConnection::closeWrite() { stream_.closeWrite(); }

void OriginConnection::close() {
  std::lock_guard<std::mutex> lock(server_.mu_);
  server_.conns_[static_cast<size_t>(index_)]->stream = nullptr;
  stream_.close();
}

bool OriginConnection::waitForPeerClose() {
  bool ok = stream_.waitForEof();
  record();
  return ok;
}

// ---- OriginServer --------------------------------------------------------------------------

OriginServer::OriginServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = listenLoopback(&port_);
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return;
  }
  if (listen_fd_ >= 0) accept_thread_ = std::thread([this] { acceptLoop(); });
}

OriginServer::~OriginServer() {
  stop();
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

void OriginServer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& c : conns_) {
      if (c->stream != nullptr) c->stream->shutdownBoth();
    }
  }
  if (wake_[1] >= 0) {
    char b = 1;
    ssize_t ignored = ::write(wake_[1], &b, 1);
    (void)ignored;
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  // No new connections from here on; join the handlers.
  for (auto& c : conns_) {
    if (c->thread.joinable()) c->thread.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void OriginServer::acceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    if ((p[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    const int index = static_cast<int>(conns_.size());
    conns_.push_back(std::make_unique<Conn>());
    conns_.back()->thread = std::thread([this, index, fd] { runHandler(index, fd); });
    changed_.notify_all();
  }
}

void OriginServer::runHandler(int index, int fd) {
  OriginConnection conn(*this, index, fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      conn.stream_.shutdownBoth();
    } else {
      conns_[static_cast<size_t>(index)]->stream = &conn.stream_;
    }
  }
  handler_(conn);
  conn.record();
  std::lock_guard<std::mutex> lock(mu_);
  conns_[static_cast<size_t>(index)]->stream = nullptr;
  conns_[static_cast<size_t>(index)]->done = true;
  conn.stream_.close();
  changed_.notify_all();
}

std::string OriginServer::authority() const { return "127.0.0.1:" + std::to_string(port_); }

std::string OriginServer::url(std::string_view path) const {
  return "http://" + authority() + std::string(path);
}

int OriginServer::connectionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(conns_.size());
}

std::string OriginServer::received(int i) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (i < 0 || static_cast<size_t>(i) >= conns_.size()) return std::string();
  return conns_[static_cast<size_t>(i)]->received;
}

std::string OriginServer::receivedAll() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& c : conns_) out += c->received;
  return out;
}

std::vector<HttpRequest> OriginServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<int> OriginServer::requestConnections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_conns_;
}

bool OriginServer::waitForRequests(size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  bool ok = changed_.wait_for(lock, kSafetyTimeout, [&] { return requests_.size() >= n; });
  if (!ok) {
    ADD_FAILURE() << "safety timeout waiting for " << n << " request(s) at the origin; got "
                  << requests_.size();
  }
  return ok;
}

bool OriginServer::waitForConnections(int n) {
  std::unique_lock<std::mutex> lock(mu_);
  bool ok =
      changed_.wait_for(lock, kSafetyTimeout, [&] { return static_cast<int>(conns_.size()) >= n; });
  if (!ok) {
    ADD_FAILURE() << "safety timeout waiting for " << n << " origin connection(s); got "
                  << conns_.size();
  }
  return ok;
}

bool OriginServer::waitForHandlerDone(int i) {
  std::unique_lock<std::mutex> lock(mu_);
  bool ok = changed_.wait_for(lock, kSafetyTimeout, [&] {
    return static_cast<size_t>(i) < conns_.size() && conns_[static_cast<size_t>(i)]->done;
  });
  if (!ok) ADD_FAILURE() << "safety timeout waiting for origin connection " << i << " to end";
  return ok;
}

// ---- canned handlers -----------------------------------------------------------------------

OriginServer::Handler OriginServer::canned(std::map<std::string, std::string> by_path) {
  return [by_path = std::move(by_path)](OriginConnection& c) {
    for (;;) {
      HttpRequest req = c.readRequest();
      if (!req.ok) return;
      auto it = by_path.find(req.target);
      std::string response =
          it != by_path.end() ? it->second
                              : "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
      if (!c.write(response)) return;
      if (listHasToken(req.headers.get("Connection"), "close") ||
          response.find("Connection: close\r\n") != std::string::npos) {
        return;
      }
    }
  };
}

OriginServer::Handler OriginServer::always(std::string response) {
  return [response = std::move(response)](OriginConnection& c) {
    for (;;) {
      HttpRequest req = c.readRequest();
      if (!req.ok || !c.write(response)) return;
      if (listHasToken(req.headers.get("Connection"), "close")) return;
    }
  };
}

std::string okResponse(std::string_view body, std::string_view extra_headers) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

std::string chunkedResponse(const std::vector<std::string>& chunks,
                            std::string_view extra_headers) {
  std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n";
  out += extra_headers;
  out += "\r\n";
  for (const std::string& c : chunks) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", c.size());
    out += size;
    out += c;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

}  // namespace cuttle::test
