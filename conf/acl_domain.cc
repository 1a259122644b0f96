// dstdomain: "example.com" matches that host only; ".example.com" matches example.com and
// every name under it. Case-insensitive; one trailing dot is ignored on both sides; IPv6
// values may be written with or without brackets.
//
// One hash table of names (lower case, leading dot removed) with flags: exact entry,
// suffix entry, or both. A host is looked up once per parent domain and once as a whole,
// so the cost depends on the number of labels of the host, not on the number of entries.
// All the dstdomain ACLs of a rule set are also in one DomainIndex: the first one a check
// evaluates looks the host up there once (with the hashes the check's Context computed,
// domainKeys()) and settles them all, so 50 rules of dstdomain ACLs cost about one.
//
// A host that is an IP literal is compared as text, exactly (squid compares the text too,
// then tries a reverse DNS lookup; cuttle never does one, as with -n).
#include <bitset>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/strings.h"
#include "conf/acl.h"

namespace cuttle::conf::acl {
namespace {

uint64_t reverseHash(std::string_view s) {
  uint64_t h = kDomainHashSeed;
  for (size_t i = s.size(); i-- > 0;) h = domainHashStep(h, s[i]);
  return h;
}

// A name whose hash is already known.
struct Prehashed {
  std::string_view text;
  size_t hash;
};

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return static_cast<size_t>(reverseHash(s)); }
  size_t operator()(const Prehashed& p) const { return p.hash; }
};

struct NameEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return iequals(a, b); }
  bool operator()(const Prehashed& a, std::string_view b) const { return iequals(a.text, b); }
  bool operator()(std::string_view a, const Prehashed& b) const { return iequals(a, b.text); }
};

constexpr uint8_t kExact = 1;   // "example.com"
constexpr uint8_t kSuffix = 2;  // ".example.com"

using NameTable = std::unordered_map<std::string, uint8_t, NameHash, NameEqual>;

// Looks `name` and each of its parent domains up; true when the name itself has an entry
// with a flag in `self_flags`, or a parent domain has a suffix entry. Sets *covering to
// the matching table key when not null.
bool lookup(const NameTable& table, std::string_view name, uint8_t self_flags, bool parents,
            const std::string** covering) {
  uint64_t h = kDomainHashSeed;
  for (size_t i = name.size(); i-- > 0;) {
    h = domainHashStep(h, name[i]);
    bool whole = i == 0;
    if (!whole && (!parents || name[i - 1] != '.')) continue;
    auto it = table.find(Prehashed{name.substr(i), static_cast<size_t>(h)});
    if (it != table.end() && (it->second & (whole ? self_flags : kSuffix)) != 0) {
      if (covering != nullptr) *covering = &it->first;
      return true;
    }
  }
  return false;
}

}  // namespace

class DomainIndex {
 public:
  struct Entry {
    uint32_t id;
    uint8_t flags;
  };
  std::unordered_map<std::string, std::vector<Entry>, NameHash, NameEqual> names;
  std::bitset<Context::kMemoSlots> members;

  // When `id` is a member: looks the check's host up once and remembers the result of
  // every member in the context (true). False for an ACL outside the index, or a host
  // with too many labels (each ACL then looks it up itself).
  bool settle(uint32_t id, Context& context) const {
    if (id >= Context::kMemoSlots || !members.test(id)) return false;
    return settleAll(context);
  }
  bool settleAll(Context& context) const {
    std::bitset<Context::kMemoSlots> yes;
    std::string_view host = context.host();
    if (!host.empty()) {
      const DomainKey* keys = nullptr;
      size_t count = 0;
      if (!context.domainKeys(&keys, &count)) return false;
      for (size_t k = 0; k < count; ++k) {
        auto it = names.find(Prehashed{host.substr(keys[k].offset), static_cast<size_t>(keys[k].hash)});
        if (it == names.end()) continue;
        uint8_t wanted = keys[k].offset == 0 ? kExact | kSuffix : kSuffix;
        for (const Entry& e : it->second) {
          if ((e.flags & wanted) != 0) yes.set(e.id);
        }
      }
    }
    context.rememberAll(members, yes);
    return true;
  }
};

namespace {

class DomainAcl final : public Acl {
 public:
  using Acl::Acl;

  Match match(Context& context) const override {
    const DomainIndex* index = context.domainIndex();
    if (index != nullptr && index->settle(id(), context)) {
      Match m = Match::kNo;
      if (context.recalled(id(), &m)) return m;
    }
    // An ACL outside the index (an id past the memo) or a host with too many labels.
    std::string_view host = context.host();
    if (host.empty() || table_.empty()) return Match::kNo;
    Ip128 ip = 0;
    bool parents = has_suffix_ && !context.hostIp(&ip);
    return lookup(table_, host, kExact | kSuffix, parents, nullptr) ? Match::kYes : Match::kNo;
  }

  bool empty() const override { return table_.empty(); }
  const NameTable& table() const { return table_; }

  // squid warns about entries another entry already covers; so does cuttle, once the
  // ACL is complete (lines add up).
  void finish(ValueDiagnostics& diag) override {
    for (const Written& w : written_) {
      bool is_suffix = w.key.front() == '.';
      std::string_view name = std::string_view(w.key).substr(is_suffix ? 1 : 0);
      // A suffix entry is not covered by itself: only its parents count.
      const std::string* covering = nullptr;
      if (lookup(table_, name, is_suffix ? 0 : kSuffix, true, &covering)) {
        Token token{"", &w.file, w.line};
        diag.warning(token, "'" + w.key + "' is already matched by '." + *covering +
                                "'; remove it (squid warns the same)");
      }
    }
    written_.clear();
    written_.shrink_to_fit();
  }

 protected:
  unsigned options() const override { return kOptNoLookup; }  // -n: accepted, no effect

  void addValue(const Token& token, bool, ValueDiagnostics& diag) override {
    std::string_view v = token.text;
    bool is_suffix = !v.empty() && v.front() == '.';
    if (is_suffix) v.remove_prefix(1);
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    if (v.size() > 1 && v.back() == '.') v.remove_suffix(1);
    if (v.empty() || v == ".") {
      diag.error(token, "'" + token.text + "' is not a domain name");
      return;
    }
    if (v.find_first_of(" \t") != std::string_view::npos) {
      // squid keeps such a value too (a values file has one value per line, comments
      // included), and it never matches a host.
      diag.warning(token, "'" + token.text + "' contains whitespace and never matches");
    }
    std::string name = toLower(v);
    uint8_t flag = is_suffix ? kSuffix : kExact;
    uint8_t& flags = table_[name];
    if ((flags & flag) != 0) {
      diag.warning(token, "'" + token.text + "' is listed twice");
      return;
    }
    flags |= flag;
    has_suffix_ = has_suffix_ || is_suffix;
    written_.push_back(Written{is_suffix ? "." + name : name,
                               token.file != nullptr ? *token.file : std::string(), token.line});
  }

 private:
  NameTable table_;
  bool has_suffix_ = false;
  // Each entry (".name" for suffix entries) and where it was written, until finish()
  // (copied: the tokens of a line do not outlive it).
  struct Written {
    std::string key;
    std::string file;
    int line;
  };
  std::vector<Written> written_;
};

}  // namespace

bool Context::noDomainMatches() {
  if (domains_state_ == kDomainsUnknown) {
    if (domains_ == nullptr || !domains_->settleAll(*this)) domains_state_ = kDomainsUnsettled;
  }
  return domains_state_ == kNoDomainMatched;
}

bool domainIndexCovers(const DomainIndex& index, uint32_t id) {
  return id < Context::kMemoSlots && index.members.test(id);
}

std::shared_ptr<const DomainIndex> makeDomainIndex(const std::vector<std::unique_ptr<Acl>>& acls) {
  auto index = std::make_shared<DomainIndex>();
  for (const auto& a : acls) {
    const auto* d = dynamic_cast<const DomainAcl*>(a.get());
    if (d == nullptr || a->id() >= Context::kMemoSlots) continue;
    index->members.set(a->id());
    for (const auto& [name, flags] : d->table()) {
      index->names[name].push_back(DomainIndex::Entry{a->id(), flags});
    }
  }
  if (index->members.none()) return nullptr;
  return index;
}

std::unique_ptr<Acl> makeDomainAcl(const std::string& name, const std::string& type) {
  return std::make_unique<DomainAcl>(name, type);
}

}  // namespace cuttle::conf::acl
