// Helpers for the access-rule tests: building AccessRules from config text, and requests.
#pragma once

#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "conf/access.h"
#include "conf/config.h"
#include "tests/conf/conf_test_util.h"

namespace cuttle::conf::test {

struct Built {
  std::shared_ptr<Config> config;  // keeps the rules' source alive for the test's duration
  std::shared_ptr<const AccessRules> rules;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
};

// Parses `text` (must parse) and builds the rules, whatever the outcome.
inline Built buildAny(const std::string& text, const std::string& name = "test.conf") {
  Built b;
  ParseOutcome out = parseConfigText(text, name);
  EXPECT_TRUE(out.errors.empty()) << dump(out.errors);
  b.config = out.config ? out.config : std::make_shared<Config>();
  b.rules = AccessRules::build(*b.config, &b.errors, &b.warnings);
  return b;
}

// Builds and expects success; the rules are never null when this returns normally.
inline Built build(const std::string& text) {
  Built b = buildAny(text);
  EXPECT_TRUE(b.errors.empty()) << dump(b.errors);
  EXPECT_NE(b.rules, nullptr);
  return b;
}

// Builds and expects failure with exactly one error, at `line`; returns it.
inline Diagnostic buildOneError(const std::string& text, int line) {
  Built b = buildAny(text);
  EXPECT_EQ(b.rules, nullptr);
  EXPECT_EQ(b.errors.size(), 1u) << dump(b.errors);
  if (b.errors.empty()) return {};
  EXPECT_EQ(b.errors[0].line, line) << dump(b.errors);
  return b.errors[0];
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A request with its strings owned here. Defaults: GET http://example.com/ from 10.0.0.1.
class Req {
 public:
  Req() {
    client("10.0.0.1");
    host_ = "example.com";
    r_.method = "GET";
    r_.scheme = "http";
    r_.port = 80;
    r_.now = 0;
    sync();
  }
  // Copies re-point the request's views at the copy's own strings.
  Req(const Req& o) { *this = o; }
  Req& operator=(const Req& o) {
    if (this == &o) return *this;
    r_ = o.r_;
    method_ = o.method_;
    scheme_ = o.scheme_;
    host_ = o.host_;
    url_ = o.url_;
    url_set_ = o.url_set_;
    path_ = o.path_;
    user_agent_ = o.user_agent_;
    user_ = o.user_;
    dests_ = o.dests_;
    if (o.r_.destinations != nullptr) r_.destinations = &dests_;
    return sync();
  }
  Req& client(const std::string& ip) {
    r_.client = SocketAddress::parseIp(ip, 40000).value_or(SocketAddress());
    return *this;
  }
  Req& noClient() {
    r_.client = SocketAddress();
    return *this;
  }
  Req& method(const std::string& m) {
    method_ = m;
    return sync();
  }
  Req& scheme(const std::string& s) {
    scheme_ = s;
    return sync();
  }
  Req& host(const std::string& h) {
    host_ = h;
    return sync();
  }
  Req& port(uint16_t p) {
    r_.port = p;
    return *this;
  }
  Req& localPort(uint16_t p) {
    r_.local_port = p;
    return *this;
  }
  Req& url(const std::string& u) {
    url_ = u;
    url_set_ = true;
    return sync();
  }
  Req& path(const std::string& p) {
    path_ = p;
    return sync();
  }
  Req& userAgent(const std::string& ua) {
    user_agent_ = ua;
    return sync();
  }
  Req& user(const std::string& u) {
    user_ = u;
    r_.credentials_verified = true;
    return sync();
  }
  Req& manager() {
    r_.is_manager = true;
    return *this;
  }
  Req& destinations(const std::vector<std::string>& ips) {
    dests_.clear();
    for (const std::string& ip : ips) dests_.push_back(*SocketAddress::parseIp(ip, 80));
    r_.destinations = &dests_;
    return *this;
  }
  Req& connect(const std::string& host, uint16_t port) {
    method_ = "CONNECT";
    scheme_ = "";
    host_ = host;
    r_.port = port;
    url_ = host + ":" + std::to_string(port);
    url_set_ = true;
    path_ = "";
    return sync();
  }
  Req& now(int64_t t) {
    r_.now = t;
    return *this;
  }
  const AccessRequest& get() const { return r_; }
  operator const AccessRequest&() const { return r_; }  // NOLINT: test convenience

 private:
  Req& sync() {
    if (!url_set_) url_ = "http://" + host_ + path_;
    r_.method = method_;
    r_.scheme = scheme_;
    r_.host = host_;
    r_.url = url_;
    r_.path = path_;
    r_.user_agent = user_agent_;
    r_.user = user_;
    return *this;
  }
  AccessRequest r_;
  std::string method_ = "GET";
  std::string scheme_ = "http";
  std::string host_;
  std::string url_;
  bool url_set_ = false;
  std::string path_ = "/";
  std::string user_agent_;
  std::string user_;
  std::vector<SocketAddress> dests_;
};

inline AccessResult result(const Built& b, const AccessRequest& r) {
  return b.rules ? b.rules->check(r).result : AccessResult::kDeny;
}

// Local time (TZ-independent tests): the unix time of a local date and time.
inline int64_t localTime(int year, int month, int day, int hour, int minute, int second = 0) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&tm));
}

}  // namespace cuttle::conf::test
