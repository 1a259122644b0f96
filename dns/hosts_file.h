// HostsFile: the static name table of an /etc/hosts style file, parsed once.
//
// Format: one entry per line, "address name [alias...]", fields separated by blanks,
// '#' starts a comment. Lines whose address is not numeric IPv4/IPv6 are skipped, and so
// are names that normalizeHostName() rejects. Names are case-insensitive; a name listed on
// several lines gets every address, in file order, without duplicates.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "common/socket_address.h"
#include "dns/resolver.h"

namespace cuttle::dns {

class HostsFile {
 public:
  // Reads path. A missing or unreadable file gives an empty table: name resolution must not
  // depend on it (as with the C library).
  static HostsFile load(const std::string& path);
  static HostsFile parse(std::string_view text);

  // The addresses of host (already normalised by normalizeHostName()), or nullptr. The
  // pointer stays valid as long as this object.
  const AddressList* find(const std::string& normalized_host) const;
  size_t size() const { return names_.size(); }

 private:
  void parseLine(std::string_view line);
  std::unordered_map<std::string, AddressList> names_;
};

}  // namespace cuttle::dns
