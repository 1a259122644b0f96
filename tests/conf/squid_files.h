// Debian's squid configuration files, for the tests that load them: from the squid package
// that tools/setup.sh test downloads and extracts without installing Squid (apt-get
// download squid squid-common; dpkg-deb -x; the root is in CUTTLE_SQUID_ROOT), else from
// an installed squid. Tests skip when neither is there.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace cuttle::conf::test {

struct SquidFiles {
  std::string root;        // where the package was extracted; "" for an installed squid
  std::string conf;        // squid.conf, "" when absent
  std::string documented;  // squid.conf.documented.gz, "" when absent
};

inline SquidFiles squidFiles() {
  SquidFiles f;
  const char* env = std::getenv("CUTTLE_SQUID_ROOT");
  for (std::string root : {std::string(env != nullptr ? env : ""), std::string()}) {
    if (env == nullptr && !root.empty()) continue;
    const std::string conf = root + "/etc/squid/squid.conf";
    if (!std::filesystem::exists(conf)) continue;
    f.root = root;
    f.conf = conf;
    const std::string doc = root + "/usr/share/doc/squid-common/squid.conf.documented.gz";
    if (std::filesystem::exists(doc)) f.documented = doc;
    return f;
  }
  return f;
}

// `text` (a squid.conf) with the package's absolute include path pointing into the
// extracted root, so that "include /etc/squid/conf.d/*.conf" finds the package's files.
inline std::string rootedConf(std::string text, const SquidFiles& f) {
  if (f.root.empty()) return text;
  const std::string from = "include /etc/squid/";
  const std::string to = "include " + f.root + "/etc/squid/";
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

inline std::string readWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace cuttle::conf::test
