#include "common/header_list.h"

#include "common/strings.h"

namespace cuttle {

std::string_view HeaderList::own(std::string_view s) {
  storage_.emplace_front(s);
  return storage_.front();
}

void HeaderList::add(std::string_view name, std::string_view value) {
  fields_.push_back(HeaderField{name, value, lookupHeaderId(name)});
}

void HeaderList::add(HeaderId id, std::string_view name, std::string_view value) {
  fields_.push_back(HeaderField{name, value, id});
}

void HeaderList::addCopy(std::string_view name, std::string_view value) {
  HeaderId id = lookupHeaderId(name);
  fields_.push_back(HeaderField{own(name), own(value), id});
}

void HeaderList::addCopy(HeaderId id, std::string_view value) {
  fields_.push_back(HeaderField{headerName(id), own(value), id});
}

void HeaderList::set(HeaderId id, std::string_view value) {
  std::string_view v = own(value);
  bool placed = false;
  std::erase_if(fields_, [&](HeaderField& f) {
    if (f.id != id) return false;
    if (placed) return true;
    f.value = v;
    placed = true;
    return false;
  });
  if (!placed) fields_.push_back(HeaderField{headerName(id), v, id});
}

HeaderList HeaderList::clone() const {
  HeaderList out;
  out.fields_.reserve(fields_.size());
  for (const HeaderField& f : fields_) {
    // Spelled like the canonical name: share the static canonical string (f.name itself
    // may point into the original's buffer, which the clone must not depend on).
    std::string_view name = f.id != HeaderId::kOther && f.name == headerName(f.id)
                                ? headerName(f.id)
                                : out.own(f.name);
    out.fields_.push_back(HeaderField{name, out.own(f.value), f.id});
  }
  return out;
}

size_t HeaderList::count(HeaderId id) const {
  size_t n = 0;
  for (const HeaderField& f : fields_) n += f.id == id;
  return n;
}

const HeaderField* HeaderList::find(HeaderId id) const {
  for (const HeaderField& f : fields_) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const HeaderField* HeaderList::find(std::string_view name) const {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

std::string_view HeaderList::get(HeaderId id) const {
  const HeaderField* f = find(id);
  return f ? f->value : std::string_view();
}

std::string HeaderList::joined(HeaderId id) const {
  std::string out;
  for (const HeaderField& f : fields_) {
    if (f.id != id) continue;
    if (!out.empty()) out += ", ";
    out += f.value;
  }
  return out;
}

bool HeaderList::hasToken(HeaderId id, std::string_view token) const {
  for (const HeaderField& f : fields_) {
    if (f.id == id && listContains(f.value, token)) return true;
  }
  return false;
}

void HeaderList::remove(HeaderId id) {
  std::erase_if(fields_, [id](const HeaderField& f) { return f.id == id; });
}

void HeaderList::remove(std::string_view name) {
  std::erase_if(fields_, [name](const HeaderField& f) { return iequals(f.name, name); });
}

void HeaderList::serialize(std::string& out) const {
  for (const HeaderField& f : fields_) {
    out.append(f.name);
    out.append(": ", 2);
    out.append(f.value);
    out.append("\r\n", 2);
  }
}

size_t HeaderList::serializedSize() const {
  size_t n = 0;
  for (const HeaderField& f : fields_) n += f.name.size() + f.value.size() + 4;
  return n;
}

}  // namespace cuttle
