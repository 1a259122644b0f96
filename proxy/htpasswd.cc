#include "proxy/htpasswd.h"

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "proxy/md5.h"

namespace cuttle::proxy {

namespace {

bool isCryptChar(char c) {
  return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
         (c >= 'a' && c <= 'z');
}

bool allCryptChars(std::string_view s) {
  for (char c : s) {
    if (!isCryptChar(c)) return false;
  }
  return true;
}

// Compares without an early exit, so that the time taken does not tell how many leading
// characters of a computed hash were right.
bool sameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool saltUsable(const std::string& hash, std::string* why) {
  switch (crypt_checksalt(hash.c_str())) {
    case CRYPT_SALT_OK:
    case CRYPT_SALT_METHOD_LEGACY:  // DES, MD5-crypt: weak, still verified (squid does)
    case CRYPT_SALT_TOO_CHEAP:
      return true;
    case CRYPT_SALT_METHOD_DISABLED:
      if (why != nullptr) *why = "hash method disabled in this system's libcrypt";
      return false;
    default:
      if (why != nullptr) *why = "malformed hash";
      return false;
  }
}

}  // namespace

bool PasswordFile::supportedHash(std::string_view hash, std::string* why) {
  if (hash.empty()) {
    if (why != nullptr) *why = "empty password hash";
    return false;
  }
  if (hash.substr(0, 5) == "{SHA}") {
    if (why != nullptr) *why = "unsalted {SHA} hashes are not supported";
    return false;
  }
  if (hash.substr(0, 6) == "$apr1$") {
    // "$apr1$" salt (1 to 8 characters) "$" 22 characters.
    std::string_view rest = hash.substr(6);
    size_t dollar = rest.find('$');
    if (dollar == std::string_view::npos || dollar == 0 || dollar > 8 ||
        rest.size() - dollar - 1 != 22 || !allCryptChars(rest.substr(dollar + 1))) {
      if (why != nullptr) *why = "malformed $apr1$ hash";
      return false;
    }
    return true;
  }
  if (hash[0] == '$') {
    // "$id$...$checksum": the method must be one libxcrypt enables, and a stored hash has
    // a checksum after its last '$' (a bare setting such as "$6$salt$" is not a hash).
    size_t last = hash.rfind('$');
    if (last == 0 || last + 1 == hash.size()) {
      if (why != nullptr) *why = "malformed hash";
      return false;
    }
    return saltUsable(std::string(hash), why);
  }
  if (hash.size() == 13 && allCryptChars(hash)) return saltUsable(std::string(hash), why);
  if (why != nullptr)
    *why = "not a supported password hash (plain-text passwords are not accepted)";
  return false;
}

std::shared_ptr<const PasswordFile> PasswordFile::parse(std::string_view text, std::string name) {
  auto file = std::make_shared<PasswordFile>();
  file->path_ = std::move(name);
  Report& report = file->report_;
  auto skip = [&report](int line, const std::string& why) {
    report.skipped++;
    if (report.problems.size() < kMaxProblems) {
      report.problems.push_back("line " + std::to_string(line) + ": " + why);
    }
  };
  int line_no = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || isOws(line.back()))) line.remove_suffix(1);
    std::string_view content = trimOws(line);
    if (content.empty() || content[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      skip(line_no, "no ':' between user and password hash");
      continue;
    }
    std::string_view user = line.substr(0, colon);
    std::string_view hash = line.substr(colon + 1);
    hash = hash.substr(0, hash.find(':'));
    if (user.empty()) {
      skip(line_no, "empty user name");
      continue;
    }
    std::string why;
    if (!supportedHash(hash, &why)) {
      skip(line_no, why + " (user \"" + std::string(user) + "\")");
      continue;
    }
    if (file->exact_.count(std::string(user)) != 0) {
      skip(line_no, "user \"" + std::string(user) + "\" already defined; this line is ignored");
      continue;
    }
    size_t index = file->entries_.size();
    file->entries_.push_back(Entry{std::string(user), std::string(hash)});
    file->exact_.emplace(user, index);
    file->folded_.emplace(toLower(user), index);  // keeps the first one
  }
  report.users = file->entries_.size();
  return file;
}

Result<std::shared_ptr<const PasswordFile>> PasswordFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, Side::kConfig,
                 "cannot read password file " + path + ": " + std::strerror(err));
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0 || !in) {
    return Error(ErrorCode::kIo, Side::kConfig, "cannot read password file " + path);
  }
  if (static_cast<uint64_t>(size) > kMaxFileSize) {
    return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                 "password file " + path + " is larger than 64 MB");
  }
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) {
    return Error(ErrorCode::kIo, Side::kConfig, "cannot read password file " + path);
  }
  return parse(text, path);
}

const PasswordFile::Entry* PasswordFile::find(std::string_view user, bool case_sensitive) const {
  if (case_sensitive) {
    auto it = exact_.find(std::string(user));
    return it == exact_.end() ? nullptr : &entries_[it->second];
  }
  auto it = folded_.find(toLower(user));
  return it == folded_.end() ? nullptr : &entries_[it->second];
}

bool PasswordFile::contains(std::string_view user, bool case_sensitive) const {
  return find(user, case_sensitive) != nullptr;
}

bool PasswordFile::verify(std::string_view user, std::string_view password,
                          bool case_sensitive) const {
  const Entry* entry = find(user, case_sensitive);
  if (entry == nullptr) return false;
  // crypt() takes C strings: a NUL would cut the password short.
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string& hash = entry->hash;
  if (hash.compare(0, 6, "$apr1$") == 0) return sameSecret(md5Crypt(password, hash), hash);
  // crypt_data is 32 KB: not on a thread pool thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* computed = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  bool ok = computed != nullptr && computed[0] != '*' && sameSecret(computed, hash);
  explicit_bzero(data.get(), sizeof(crypt_data));
  explicit_bzero(pw.data(), pw.size());
  return ok;
}

}  // namespace cuttle::proxy
