#include "tests/support/fake_dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cuttle::test {

namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kUdpMax = 512;  // RFC 1035 4.2.1, no EDNS
constexpr size_t kMaxConnections = 32;
constexpr uint8_t kRcodeFormErr = 1;
constexpr uint8_t kRcodeServFail = 2;
constexpr uint8_t kRcodeNxDomain = 3;
constexpr uint8_t kRcodeNotImp = 4;
constexpr uint8_t kRcodeRefused = 5;
constexpr uint16_t kClassIn = 1;

std::string normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

uint16_t get16(std::string_view in, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(in[at]) << 8) |
                               static_cast<uint8_t>(in[at + 1]));
}

// A dotted name as uncompressed wire labels.
std::string wireName(const std::string& name) {
  std::string out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    size_t len = std::min<size_t>(dot - start, 63);
    out.push_back(static_cast<char>(len));
    out.append(name, start, len);
    start = dot + 1;
  }
  out.push_back('\0');
  return out;
}

// Parses the question name at `at` (no compression in questions); sets *end past it.
bool parseName(std::string_view msg, size_t at, std::string* name, size_t* end) {
  name->clear();
  while (at < msg.size()) {
    auto len = static_cast<uint8_t>(msg[at++]);
    if (len == 0) {
      *end = at;
      return name->size() <= 253;
    }
    if (len > 63 || at + len > msg.size()) return false;
    if (!name->empty()) name->push_back('.');
    name->append(msg.substr(at, len));
    at += len;
  }
  return false;
}

void setNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

}  // namespace

FakeDnsServer::~FakeDnsServer() { stop(); }

std::string FakeDnsServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

bool FakeDnsServer::start(uint16_t port) {
  if (thread_.joinable()) {
    error_ = "already running";
    return false;
  }
  // The ephemeral UDP port may be taken for TCP: try a few.
  bool bound = false;
  for (int attempt = 0; attempt < 20 && !bound; ++attempt) {
    bound = bindSockets(port);
    if (!bound) closeSockets();
    if (port != 0) break;
  }
  if (!bound) return false;
  if (pipe(wake_) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    closeSockets();
    return false;
  }
  thread_ = std::thread([this] { run(); });
  return true;
}

bool FakeDnsServer::bindSockets(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  udp_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  tcp_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (udp_fd_ < 0 || tcp_fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(udp_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error_ = std::string("bind udp: ") + std::strerror(errno);
    return false;
  }
  socklen_t len = sizeof(addr);
  getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  if (bind(tcp_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(tcp_fd_, 16) != 0) {
    error_ = std::string("bind/listen tcp: ") + std::strerror(errno);
    return false;
  }
  setNonBlocking(tcp_fd_);
  port_ = ntohs(addr.sin_port);
  return true;
}

void FakeDnsServer::closeSockets() {
  for (int* fd : {&udp_fd_, &tcp_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  for (Connection& conn : connections_) ::close(conn.fd);
  connections_.clear();
}

void FakeDnsServer::stop() {
  if (thread_.joinable()) {
    char byte = 0;
    ssize_t n;
    do {
      n = write(wake_[1], &byte, 1);
    } while (n < 0 && errno == EINTR);
    thread_.join();
  }
  closeSockets();
}

void FakeDnsServer::run() {
  for (;;) {
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {udp_fd_, POLLIN, 0}, {tcp_fd_, POLLIN, 0}};
    for (const Connection& conn : connections_) fds.push_back({conn.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents != 0) serveUdp();
    // Connections first: acceptTcp() may append to connections_.
    for (size_t i = fds.size(); i > 3; --i) {
      if (fds[i - 1].revents != 0 && !readTcp(connections_[i - 4])) {
        ::close(connections_[i - 4].fd);
        connections_.erase(connections_.begin() + static_cast<long>(i - 4));
      }
    }
    if (fds[2].revents != 0) acceptTcp();
  }
}

void FakeDnsServer::serveUdp() {
  char buf[4096];
  sockaddr_storage from{};
  socklen_t from_len = sizeof(from);
  ssize_t n = recvfrom(udp_fd_, buf, sizeof(buf), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
                       &from_len);
  if (n <= 0) return;
  std::string reply = respond(std::string_view(buf, static_cast<size_t>(n)), kUdpMax);
  if (reply.empty()) return;
  sendto(udp_fd_, reply.data(), reply.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
         from_len);
}

void FakeDnsServer::acceptTcp() {
  int fd = accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  if (connections_.size() >= kMaxConnections) {
    ::close(fd);
    return;
  }
  connections_.push_back(Connection{fd, {}});
}

bool FakeDnsServer::readTcp(Connection& conn) {
  char buf[4096];
  ssize_t n = recv(conn.fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) return false;
  conn.in.append(buf, static_cast<size_t>(n));
  while (conn.in.size() >= 2) {
    size_t len = get16(conn.in, 0);
    if (conn.in.size() < 2 + len) break;
    std::string reply = respond(std::string_view(conn.in).substr(2, len), 65535);
    conn.in.erase(0, 2 + len);
    if (reply.empty()) continue;
    std::string framed;
    put16(framed, static_cast<uint16_t>(reply.size()));
    framed += reply;
    // Small answers to a local client: a blocking send is fine.
    if (send(conn.fd, framed.data(), framed.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(framed.size())) {
      return false;
    }
  }
  return true;
}

std::string FakeDnsServer::respond(std::string_view query, size_t max_size) {
  if (query.size() < kHeaderSize) return {};
  uint16_t flags = get16(query, 2);
  if ((flags & 0x8000) != 0) return {};  // a response, not a query
  std::string qname;
  size_t qend = 0;
  bool parsed = get16(query, 4) == 1 && parseName(query, kHeaderSize, &qname, &qend) &&
                qend + 4 <= query.size();
  uint16_t qtype = parsed ? get16(query, qend) : 0;
  uint16_t qclass = parsed ? get16(query, qend + 2) : 0;
  qname = normalize(qname);

  uint8_t rcode = 0;
  int ancount = 0;
  std::string answers;
  if (!parsed) {
    rcode = kRcodeFormErr;
  } else if (((flags >> 11) & 0xf) != 0) {
    rcode = kRcodeNotImp;
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    counts_[{qname, qtype}]++;
    total_++;
    auto it = zone_.find(qname);
    if (it != zone_.end() && it->second.no_response) return {};
    if (qclass != kClassIn) {
      rcode = kRcodeRefused;
    } else if (it != zone_.end() && it->second.servfail) {
      rcode = kRcodeServFail;
    } else {
      appendAnswers(answers, qname, qtype, &ancount, &rcode);
    }
  }
  std::string out;
  put16(out, get16(query, 0));  // ID
  uint16_t rflags =
      static_cast<uint16_t>(0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080 | rcode);
  size_t question_len = parsed ? qend + 4 - kHeaderSize : 0;
  bool truncated = kHeaderSize + question_len + answers.size() > max_size;
  if (truncated) rflags |= 0x0200;
  put16(out, rflags);
  put16(out, parsed ? 1 : 0);
  put16(out, truncated ? 0 : static_cast<uint16_t>(ancount));
  put16(out, 0);
  put16(out, 0);
  out.append(query.substr(kHeaderSize, question_len));
  if (!truncated) out += answers;
  return out;
}

// Requires mu_. Follows CNAMEs inside the zone (at most 8).
void FakeDnsServer::appendAnswers(std::string& out, const std::string& qname, uint16_t qtype,
                                  int* count, uint8_t* rcode) const {
  std::string name = qname;
  for (int hop = 0; hop < 8; ++hop) {
    auto it = zone_.find(name);
    if (it == zone_.end() || it->second.nxdomain) {
      if (hop == 0) *rcode = kRcodeNxDomain;
      return;
    }
    const Record* cname = nullptr;
    for (const Record& r : it->second.records) {
      if (r.type == kTypeCname && qtype != kTypeCname) cname = &r;
      if (r.type != qtype) continue;
      out += hop == 0 ? std::string("\xc0\x0c", 2) : wireName(name);
      put16(out, r.type);
      put16(out, kClassIn);
      put32(out, r.ttl);
      std::string rdata = r.type == kTypeCname ? wireName(r.rdata) : r.rdata;
      put16(out, static_cast<uint16_t>(rdata.size()));
      out += rdata;
      ++*count;
    }
    if (cname == nullptr) return;
    out += hop == 0 ? std::string("\xc0\x0c", 2) : wireName(name);
    put16(out, kTypeCname);
    put16(out, kClassIn);
    put32(out, cname->ttl);
    std::string target = wireName(cname->rdata);
    put16(out, static_cast<uint16_t>(target.size()));
    out += target;
    ++*count;
    name = cname->rdata;
  }
}

void FakeDnsServer::addRecord(std::string_view name, Record record) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = zone_[normalize(name)];
  entry.nxdomain = false;
  entry.records.push_back(std::move(record));
}

bool FakeDnsServer::addA(std::string_view name, std::string_view ipv4, uint32_t ttl) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(ipv4).c_str(), &addr) != 1) return false;
  addRecord(name, Record{kTypeA, ttl, std::string(reinterpret_cast<const char*>(&addr), 4)});
  return true;
}

bool FakeDnsServer::addAAAA(std::string_view name, std::string_view ipv6, uint32_t ttl) {
  in6_addr addr{};
  if (inet_pton(AF_INET6, std::string(ipv6).c_str(), &addr) != 1) return false;
  addRecord(name, Record{kTypeAaaa, ttl, std::string(reinterpret_cast<const char*>(&addr), 16)});
  return true;
}

void FakeDnsServer::addCname(std::string_view name, std::string_view target, uint32_t ttl) {
  addRecord(name, Record{kTypeCname, ttl, normalize(target)});
}

void FakeDnsServer::setNxdomain(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = zone_[normalize(name)];
  entry.records.clear();
  entry.nxdomain = true;
}

void FakeDnsServer::setNodata(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = zone_[normalize(name)];
  entry.records.clear();
  entry.nxdomain = false;
}

void FakeDnsServer::setServfail(std::string_view name, bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  zone_[normalize(name)].servfail = on;
}

void FakeDnsServer::setNoResponse(std::string_view name, bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  zone_[normalize(name)].no_response = on;
}

void FakeDnsServer::remove(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  zone_.erase(normalize(name));
}

int FakeDnsServer::queryCount(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = normalize(name);
  int sum = 0;
  for (auto it = counts_.lower_bound({key, 0}); it != counts_.end() && it->first.first == key;
       ++it) {
    sum += it->second;
  }
  return sum;
}

int FakeDnsServer::queryCount(std::string_view name, uint16_t qtype) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find({normalize(name), qtype});
  return it == counts_.end() ? 0 : it->second;
}

int FakeDnsServer::totalQueries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace cuttle::test
