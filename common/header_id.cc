#include "common/header_id.h"

#include <array>

#include "common/strings.h"

namespace cuttle {
namespace {

struct Entry {
  std::string_view name;
  uint8_t flags;
};

constexpr std::array<Entry, static_cast<size_t>(HeaderId::kCount)> kTable = {{
    {"", 0},
    {"Accept", 0},
    {"Accept-Encoding", 0},
    {"Accept-Language", 0},
    {"Accept-Ranges", 0},
    {"Age", 0},
    {"Allow", 0},
    {"Authorization", 0},
    {"Cache-Control", 0},
    {"Cache-Status", 0},
    {"Connection", kHopByHop},
    {"Content-Encoding", 0},
    {"Content-Length", kFraming},
    {"Content-Location", 0},
    {"Content-Range", 0},
    {"Content-Type", 0},
    {"Cuttle-Trace", kHopByHop},  // cuttle's tracing switch, never forwarded
    {"Cookie", 0},
    {"Date", 0},
    {"ETag", 0},
    {"Expect", 0},
    {"Expires", 0},
    {"Forwarded", 0},
    {"Host", 0},
    {"If-Match", 0},
    {"If-Modified-Since", 0},
    {"If-None-Match", 0},
    {"If-Range", 0},
    {"If-Unmodified-Since", 0},
    {"Keep-Alive", kHopByHop},
    {"Last-Modified", 0},
    {"Location", 0},
    {"Max-Forwards", 0},
    {"Pragma", 0},
    {"Proxy-Authenticate", kHopByHop},
    {"Proxy-Authentication-Info", kHopByHop},
    {"Proxy-Authorization", kHopByHop},
    {"Proxy-Connection", kHopByHop},
    {"Range", 0},
    {"Referer", 0},
    {"Server", 0},
    {"Set-Cookie", 0},
    {"TE", kHopByHop},
    {"Trailer", kHopByHop},
    {"Transfer-Encoding", kHopByHop | kFraming},
    {"Upgrade", kHopByHop},
    {"User-Agent", 0},
    {"Vary", 0},
    {"Via", 0},
    {"Warning", 0},
    {"X-Forwarded-For", 0},
}};

}  // namespace

HeaderId lookupHeaderId(std::string_view name) {
  if (name.size() < 2 || name.size() > 25) return HeaderId::kOther;
  // A cheap filter on length and first letter before the comparison.
  const char first = asciiLower(name[0]);
  for (size_t i = 1; i < kTable.size(); ++i) {
    const std::string_view known = kTable[i].name;
    if (known.size() == name.size() && asciiLower(known[0]) == first && iequals(known, name)) {
      return static_cast<HeaderId>(i);
    }
  }
  return HeaderId::kOther;
}

std::string_view headerName(HeaderId id) { return kTable[static_cast<size_t>(id)].name; }

uint8_t headerFlags(HeaderId id) { return kTable[static_cast<size_t>(id)].flags; }

}  // namespace cuttle
