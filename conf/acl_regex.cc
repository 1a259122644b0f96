// The regular-expression ACL types: dstdom_regex (host), url_regex (absolute URL, "host:port"
// for CONNECT), urlpath_regex (path and query), browser (User-Agent), proxy_auth_regex
// (verified user name).
//
// POSIX extended regular expressions, as squid: regcomp(REG_EXTENDED | REG_NOSUB), plus
// REG_ICASE for the values after -i (until +i). A value that does not compile is an
// error (squid skips it with an error message; cuttle refuses the configuration).
//
// Subjects are string_views, not NUL-terminated: regexec is given REG_STARTEND. glibc's
// regexec is thread-safe (it locks the compiled expression) but allocates internally, so
// unlike the other types these allocate during check().
#include <regex.h>

#include <string>

#include "conf/acl.h"

namespace cuttle::conf::acl {
namespace {

class Regex {
 public:
  Regex() = default;
  ~Regex() {
    if (compiled_) regfree(&re_);
  }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Empty on success, regerror's text otherwise.
  std::string compile(const std::string& pattern, bool icase) {
    int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
    int rc = regcomp(&re_, pattern.c_str(), flags);
    if (rc != 0) {
      char buf[256];
      regerror(rc, &re_, buf, sizeof(buf));
      return buf;
    }
    compiled_ = true;
    return {};
  }

  bool matches(std::string_view subject) const {
    // regexec wants a C string: REG_STARTEND is a glibc extension that sanitizers do not
    // model (they read up to the NUL). A reused per-thread copy allocates only to grow;
    // subjects never hold a NUL (the request parser refuses it).
    thread_local std::string copy;
    copy.assign(subject.data() != nullptr ? subject.data() : "", subject.size());
    return regexec(&re_, copy.c_str(), 0, nullptr, 0) == 0;
  }

 private:
  regex_t re_{};
  bool compiled_ = false;
};

enum class Subject : uint8_t { kHost, kUrl, kPath, kUserAgent, kUser };

class RegexAcl final : public Acl {
 public:
  RegexAcl(const std::string& name, const std::string& type, Subject subject)
      : Acl(name, type), subject_(subject) {}

  Match match(Context& context) const override {
    const AccessRequest& r = context.request();
    std::string_view s;
    switch (subject_) {
      case Subject::kHost:
        s = context.host();
        break;
      case Subject::kUrl:
        s = r.url;
        break;
      case Subject::kPath:
        s = r.path;
        break;
      case Subject::kUserAgent:
        if (r.user_agent.empty()) return Match::kNo;  // no User-Agent: no match (squid)
        s = r.user_agent;
        break;
      case Subject::kUser:
        if (!r.credentials_verified) return Match::kNeedAuth;
        s = r.user;
        break;
    }
    for (const auto& re : regexes_) {
      if (re->matches(s)) return Match::kYes;
    }
    return Match::kNo;
  }

  bool empty() const override { return regexes_.empty(); }
  bool isProxyAuth() const override { return subject_ == Subject::kUser; }

 protected:
  unsigned options() const override {
    return subject_ == Subject::kHost ? (kOptCase | kOptNoLookup) : kOptCase;
  }

  void addValue(const Token& token, bool icase, ValueDiagnostics& diag) override {
    auto re = std::make_unique<Regex>();
    std::string error = re->compile(token.text, icase);
    if (!error.empty()) {
      diag.error(token, "invalid regular expression '" + token.text + "': " + error);
      return;
    }
    regexes_.push_back(std::move(re));
  }

 private:
  Subject subject_;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace

std::unique_ptr<Acl> makeRegexAcl(const std::string& name, const std::string& type) {
  Subject subject = Subject::kUrl;
  if (type == "dstdom_regex") {
    subject = Subject::kHost;
  } else if (type == "urlpath_regex") {
    subject = Subject::kPath;
  } else if (type == "browser") {
    subject = Subject::kUserAgent;
  } else if (type == "proxy_auth_regex") {
    subject = Subject::kUser;
  }
  return std::make_unique<RegexAcl>(name, type, subject);
}

}  // namespace cuttle::conf::acl
