// Helpers shared by the end-to-end tests (tests/e2e/*_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <strings.h>

#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/cuttle_process.h"
#include "tests/support/gate.h"
#include "tests/support/http_wire.h"
#include "tests/support/origin_server.h"
#include "tests/support/raw_client.h"

namespace cuttle::test {

// The request path every "nothing reached the origin" check uses.
inline constexpr std::string_view kSentinelPath = "/__sentinel";

// An origin that only knows the sentinel path (404 for the rest).
inline OriginServer::Handler sentinelOrigin() {
  return OriginServer::canned({{std::string(kSentinelPath), okResponse("sentinel")}});
}

// Request lines ("GET /a HTTP/1.1") found in the bytes the origin received, over all its
// connections in accept order.
inline std::vector<std::string> originRequestLines(const OriginServer& origin) {
  static const std::regex kLine(R"(^[A-Z]+ \S+ HTTP/\d\.\d$)");
  std::vector<std::string> out;
  for (int i = 0; i < origin.connectionCount(); ++i) {
    std::istringstream in(origin.received(i));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (std::regex_match(line, kLine)) out.push_back(line);
    }
  }
  return out;
}

// Asserts that nothing reached `origin` (which must use sentinelOrigin()): no connection,
// no byte. To catch a forward that is still on its way, a sentinel request then goes
// through the proxy on a new client connection; afterwards the origin must have seen
// exactly one connection, carrying only the sentinel request.
inline void expectNothingReachedOrigin(CuttleProcess& proxy, OriginServer& origin) {
  EXPECT_EQ(origin.connectionCount(), 0) << "the origin was contacted";
  EXPECT_EQ(origin.receivedAll(), "") << "bytes reached the origin";
  HttpResponse r = fetch(proxy.port(), getRequest(origin.url(kSentinelPath)));
  EXPECT_EQ(r.status, 200) << "sentinel request failed: " << r.raw;
  EXPECT_EQ(r.body, "sentinel");
  EXPECT_EQ(origin.connectionCount(), 1) << "an earlier request opened an origin connection";
  const std::string expected_start = "GET " + std::string(kSentinelPath) + " HTTP/1.1\r\n";
  EXPECT_EQ(origin.received(0).substr(0, expected_start.size()), expected_start)
      << "origin connection 0 carried something else first: " << origin.received(0);
  EXPECT_EQ(originRequestLines(origin).size(), 1u)
      << "the origin received more than the sentinel: " << origin.receivedAll();
}

// Field lines of a head, without the start line (for "exactly these fields" assertions).
inline std::vector<std::string> fieldLines(std::string_view head) {
  std::vector<std::string> out;
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return out;
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    if (eol == 0 || eol == std::string_view::npos) break;
    out.emplace_back(head.substr(0, eol));
    head.remove_prefix(eol + 2);
  }
  return out;
}

// The request line of a head.
inline std::string firstLine(std::string_view head) {
  return std::string(head.substr(0, head.find("\r\n")));
}

// Lines of `all` (in order) whose field name is one of `names` (case-insensitive).
inline std::vector<std::pair<std::string, std::string>> fieldsNamed(
    const Fields& all, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : all.list) {
    for (const std::string& n : names) {
      if (f.first.size() == n.size() && ::strncasecmp(f.first.c_str(), n.c_str(), n.size()) == 0) {
        out.push_back(f);
        break;
      }
    }
  }
  return out;
}

}  // namespace cuttle::test
