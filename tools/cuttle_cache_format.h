// Output helpers for cuttle-cache: durations, times, sizes, Vary variants, a JSON writer and
// text tables. Pure functions of their arguments; nothing here touches the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle::tools {

// "0s", "45s", "5m07s", "3h02m", "2d03h"; negative values get a leading '-'.
std::string formatDuration(int64_t seconds);
// "2024-05-01T10:00:00Z" (UTC).
std::string formatTime(int64_t unix_seconds);
// "512 B", "12.1 KiB", "3.0 MiB", "1.5 GiB".
std::string formatBytes(uint64_t bytes);
// A secondary key (cache/policy.h secondaryKey(): "name:value\n" per Vary member, "name\n"
// when the request had no such field) for people: "accept-encoding=gzip, user-agent
// absent". "" for the empty key.
std::string describeVariant(std::string_view variant);

// A minimal streaming JSON writer: objects, arrays, strings (escaped per RFC 8259),
// numbers, booleans and null. The caller keeps the nesting right; commas are its business.
class JsonWriter {
 public:
  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  // The key of the next member of the current object.
  JsonWriter& key(std::string_view name);
  void string(std::string_view s);
  void number(int64_t n);
  void unsignedNumber(uint64_t n);
  // A finite number with up to 6 significant digits ("0.0123").
  void decimal(double d);
  void boolean(bool b);
  void null();
  // The text so far, and a final newline when `done`.
  std::string take();

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// A text table: columns padded to their widest cell, two spaces apart; the last column is
// not padded (URLs, which vary most, go there).
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t rows() const { return rows_.size() - 1; }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace cuttle::tools
