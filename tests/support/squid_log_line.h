// One line of cuttle's access log in squid's native format, split into its fields:
//   time elapsed client code/status bytes method URL user hierarchy/peer type [trace="..."]
// (the trace="..." suffix is cuttle's, present when the request asked for Cuttle-Trace).
// Written independently of cuttle's own formatter. Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cuttle::test {

struct SquidLogLine {
  bool ok = false;  // the line has the native format
  std::string client;
  std::string result;  // "TCP_MISS"
  int status = 0;
  uint64_t bytes = 0;  // bytes sent to the client
  std::string method;
  std::string url;
  std::string user;  // "-" when none
  std::string hierarchy;
  std::string peer;
  std::string type;
  std::string trace;  // the value inside trace="...", "" when absent
};

SquidLogLine parseSquidLogLine(const std::string& line);

// Parses every line; lines that do not parse come back with ok=false.
std::vector<SquidLogLine> parseSquidLog(const std::vector<std::string>& lines);

}  // namespace cuttle::test
