// Internal to conf/: the ACL types behind conf/access.h. One Acl object per ACL name; every
// `acl NAME TYPE ...` line of that name adds values to it. An Acl is built single-threaded
// (parse) and then only matched (match() is const and allocation-free for the types that
// do not use regular expressions), so that all workers share it.
#pragma once

#include <bitset>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "conf/access.h"
#include "conf/config.h"

namespace cuttle::conf::acl {

// The outcome of one ACL against one request.
enum class Match : uint8_t {
  kNo,
  kYes,
  kNeedDestination,  // dst: the destination's addresses are not known yet
  kNeedAuth,         // proxy_auth: the user is not verified yet
};

// An IPv6 address as a 128-bit number; IPv4 addresses are IPv4-mapped (::ffff:a.b.c.d),
// as squid stores them, so that "10.0.0.0/8" also matches a client seen through a
// dual-stack socket.
using Ip128 = unsigned __int128;

// The IPv4-mapped or IPv6 value of an address; false for an empty address.
bool toIp128(const SocketAddress& address, Ip128* out);
// Numeric IPv4 or IPv6 text (no brackets); false otherwise.
bool parseIp128(std::string_view text, Ip128* out);

// The hash of a domain name for dstdomain tables: FNV-1a over the lower-cased bytes, last
// byte first, so that one right-to-left pass gives the hash of every parent domain.
inline constexpr uint64_t kDomainHashSeed = 14695981039346656037ull;
inline uint64_t domainHashStep(uint64_t h, char c) {
  return (h ^ static_cast<unsigned char>(asciiLower(c))) * 1099511628211ull;
}

// A name dstdomain looks up for a host: the host itself (offset 0) or one of its parent
// domains (host().substr(offset)), with its domainHash.
struct DomainKey {
  uint32_t offset;
  uint64_t hash;
};

class DomainIndex;  // makeDomainIndex() below

// Per-check scratch: values computed at most once per check(), on the stack.
class Context {
 public:
  explicit Context(const AccessRequest& request, const DomainIndex* domains = nullptr)
      : request_(request), domains_(domains) {}
  // Every dstdomain ACL of the rule set, for settling them all at once (acl_domain.cc).
  const DomainIndex* domainIndex() const { return domains_; }
  const AccessRequest& request() const { return request_; }
  // request.host without brackets and without one trailing dot.
  std::string_view host();
  // The host as an address when it is an IP literal.
  bool hostIp(Ip128* out);
  // request.client as a number; false when the request has no client address.
  bool clientIp(Ip128* out) {
    if (client_state_ == 0) client_state_ = toIp128(request_.client, &client_ip_) ? 1 : 2;
    *out = client_ip_;
    return client_state_ == 1;
  }
  // The names dstdomain looks up for host(), hashed once per check however many dstdomain
  // ACLs there are: the whole host, then (for a name, not an IP literal) each parent
  // domain. False when the host has more than kMaxDomainKeys labels (the caller hashes).
  static constexpr size_t kMaxDomainKeys = 32;
  bool domainKeys(const DomainKey** keys, size_t* count);
  // Local time of request.now: day of week (0 = Sunday) and minute of the day.
  void localTime(int* weekday, int* minute);

  // The results of ACLs already evaluated during this check, by Acl::id() (the first
  // kMemoSlots ACLs): an ACL used on many lines is evaluated once per check. ACL results
  // depend only on the request, so this changes nothing but the cost.
  static constexpr size_t kMemoSlots = 256;
  bool recalled(uint32_t id, Match* out) const {
    if (id >= kMemoSlots || !known_[id]) return false;
    *out = value_[id] ? Match::kYes : Match::kNo;
    return true;
  }
  void remember(uint32_t id, Match m) {
    if (id >= kMemoSlots || (m != Match::kYes && m != Match::kNo)) return;
    known_[id] = true;
    value_[id] = m == Match::kYes;
  }
  // remember() for every ACL in `ids`: kYes for those in `yes`, kNo for the others.
  void rememberAll(const std::bitset<kMemoSlots>& ids, const std::bitset<kMemoSlots>& yes) {
    known_ |= ids;
    value_ = (value_ & ~ids) | (yes & ids);
    domains_state_ = yes.none() ? kNoDomainMatched : kSomeDomainMatched;
  }
  // True when the host matches none of the DomainIndex's ACLs (settling them first). False
  // when one matches, or when there is no index or the host cannot be settled.
  bool noDomainMatches();

 private:
  const AccessRequest& request_;
  const DomainIndex* domains_;
  enum : uint8_t { kDomainsUnknown, kNoDomainMatched, kSomeDomainMatched, kDomainsUnsettled };
  uint8_t domains_state_ = kDomainsUnknown;
  uint8_t client_state_ = 0;  // 0: not computed, 1: client_ip_ valid, 2: no address
  Ip128 client_ip_ = 0;
  bool host_done_ = false;
  bool host_is_ip_ = false;
  bool time_done_ = false;
  int weekday_ = 0;
  int minute_ = 0;
  std::string_view host_;
  Ip128 host_ip_ = 0;
  uint8_t keys_state_ = 0;  // 0: not computed, 1: keys_ valid, 2: too many labels
  uint8_t key_count_ = 0;
  DomainKey keys_[kMaxDomainKeys];
  std::bitset<kMemoSlots> known_;
  std::bitset<kMemoSlots> value_;
};

// Where diagnostics go; `directive` is "acl", "http_access", ...
class Diagnostics {
 public:
  Diagnostics(std::vector<Diagnostic>* errors, std::vector<Diagnostic>* warnings)
      : errors_(errors), warnings_(warnings) {}
  void error(const std::string& file, int line, const std::string& directive, std::string message);
  void warning(const std::string& file, int line, const std::string& directive,
               std::string message);
  size_t errorCount() const { return errors_->size(); }

 private:
  std::vector<Diagnostic>* errors_;
  std::vector<Diagnostic>* warnings_;
};

// One value of an acl line, with where it was written: the acl line itself, or a line of
// a `"/path/file"` of values.
struct Token {
  std::string text;
  const std::string* file = nullptr;  // owned by the TokenList: valid during parseLine() only
  int line = 0;
};

// The values of one acl line (args after NAME TYPE), files expanded: a quoted argument
// names a file with one value per line, the whole line without its leading and trailing
// whitespace (squid 5: "a b" is one value); blank lines and lines starting with `#` are
// skipped. Relative paths start at the directory of the config file that has the acl line.
class TokenList {
 public:
  // False (after reporting the error at the acl line) when a file cannot be read.
  bool load(const RawDirective& directive, size_t first_arg, Diagnostics& diag);
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  bool readFile(const RawDirective& directive, const std::string& path, Diagnostics& diag);
  std::deque<std::string> files_;
  std::vector<Token> tokens_;
};

// Reports problems with one value of an acl line, at the value's own location.
class ValueDiagnostics {
 public:
  ValueDiagnostics(Diagnostics& diag, std::string acl_name)
      : diag_(diag), name_(std::move(acl_name)) {}
  void error(const Token& token, const std::string& message);
  void warning(const Token& token, const std::string& message);
  const std::string& aclName() const { return name_; }

 private:
  Diagnostics& diag_;
  std::string name_;
};

class Acl {
 public:
  Acl(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}
  virtual ~Acl() = default;
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  // Adds the values of one acl line (options first, as squid: -i, +i, -n, --, each only
  // for the types that take it). Errors and warnings go to `diag`.
  void parseLine(const std::vector<Token>& tokens, ValueDiagnostics& diag);
  virtual Match match(Context& context) const = 0;
  // True when no value was added (the ACL never matches; squid warns).
  virtual bool empty() const = 0;
  // proxy_auth and proxy_auth_regex: a deny line ending with one asks for credentials.
  virtual bool isProxyAuth() const { return false; }
  // False for squid types cuttle does not implement: a rule using one is an error.
  virtual bool supported() const { return true; }
  // Called once after every line has been parsed (overlap warnings...).
  virtual void finish(ValueDiagnostics& /*diag*/) {}
  // A warning to give where the ACL is defined (types cuttle accepts but cannot honour).
  virtual std::string note() const { return {}; }

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  // Index of this ACL in its rule set (set once, when it is added), for Context's memo.
  uint32_t id() const { return id_; }
  void setId(uint32_t id) { id_ = id; }
  // The first acl line defining this ACL ("" and 0 for predefined ACLs).
  std::string file;
  int line = 0;

 protected:
  // Which options the type accepts.
  enum OptionBits : unsigned { kOptNone = 0, kOptCase = 1, kOptNoLookup = 2, kOptAny = 4 };
  virtual unsigned options() const { return kOptNone; }
  // -n was given on some line (dst: never resolve).
  bool no_lookup_ = false;
  // One value; `icase` is the current -i/+i state (kOptCase types only).
  virtual void addValue(const Token& token, bool icase, ValueDiagnostics& diag) = 0;
  // The end of one acl line's values.
  virtual void lineDone() {}

 private:
  std::string name_;
  std::string type_;
  uint32_t id_ = UINT32_MAX;
};

// Creates an empty ACL of a squid type (the name as written in squid.conf), or null for a
// word that is not a squid ACL type. Types squid has but cuttle does not implement give an
// Acl whose supported() is false.
std::unique_ptr<Acl> makeAcl(const std::string& name, const std::string& type);
// The predefined `manager` ACL: requests for cuttle's own endpoints.
std::unique_ptr<Acl> makeManagerAcl();

// Factories used by makeAcl (one per implementation file).
std::unique_ptr<Acl> makeAddressAcl(const std::string& name, const std::string& type);
// Every dstdomain ACL of a rule set (those with an id below Context::kMemoSlots) in one
// table of names: the first dstdomain ACL a check evaluates looks the host up there once
// and settles every dstdomain ACL in the check's memo, so that 50 rules of dstdomain ACLs
// cost one lookup per label of the host. Null when the rule set has none.
std::shared_ptr<const DomainIndex> makeDomainIndex(const std::vector<std::unique_ptr<Acl>>& acls);
// True when the ACL with this id is one of the index's dstdomain ACLs.
bool domainIndexCovers(const DomainIndex& index, uint32_t id);
std::unique_ptr<Acl> makeDomainAcl(const std::string& name, const std::string& type);
std::unique_ptr<Acl> makeRegexAcl(const std::string& name, const std::string& type);

// ASCII case-insensitive hashing and equality over strings, usable with string_view keys
// in unordered containers without allocating.
struct CaseInsensitiveHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const;
};
struct CaseInsensitiveEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
// The same, case-sensitive.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

}  // namespace cuttle::conf::acl
