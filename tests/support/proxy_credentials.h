// Credentials for the proxy authentication end-to-end tests: htpasswd hashes made at test
// time by the openssl command-line tool (independent of cuttle's own hash code), and RFC
// 7617 Basic credentials for Proxy-Authorization.
// Thread-safe (opensslPasswd runs a child process through popen).
#pragma once

#include <string>
#include <string_view>

namespace cuttle::test {

// `openssl passwd -<algorithm> '<password>'`: algorithm "apr1" (Apache MD5), "1" (MD5-crypt),
// "5" (SHA-256-crypt) or "6" (SHA-512-crypt). The password must not contain a single
// quote or a newline. Returns the hash, or "" with a gtest failure when openssl failed.
std::string opensslPasswd(std::string_view algorithm, std::string_view password);

// "Basic " + base64("user:password") (RFC 7617 2).
std::string basicCredentials(std::string_view user, std::string_view password);

}  // namespace cuttle::test
