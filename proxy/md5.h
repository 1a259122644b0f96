// MD5 (RFC 1321) and the MD5-based crypt(3) formats: "$1$" (FreeBSD md5crypt, which
// libxcrypt also does) and "$apr1$" (Apache's variant, the same algorithm with another
// magic string, which libxcrypt does not do). Used only to verify passwords of htpasswd
// files (proxy/htpasswd.h); MD5 is broken for collisions and md5crypt is weak against
// brute force, so neither is offered for anything new.
//
// Pure functions, no allocation beyond the returned strings; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cuttle::proxy {

class Md5 {
 public:
  using Digest = std::array<uint8_t, 16>;

  Md5();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the digest. The object must not be updated afterwards.
  Digest finish();

  static Digest of(std::string_view data);
  // Lower-case hex of a digest, 32 characters.
  static std::string hex(const Digest& digest);

 private:
  void block(const uint8_t* p);

  std::array<uint32_t, 4> state_;
  uint64_t length_ = 0;  // bytes hashed so far
  std::array<uint8_t, 64> buffer_{};
};

// md5crypt of `password` with the salt and magic of `setting`, which is "$1$SALT" or
// "$apr1$SALT", optionally followed by "$" and anything (a whole stored hash may be passed:
// its checksum part is ignored). The salt is what follows the magic, up to the next '$'
// and at most 8 characters (longer salts are truncated, as both implementations do).
// Returns the full hash "$apr1$SALT$22 characters", or "" when `setting` does not start
// with either magic.
std::string md5Crypt(std::string_view password, std::string_view setting);

}  // namespace cuttle::proxy
