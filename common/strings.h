// Small string helpers for HTTP tokens: ASCII case folding, OWS trimming, list splitting
// and strict number parsing. Everything works on views and never allocates unless the
// function returns a std::string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cuttle {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive equality (HTTP field names, tokens, schemes).
bool iequals(std::string_view a, std::string_view b);
bool istartsWith(std::string_view s, std::string_view prefix);
std::string toLower(std::string_view s);

inline bool isOws(char c) { return c == ' ' || c == '\t'; }
// tchar of RFC 9110 5.6.2.
bool isTchar(char c);
bool isToken(std::string_view s);
std::string_view trimOws(std::string_view s);

// Iterates the elements of a comma-separated list (RFC 9110 5.6.1), skipping empty
// elements and trimming OWS. Commas inside quoted strings do not split. Returns false when
// the list is exhausted.
class ListIterator {
 public:
  explicit ListIterator(std::string_view list) : rest_(list) {}
  bool next(std::string_view* element);

 private:
  std::string_view rest_;
};

// True if the comma-separated list contains token (case-insensitive).
bool listContains(std::string_view list, std::string_view token);

// 1*DIGIT, no sign, no whitespace, no overflow. nullopt otherwise.
std::optional<uint64_t> parseDecimal(std::string_view s);
// 1*HEXDIG, no overflow.
std::optional<uint64_t> parseHex(std::string_view s);

// RFC 4648 base64 with padding.
std::string base64Encode(std::string_view data);

void appendDecimal(std::string& out, uint64_t v);
void appendHex(std::string& out, uint64_t v);

}  // namespace cuttle
