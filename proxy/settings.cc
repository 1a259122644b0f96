#include "proxy/settings.h"

#include <unistd.h>

#include "common/log.h"

namespace cuttle::proxy {
namespace {

std::string hostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

bool sameLogs(const conf::Config& a, const conf::Config& b) {
  if (a.access_logs.size() != b.access_logs.size()) return false;
  for (size_t i = 0; i < a.access_logs.size(); ++i) {
    if (a.access_logs[i].path != b.access_logs[i].path || a.access_logs[i].format != b.access_logs[i].format) {
      return false;
    }
  }
  // The formats are compiled into the log: a changed logformat needs a new one.
  if (a.logformats.size() != b.logformats.size()) return false;
  for (size_t i = 0; i < a.logformats.size(); ++i) {
    if (a.logformats[i].args != b.logformats[i].args) return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const Settings>> buildSettings(std::shared_ptr<const conf::Config> config,
                                                      const Settings* previous) {
  auto s = std::make_shared<Settings>();
  std::vector<conf::Diagnostic> errors;
  std::vector<conf::Diagnostic> warnings;
  s->access_rules = conf::AccessRules::build(*config, &errors, &warnings);
  for (const conf::Diagnostic& w : warnings) LOG_WARN("%s", w.toString().c_str());
  if (!s->access_rules) {
    std::string why = "invalid access rules";
    for (const conf::Diagnostic& e : errors) why += "\n  " + e.toString();
    return Error(ErrorCode::kInvalidArgument, Side::kConfig, std::move(why));
  }
  warnings.clear();
  s->peers = conf::parseCachePeers(*config, &errors, &warnings);
  for (const conf::Diagnostic& w : warnings) LOG_WARN("%s", w.toString().c_str());
  if (!s->peers) {
    std::string why = "invalid cache_peer";
    for (const conf::Diagnostic& e : errors) why += "\n  " + e.toString();
    return Error(ErrorCode::kInvalidArgument, Side::kConfig, std::move(why));
  }
  warnings.clear();
  s->auth = loadAuthSetup(*config, &errors, &warnings);
  for (const conf::Diagnostic& w : warnings) LOG_WARN("%s", w.toString().c_str());
  if (!s->auth.config) {
    std::string why = "invalid auth_param";
    for (const conf::Diagnostic& e : errors) why += "\n  " + e.toString();
    return Error(ErrorCode::kInvalidArgument, Side::kConfig, std::move(why));
  }
  if (previous != nullptr && sameLogs(*previous->config, *config)) {
    s->access_log = previous->access_log;
  } else {
    std::vector<conf::Diagnostic> format_warnings;
    auto log = AccessLog::open(config->access_logs, config->logformats, &format_warnings);
    for (const conf::Diagnostic& w : format_warnings) LOG_WARN("%s", w.toString().c_str());
    if (!log) return log.takeError();
    s->access_log = std::shared_ptr<AccessLog>(std::move(log.value()));
  }
  s->visible_hostname = config->visible_hostname.empty() ? hostName() : config->visible_hostname;
  s->refresh_rules = cache::refreshRulesFromConfig(config->refresh_patterns);
  s->store_limits.max_object_size = config->maximum_object_size;
  s->store_limits.min_object_size = config->minimum_object_size;
  s->config = std::move(config);
  return std::shared_ptr<const Settings>(std::move(s));
}

std::vector<std::string> restartNeeded(const conf::Config& a, const conf::Config& b) {
  std::vector<std::string> out;
  auto ports = [](const conf::Config& c) {
    std::vector<std::string> v;
    for (const conf::HttpPort& p : c.http_ports) v.push_back(p.address.toString());
    return v;
  };
  if (ports(a) != ports(b)) out.push_back("http_port");
  if (a.workers != b.workers) out.push_back("workers");
  const bool dir_a = a.cache_dir.has_value();
  const bool dir_b = b.cache_dir.has_value();
  if (dir_a != dir_b || (dir_a && (a.cache_dir->path != b.cache_dir->path ||
                                   a.cache_dir->size_mb != b.cache_dir->size_mb))) {
    out.push_back("cache_dir");
  }
  if (a.cache_mem != b.cache_mem) out.push_back("cache_mem");
  if (a.maximum_object_size_in_memory != b.maximum_object_size_in_memory) {
    out.push_back("maximum_object_size_in_memory");
  }
  if (a.dns_nameservers != b.dns_nameservers) out.push_back("dns_nameservers");
  if (a.hosts_file != b.hosts_file) out.push_back("hosts_file");
  if (a.positive_dns_ttl != b.positive_dns_ttl) out.push_back("positive_dns_ttl");
  if (a.negative_dns_ttl != b.negative_dns_ttl) out.push_back("negative_dns_ttl");
  if (a.dns_timeout != b.dns_timeout) out.push_back("dns_timeout");
  if (a.cache_log != b.cache_log) out.push_back("cache_log");
  if (a.pid_filename != b.pid_filename) out.push_back("pid_filename");
  return out;
}

}  // namespace cuttle::proxy
