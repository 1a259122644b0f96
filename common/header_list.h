// HeaderList: the fields of one HTTP message in received order, duplicates kept, original
// spelling kept.
//
// Fields are views. add() stores views the caller keeps alive (normally into the message's
// own raw head buffer, see message.h); addCopy() copies into storage owned by the list.
// Moving a HeaderList keeps every view valid. Copying is deliberately not offered: a copy
// would share views with the original's storage.
#pragma once

#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/header_id.h"

namespace cuttle {

struct HeaderField {
  std::string_view name;
  std::string_view value;
  HeaderId id = HeaderId::kOther;
};

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(HeaderList&&) noexcept = default;
  HeaderList& operator=(HeaderList&&) noexcept = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  // Appends a field whose name and value outlive the list (caller's storage).
  void add(std::string_view name, std::string_view value);
  void add(HeaderId id, std::string_view name, std::string_view value);
  // Appends a field, copying name and value into the list's own storage.
  void addCopy(std::string_view name, std::string_view value);
  // Appends a known field with its canonical name; the value is copied.
  void addCopy(HeaderId id, std::string_view value);
  // Replaces every field with this id by one field holding value (copied), at the position
  // of the first one, or appends it.
  void set(HeaderId id, std::string_view value);

  // Deep copy: every view in the result points into the result's own storage.
  HeaderList clone() const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const HeaderField& operator[](size_t i) const { return fields_[i]; }
  std::vector<HeaderField>::const_iterator begin() const { return fields_.begin(); }
  std::vector<HeaderField>::const_iterator end() const { return fields_.end(); }

  bool has(HeaderId id) const { return find(id) != nullptr; }
  size_t count(HeaderId id) const;
  const HeaderField* find(HeaderId id) const;
  // Case-insensitive lookup by name, for fields without an id.
  const HeaderField* find(std::string_view name) const;
  // The first value with this id, or empty.
  std::string_view get(HeaderId id) const;
  // All values with this id joined by ", " (RFC 9110 5.3). Set-Cookie must not be joined.
  std::string joined(HeaderId id) const;
  // True if any field with this id has token in its comma-separated list.
  bool hasToken(HeaderId id, std::string_view token) const;

  void remove(HeaderId id);
  void remove(std::string_view name);
  template <typename Pred>
  void removeIf(Pred pred) {
    std::erase_if(fields_, pred);
  }

  // Appends "Name: value\r\n" for every field.
  void serialize(std::string& out) const;
  size_t serializedSize() const;

 private:
  std::string_view own(std::string_view s);

  std::vector<HeaderField> fields_;
  std::forward_list<std::string> storage_;  // nodes never move: views into them stay valid
};

}  // namespace cuttle
