#include "dns/hosts_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "dns/host_name.h"

namespace cuttle::dns {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Splits off the next blank-separated field of line; empty when none is left.
std::string_view nextField(std::string_view& line) {
  size_t start = 0;
  while (start < line.size() && isBlank(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !isBlank(line[end])) ++end;
  std::string_view field = line.substr(start, end - start);
  line.remove_prefix(end);
  return field;
}

}  // namespace

HostsFile HostsFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return HostsFile();
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

HostsFile HostsFile::parse(std::string_view text) {
  HostsFile hosts;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    hosts.parseLine(line);
  }
  return hosts;
}

void HostsFile::parseLine(std::string_view line) {
  size_t hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  std::string_view field = nextField(line);
  if (field.empty()) return;
  // No brackets in a hosts file, and no zone ids ("fe80::1%eth0"): parseIp rejects those.
  if (field.front() == '[') return;
  std::optional<SocketAddress> address = SocketAddress::parseIp(field);
  if (!address) return;
  for (field = nextField(line); !field.empty(); field = nextField(line)) {
    std::optional<std::string> name = normalizeHostName(field);
    if (!name) continue;
    AddressList& list = names_[*name];
    if (std::find(list.begin(), list.end(), *address) == list.end()) list.push_back(*address);
  }
}

const AddressList* HostsFile::find(const std::string& normalized_host) const {
  auto it = names_.find(normalized_host);
  return it == names_.end() ? nullptr : &it->second;
}

}  // namespace cuttle::dns
