#include "tests/support/squid_log_line.h"

#include <regex>

namespace cuttle::test {

SquidLogLine parseSquidLogLine(const std::string& line) {
  static const std::regex kSquid(
      R"re(^(\d+)\.(\d{3}) +(\d+) (\S+) ([A-Z_]+)/(\d{3}) (\d+) (\S+) (\S+) (\S+) ([A-Z_]+)/(\S+) (\S+)( trace="([^"]*)")?$)re");
  std::smatch m;
  SquidLogLine out;
  if (!std::regex_match(line, m, kSquid)) return out;
  out.ok = true;
  out.client = m[4];
  out.result = m[5];
  out.status = std::stoi(m[6]);
  out.bytes = std::stoull(m[7]);
  out.method = m[8];
  out.url = m[9];
  out.user = m[10];
  out.hierarchy = m[11];
  out.peer = m[12];
  out.type = m[13];
  out.trace = m[15];
  return out;
}

std::vector<SquidLogLine> parseSquidLog(const std::vector<std::string>& lines) {
  std::vector<SquidLogLine> out;
  out.reserve(lines.size());
  for (const std::string& l : lines) out.push_back(parseSquidLogLine(l));
  return out;
}

}  // namespace cuttle::test
