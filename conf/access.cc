// http_access and http_upgrade_request_protocols over the ACLs of conf/acl.h: building
// them from Config::rules, and evaluating them (first match wins, squid's implicit last
// line, 407 challenges).
#include "conf/access.h"

#include <span>
#include <unordered_map>

#include "common/strings.h"
#include "conf/acl.h"

namespace cuttle::conf {

namespace {

using acl::Acl;
using acl::Match;

struct Term {
  const Acl* acl = nullptr;
  uint32_t id = UINT32_MAX;  // acl->id(), here so that a remembered result costs no jump to *acl
  bool negate = false;
};

struct Rule {
  bool allow = false;
  std::vector<Term> terms;  // never empty
  std::string file;
  int line = 0;
  std::string text;  // "http_access deny CONNECT !SSL_ports"
  // http_access only: for a line whose first term is a dstdomain ACL of the DomainIndex,
  // not negated, the end of the run of such lines it starts or is in (an index into
  // http_access). A host that matches none of the index's ACLs cannot match any line of the
  // run: check() skips it in one step (blocklists are long runs of "http_access deny
  // <dstdomain>"). 0 for other lines.
  uint32_t domain_run_end = 0;
};

struct UpgradeRule {
  std::string name;     // protocol name, compared case-sensitively (squid)
  std::string version;  // "/1.1" with its slash, or empty (any version)
  Rule rule;
};

enum class Outcome : uint8_t { kNoMatch, kMatch, kNeedDestination, kNeedAuth };

// AND over the terms, left to right, stopping at the first that fails (squid): an ACL
// after a failing one is never evaluated, so it never asks for a destination or a user.
Outcome evaluate(std::span<const Term> terms, acl::Context& context, const Acl** last) {
  for (const Term& term : terms) {
    Match m;
    if (!context.recalled(term.id, &m)) {
      m = term.acl->match(context);
      context.remember(term.id, m);
    }
    *last = term.acl;
    if (m == Match::kNeedDestination) return Outcome::kNeedDestination;
    if (m == Match::kNeedAuth) return Outcome::kNeedAuth;
    if ((m == Match::kYes) == term.negate) return Outcome::kNoMatch;
  }
  return Outcome::kMatch;
}

// "name/version" -> {"name", "/version"} (squid's ProtocolView).
std::pair<std::string_view, std::string_view> splitProtocol(std::string_view p) {
  size_t slash = p.find('/');
  if (slash == std::string_view::npos) return {p, {}};
  return {p.substr(0, slash), p.substr(slash)};
}

struct Predefined {
  const char* name;
  const char* type;
  std::vector<std::string> values;
};

const std::vector<Predefined>& predefinedAcls() {
  static const std::vector<Predefined> kList = {
      {"all", "src", {"all"}},
      {"localhost", "src", {"127.0.0.1/32", "::1"}},
      {"to_localhost", "dst", {"127.0.0.0/8", "0.0.0.0/32", "::1/128", "::/128"}},
      {"CONNECT", "method", {"CONNECT"}},
  };
  return kList;
}

}  // namespace

struct AccessRules::Impl {
  std::vector<std::unique_ptr<Acl>> acls;
  std::unordered_map<std::string, Acl*, acl::CaseInsensitiveHash, acl::CaseInsensitiveEqual>
      by_name;
  std::vector<Rule> http_access;
  bool upgrade_configured = false;
  std::vector<UpgradeRule> upgrade_named;
  std::vector<Rule> upgrade_other;
  std::vector<Rule> never_direct;
  std::vector<Rule> always_direct;
  bool uses_auth = false;
  std::shared_ptr<const acl::DomainIndex> domains;  // null without dstdomain ACLs
};

namespace {

// Builds an Impl from Config::rules, in order.
class Builder {
 public:
  Builder(AccessRules::Impl& impl, acl::Diagnostics& diag) : impl_(impl), diag_(diag) {}

  void run(const Config& config) {
    addPredefined();
    for (const RawDirective& d : config.rules) {
      if (d.name == "acl" && !d.args.empty()) first_definition_.emplace(d.args[0], &d);
    }
    for (const RawDirective& d : config.rules) {
      if (d.name == "auth_param") {
        auth_param_seen_ = true;
      } else if (d.name == "acl") {
        defineAcl(d);
      } else if (d.name == "http_access") {
        httpAccess(d);
      } else if (d.name == "http_upgrade_request_protocols") {
        upgradeRule(d);
      } else if (d.name == "never_direct" || d.name == "always_direct") {
        Rule rule;
        if (parseRule(d, 0, &rule)) {
          (d.name == "never_direct" ? impl_.never_direct : impl_.always_direct).push_back(std::move(rule));
        }
      }
    }
    for (const auto& a : impl_.acls) {
      acl::ValueDiagnostics vd(diag_, a->name());
      a->finish(vd);
      if (a->empty() && a->line != 0) {
        diag_.warning(a->file, a->line, "acl",
                      "ACL '" + a->name() + "' has no values and never matches");
      }
    }
    impl_.domains = acl::makeDomainIndex(impl_.acls);
    // Runs of lines led by a dstdomain ACL, from the end so that each knows where its run ends.
    uint32_t run_end = 0;
    for (size_t i = impl_.http_access.size(); i-- > 0;) {
      const Term& lead = impl_.http_access[i].terms.front();
      bool domain_led = impl_.domains != nullptr && !lead.negate &&
                        acl::domainIndexCovers(*impl_.domains, lead.id);
      if (!domain_led) {
        run_end = 0;
        continue;
      }
      if (run_end == 0) run_end = static_cast<uint32_t>(i + 1);
      impl_.http_access[i].domain_run_end = run_end;
    }
  }

 private:
  void addPredefined() {
    for (const Predefined& p : predefinedAcls()) {
      std::unique_ptr<Acl> a = acl::makeAcl(p.name, p.type);
      std::vector<acl::Token> tokens;
      for (const std::string& v : p.values) tokens.push_back(acl::Token{v, nullptr, 0});
      acl::ValueDiagnostics vd(diag_, p.name);
      a->parseLine(tokens, vd);
      add(std::move(a));
    }
    add(acl::makeManagerAcl());
  }

  Acl* add(std::unique_ptr<Acl> a) {
    Acl* raw = a.get();
    raw->setId(static_cast<uint32_t>(impl_.acls.size()));
    impl_.by_name.emplace(raw->name(), raw);
    impl_.acls.push_back(std::move(a));
    return raw;
  }

  static const Predefined* findPredefined(std::string_view name) {
    for (const Predefined& p : predefinedAcls()) {
      if (iequals(p.name, name)) return &p;
    }
    return nullptr;
  }

  // False when the line must not be parsed (handled or refused).
  bool redefinePredefined(const RawDirective& d, Acl* existing, const std::string& type) {
    const std::string& name = d.args[0];
    if (existing->type() == "manager") {
      if (type == "proto" || type == "url_regex") {
        diag_.warning(d.file, d.line, d.name,
                      "ACL 'manager' is built into cuttle (requests for its own endpoints); "
                      "this definition is ignored (squid: remove it from your config file)");
      } else {
        diag_.error(d.file, d.line, d.name, "ACL 'manager' is predefined and cannot be redefined");
      }
      return false;
    }
    if (existing->type() != type) {
      diag_.error(d.file, d.line, d.name,
                  "ACL '" + name + "' is predefined with type " + existing->type() +
                      "; it cannot be redefined with type " + type);
      return false;
    }
    const Predefined* p = findPredefined(name);
    std::vector<std::string> values(d.args.begin() + 2, d.args.end());
    if (p != nullptr && values == p->values) {
      diag_.warning(d.file, d.line, d.name,
                    "ACL '" + name + "' is predefined with this definition; line ignored");
      return false;
    }
    diag_.warning(d.file, d.line, d.name,
                  "ACL '" + name +
                      "' is predefined; these values are added to it (as squid "
                      "does)");
    return true;
  }

  void defineAcl(const RawDirective& d) {
    if (d.args.size() < 2) {
      diag_.error(d.file, d.line, d.name, "expected: acl NAME TYPE [VALUE...]");
      return;
    }
    const std::string& name = d.args[0];
    std::string type = d.args[1];
    if (type == "myip" || type == "myport") {
      std::string renamed = type == "myip" ? "localip" : "localport";
      diag_.warning(d.file, d.line, d.name,
                    "ACL type '" + type + "' is now called '" + renamed + "' (squid)");
      type = renamed;
    }
    Acl* target = nullptr;
    if (auto it = impl_.by_name.find(name); it != impl_.by_name.end()) {
      target = it->second;
      if (target->line == 0) {
        if (!redefinePredefined(d, target, type)) return;
      } else if (target->type() != type) {
        diag_.error(d.file, d.line, d.name,
                    "ACL '" + name + "' already has type " + target->type() + " (" + target->file +
                        ":" + std::to_string(target->line) +
                        "); lines of one ACL must have the same type");
        return;
      }
    } else {
      std::unique_ptr<Acl> made = acl::makeAcl(name, type);
      if (made == nullptr) {
        diag_.error(d.file, d.line, d.name, "unknown ACL type '" + type + "'");
        return;
      }
      made->file = d.file;
      made->line = d.line;
      if (std::string note = made->note(); !note.empty()) {
        diag_.warning(d.file, d.line, d.name, "ACL '" + name + "': " + note);
      }
      target = add(std::move(made));
    }
    if (target->isProxyAuth() && !auth_param_seen_) {
      diag_.error(d.file, d.line, d.name,
                  "ACL '" + name + "': " + type +
                      " needs an auth_param line before it (squid refuses it too)");
    }
    acl::TokenList tokens;
    tokens.load(d, 2, diag_);  // an unreadable file is reported; the other values still count
    acl::ValueDiagnostics vd(diag_, target->name());
    target->parseLine(tokens.tokens(), vd);
  }

  // Parses "allow|deny [!]ACL..." starting at args[first]. False when the line is refused
  // (error) or skipped (warning: no ACL, as squid).
  bool parseRule(const RawDirective& d, size_t first, Rule* rule) {
    if (d.args.size() <= first) {
      diag_.error(d.file, d.line, d.name, "expected 'allow' or 'deny'");
      return false;
    }
    const std::string& action = d.args[first];
    if (action != "allow" && action != "deny") {
      diag_.error(d.file, d.line, d.name, "expected 'allow' or 'deny', got '" + action + "'");
      return false;
    }
    if (d.args.size() == first + 1) {
      diag_.warning(d.file, d.line, d.name, "no ACL on this line; it is skipped (as squid)");
      return false;
    }
    rule->allow = action == "allow";
    rule->file = d.file;
    rule->line = d.line;
    rule->text = d.name;
    for (const std::string& a : d.args) rule->text += " " + a;
    bool ok = true;
    for (size_t i = first + 1; i < d.args.size(); ++i) {
      std::string_view word = d.args[i];
      Term term;
      if (!word.empty() && word.front() == '!') {
        term.negate = true;
        word.remove_prefix(1);
      }
      const Acl* a = lookup(d, word);
      if (a == nullptr) {
        ok = false;
        continue;
      }
      term.acl = a;
      term.id = a->id();
      rule->terms.push_back(term);
    }
    return ok;
  }

  const Acl* lookup(const RawDirective& d, std::string_view word) {
    std::string name(word);
    if (name.empty()) {
      diag_.error(d.file, d.line, d.name, "an ACL name is missing after '!'");
      return nullptr;
    }
    auto it = impl_.by_name.find(name);
    if (it == impl_.by_name.end()) {
      std::string message = "ACL '" + name + "' is not defined";
      if (auto def = first_definition_.find(name); def != first_definition_.end()) {
        const RawDirective& at = *def->second;
        std::string where = at.file + ":" + std::to_string(at.line);
        // Both point into config.rules: their order is the order of the lines.
        message += &at < &d ? " (its definition at " + where + " has errors)"
                            : " before this line (it is defined at " + where +
                                  "; squid requires an ACL to be defined before its first use)";
      }
      diag_.error(d.file, d.line, d.name, message);
      return nullptr;
    }
    const Acl* a = it->second;
    if (!a->supported()) {
      diag_.error(d.file, d.line, d.name,
                  "ACL '" + name + "' has type " + a->type() + ", which cuttle does not support");
      return nullptr;
    }
    if (a->isProxyAuth()) impl_.uses_auth = true;
    return a;
  }

  void httpAccess(const RawDirective& d) {
    Rule rule;
    if (parseRule(d, 0, &rule)) impl_.http_access.push_back(std::move(rule));
  }

  void upgradeRule(const RawDirective& d) {
    impl_.upgrade_configured = true;
    if (d.args.empty()) {
      diag_.error(d.file, d.line, d.name, "expected: PROTOCOL allow|deny [!]ACL...");
      return;
    }
    Rule rule;
    if (!parseRule(d, 1, &rule)) return;
    const std::string& protocol = d.args[0];
    if (protocol == "OTHER") {
      impl_.upgrade_other.push_back(std::move(rule));
      return;
    }
    auto [name, version] = splitProtocol(protocol);
    impl_.upgrade_named.push_back(
        UpgradeRule{std::string(name), std::string(version), std::move(rule)});
  }

  AccessRules::Impl& impl_;
  acl::Diagnostics& diag_;
  bool auth_param_seen_ = false;
  // The first acl line of each name, to say "defined later" instead of "not defined".
  std::unordered_map<std::string, const RawDirective*, acl::CaseInsensitiveHash,
                     acl::CaseInsensitiveEqual>
      first_definition_;
};

}  // namespace

AccessRules::AccessRules() : impl_(std::make_unique<Impl>()) {}
AccessRules::~AccessRules() = default;

std::shared_ptr<const AccessRules> AccessRules::build(const Config& config,
                                                      std::vector<Diagnostic>* errors,
                                                      std::vector<Diagnostic>* warnings) {
  std::vector<Diagnostic> local_errors;
  std::vector<Diagnostic> local_warnings;
  if (errors == nullptr) errors = &local_errors;
  if (warnings == nullptr) warnings = &local_warnings;
  size_t errors_before = errors->size();
  std::shared_ptr<AccessRules> rules(new AccessRules());
  acl::Diagnostics diag(errors, warnings);
  Builder(*rules->impl_, diag).run(config);
  if (errors->size() != errors_before) return nullptr;
  return rules;
}

AccessDecision AccessRules::check(const AccessRequest& request) const {
  AccessDecision decision;
  acl::Context context(request, impl_->domains.get());
  const Acl* last = nullptr;
  const std::vector<Rule>& lines = impl_->http_access;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].domain_run_end != 0 && context.noDomainMatches()) {
      // Each line of the run would stop at its first term, which is what `last` says.
      i = lines[i].domain_run_end - 1;
      last = lines[i].terms.front().acl;
      continue;
    }
    const Rule& rule = lines[i];
    Outcome outcome = evaluate(rule.terms, context, &last);
    if (outcome == Outcome::kNoMatch) continue;
    decision.file = rule.file;
    decision.line = rule.line;
    decision.rule = rule.text;
    switch (outcome) {
      case Outcome::kNeedDestination:
        decision.result = AccessResult::kNeedDestination;
        break;
      case Outcome::kNeedAuth:
        decision.result = AccessResult::kNeedAuth;
        break;
      default:
        decision.result = rule.allow ? AccessResult::kAllow : AccessResult::kDeny;
        // squid re-challenges when the last ACL it checked for a deny is proxy_auth.
        decision.challenge = !rule.allow && rule.terms.back().acl->isProxyAuth();
    }
    return decision;
  }
  decision.implicit = true;
  if (impl_->http_access.empty()) return decision;  // deny
  const Rule& tail = impl_->http_access.back();
  decision.result = tail.allow ? AccessResult::kDeny : AccessResult::kAllow;
  decision.file = tail.file;
  decision.line = tail.line;
  decision.rule = tail.text;
  decision.challenge =
      decision.result == AccessResult::kDeny && last != nullptr && last->isProxyAuth();
  return decision;
}

bool AccessRules::usesAuth() const { return impl_->uses_auth; }

bool AccessRules::listAllows(std::string_view directive, const AccessRequest& request) const {
  const std::vector<Rule>& rules = directive == "never_direct" ? impl_->never_direct : impl_->always_direct;
  if (rules.empty()) return false;
  acl::Context context(request, impl_->domains.get());
  const Acl* last = nullptr;
  for (const Rule& rule : rules) {
    if (evaluate(rule.terms, context, &last) == Outcome::kMatch) return rule.allow;
  }
  return !rules.back().allow;
}

bool AccessRules::upgradeAllowed(std::string_view protocol, const AccessRequest& request) const {
  auto [name, version] = splitProtocol(protocol);
  if (!impl_->upgrade_configured) return iequals(name, "websocket");
  acl::Context context(request, impl_->domains.get());
  const Acl* last = nullptr;
  bool named = false;
  for (const UpgradeRule& u : impl_->upgrade_named) {
    if (u.name != name) continue;
    named = true;  // inapplicable versions still hide the OTHER lines (squid)
    if (!u.version.empty() && u.version != version) continue;
    switch (evaluate(u.rule.terms, context, &last)) {
      case Outcome::kNoMatch:
        continue;
      case Outcome::kMatch:
        return u.rule.allow;
      default:
        return false;
    }
  }
  if (named) return false;
  for (const Rule& rule : impl_->upgrade_other) {
    switch (evaluate(rule.terms, context, &last)) {
      case Outcome::kNoMatch:
        continue;
      case Outcome::kMatch:
        return rule.allow;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace cuttle::conf
