// HTTP-date (RFC 9110 5.6.7): IMF-fixdate output; IMF-fixdate, RFC 850 and asctime input.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace cuttle {

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string formatHttpDate(int64_t unix_seconds);
void appendHttpDate(std::string& out, int64_t unix_seconds);
// Accepts the three formats of RFC 9110 5.6.7; nullopt for anything else.
std::optional<int64_t> parseHttpDate(std::string_view text);

// Caches the formatted date of the current second (one per thread).
class DateCache {
 public:
  std::string_view get(int64_t unix_seconds);

 private:
  int64_t second_ = -1;
  char text_[32] = {0};
  size_t size_ = 0;
};

}  // namespace cuttle
