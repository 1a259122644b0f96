// PasswordFile: an htpasswd-style password file (what Apache's htpasswd writes and squid's
// basic_ncsa_auth reads), loaded once per configuration and shared, immutable, by every
// worker. A reload loads a new one; the old one lives as long as something holds it.
//
// Format: one "user:hash" per line. Blank lines and lines whose first non-blank character
// is '#' are skipped. A trailing "\r" (and trailing blanks) are ignored. Anything after a
// second ':' is ignored (as basic_ncsa_auth does). The user name is everything before the
// first ':' (it may contain blanks, never ':'). When a user appears twice, the first line
// wins (Apache and squid stop at the first match); the later ones are skipped.
//
// Hashes (every one is checked by verify(); the format is only recognised at load time):
//   - bcrypt "$2a$", "$2b$", "$2y$"; SHA-crypt "$5$", "$6$"; MD5-crypt "$1$"; yescrypt
//     "$y$"; and any other "$id$" method the system's libxcrypt enables (scrypt "$7$",
//     gost-yescrypt "$gy$"...): through libxcrypt's crypt_rn().
//   - APR1-MD5 "$apr1$" (htpasswd -m, Apache's default before 2.4): md5Crypt() of
//     proxy/md5.h, since libxcrypt does not know it.
//   - Traditional DES crypt (htpasswd -d): exactly 13 characters of [./0-9A-Za-z], when
//     libxcrypt enables DES (Debian's does, as a legacy method). DES looks at the first 8
//     characters of a password only (and bcrypt at the first 72 bytes).
// NOT accepted: plain-text passwords (htpasswd -p) and Apache's unsalted "{SHA}" (htpasswd
// -s). Lines with them, and other malformed lines (no ':', empty user, unknown or disabled
// hash format), are skipped and counted in report(). A 13-character plain-text password
// made of crypt characters cannot be told from a DES hash: it is taken as one, and no
// password verifies against it.
//
// Thread-safety: immutable after load(); verify() may run on any number of threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"

namespace cuttle::proxy {

class PasswordFile {
 public:
  struct Report {
    size_t users = 0;    // entries kept
    size_t skipped = 0;  // malformed, unsupported or duplicate lines (not blanks, comments)
    // "line N: why" for the first kMaxProblems skipped lines.
    std::vector<std::string> problems;
  };
  static constexpr size_t kMaxProblems = 10;
  static constexpr size_t kMaxFileSize = 64 * 1024 * 1024;

  // Reads and parses the file. Blocking file I/O: call it where the configuration is read,
  // never on a worker loop. Errors (Side::kConfig): kNotFound / kIo when the file cannot be
  // read, kInvalidArgument when it is larger than kMaxFileSize. A file without any valid
  // entry is not an error (report() says what was skipped; every check then fails).
  static Result<std::shared_ptr<const PasswordFile>> load(const std::string& path);
  // The same from text; `name` stands for the path in path().
  static std::shared_ptr<const PasswordFile> parse(std::string_view text, std::string name);

  // Whether `password` matches the hash stored for `user`. With case_sensitive false the
  // user name is compared ASCII case-insensitively (the first entry whose name folds to the
  // same wins). False for unknown users, and for a hash that libxcrypt rejects.
  // SLOW by design (bcrypt and yescrypt cost tens of milliseconds): never call it on an
  // event loop thread; proxy/auth.h runs it on libuv's thread pool. Thread-safe.
  bool verify(std::string_view user, std::string_view password, bool case_sensitive = true) const;
  bool contains(std::string_view user, bool case_sensitive = true) const;

  size_t size() const { return entries_.size(); }
  const std::string& path() const { return path_; }
  const Report& report() const { return report_; }

  // Whether `hash` is a stored hash of a supported format (see above); when not, *why
  // (if not null) says why ("plain-text passwords are not accepted", ...).
  static bool supportedHash(std::string_view hash, std::string* why);

 private:
  struct Entry {
    std::string user;
    std::string hash;
  };
  const Entry* find(std::string_view user, bool case_sensitive) const;

  std::string path_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> exact_;   // user -> index in entries_
  std::unordered_map<std::string, size_t> folded_;  // lower-case user -> first such index
  Report report_;
};

}  // namespace cuttle::proxy
