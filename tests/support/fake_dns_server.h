// FakeDnsServer: a small authoritative DNS server on 127.0.0.1 for loop and end-to-end
// tests. Depends only on libc and the C++ standard library.
//
// Contract:
//   - start() binds UDP and TCP on 127.0.0.1 at the same port (0: an ephemeral one, the
//     default) and answers on its own thread with blocking sockets and poll(). stop() and
//     the destructor end the thread; they may be called at any time, also twice.
//   - Every method is thread-safe: the zone may change while the server runs.
//   - Names are case-insensitive; a trailing dot is ignored.
//   - Answers are RFC 1035 wire format: QR, AA and RA set, RD and ID copied, the question
//     echoed, answers named by a compression pointer to the question (or written out for
//     names reached through a CNAME). A and AAAA are answered from the zone; a name with a
//     CNAME gets the CNAME plus the target's records of the asked type when the target is
//     in the zone. A name in the zone without records of the asked type: NOERROR, no
//     answer. A name not in the zone, or set by setNxdomain(): NXDOMAIN. UDP answers over
//     512 bytes are sent truncated (TC) with no records, so that clients retry over TCP.
//   - Every query is counted, including those dropped by setNoResponse().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cuttle::test {

class FakeDnsServer {
 public:
  static constexpr uint16_t kTypeA = 1;
  static constexpr uint16_t kTypeCname = 5;
  static constexpr uint16_t kTypeAaaa = 28;

  FakeDnsServer() = default;
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // Returns false (see error()) when a socket cannot be set up or the thread is running.
  bool start(uint16_t port = 0);
  void stop();
  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as written in dns_nameservers or ResolverOptions::nameservers.
  std::string address() const;
  const std::string& error() const { return error_; }

  // Zone contents. add*() on a name set to NXDOMAIN turns it back into a normal name.
  // Addresses that do not parse are ignored (and reported by the return value).
  bool addA(std::string_view name, std::string_view ipv4, uint32_t ttl = 300);
  bool addAAAA(std::string_view name, std::string_view ipv6, uint32_t ttl = 300);
  void addCname(std::string_view name, std::string_view target, uint32_t ttl = 300);
  void setNxdomain(std::string_view name);
  void setNodata(std::string_view name);  // the name exists, with no records
  void setServfail(std::string_view name, bool on = true);
  void setNoResponse(std::string_view name, bool on = true);  // drop its queries
  void remove(std::string_view name);                         // back to unknown (NXDOMAIN)

  // Queries received for name (any type, or one type), and in all.
  int queryCount(std::string_view name) const;
  int queryCount(std::string_view name, uint16_t qtype) const;
  int totalQueries() const;

 private:
  struct Record {
    uint16_t type;
    uint32_t ttl;
    std::string rdata;  // wire format; for CNAME the target name (text, normalised)
  };
  struct Entry {
    std::vector<Record> records;
    bool nxdomain = false;
    bool servfail = false;
    bool no_response = false;
  };
  struct Connection {
    int fd;
    std::string in;
  };

  void addRecord(std::string_view name, Record record);
  bool bindSockets(uint16_t port);
  void closeSockets();
  void run();
  void serveUdp();
  void acceptTcp();
  bool readTcp(Connection& conn);  // false: close the connection
  // The response to query, or empty when it is to be dropped. max_size: UDP limit or 65535.
  std::string respond(std::string_view query, size_t max_size);
  void appendAnswers(std::string& out, const std::string& qname, uint16_t qtype, int* count,
                     uint8_t* rcode) const;

  mutable std::mutex mu_;
  std::map<std::string, Entry> zone_;                       // guarded by mu_
  std::map<std::pair<std::string, uint16_t>, int> counts_;  // guarded by mu_
  int total_ = 0;                                           // guarded by mu_

  std::thread thread_;
  int udp_fd_ = -1;
  int tcp_fd_ = -1;
  int wake_[2] = {-1, -1};               // stop() writes to wake_[1]
  std::vector<Connection> connections_;  // server thread only
  uint16_t port_ = 0;
  std::string error_;
};

}  // namespace cuttle::test
