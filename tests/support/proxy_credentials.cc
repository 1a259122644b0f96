#include "tests/support/proxy_credentials.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

namespace cuttle::test {

std::string opensslPasswd(std::string_view algorithm, std::string_view password) {
  if (password.find_first_of("'\n") != std::string_view::npos) {
    ADD_FAILURE() << "opensslPasswd: the password must not contain ' or a newline";
    return {};
  }
  const std::string command =
      "openssl passwd -" + std::string(algorithm) + " '" + std::string(password) + "' 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << command << " failed";
    return {};
  }
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty() ||
      out[0] != '$') {
    ADD_FAILURE() << command << " failed: " << out;
    return {};
  }
  return out;
}

std::string basicCredentials(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string out = "Basic ";
  size_t i = 0;
  for (; i + 3 <= plain.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(plain[i]) << 16 |
                       static_cast<unsigned char>(plain[i + 1]) << 8 |
                       static_cast<unsigned char>(plain[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = plain.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(plain[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(plain[i + 1]) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace cuttle::test
