// Helpers for the store tests: temporary directories, objects with known bodies.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cache/object.h"
#include "cache/store.h"

namespace cuttle::cache::store_testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/cuttle-store-XXXXXX";
    if (!mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic bytes: the body of generation `seed`, `size` bytes long.
inline std::string patternBody(uint64_t seed, uint64_t size) {
  std::string out(size, '\0');
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x1234567ull;
  for (uint64_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>('a' + (x % 26));
  }
  return out;
}

// An object whose body is split into pieces of `piece` bytes (not kChunkSize: the store
// re-chunks).
inline ObjectPtr makeObject(const std::string& url, const std::string& body,
                            const std::string& fields = "Content-Type: text/plain\r\n",
                            const std::string& variant = "", const std::string& vary = "",
                            uint64_t piece = 10000) {
  StoredObject::Init init;
  init.url = url;
  init.variant = variant;
  init.vary = vary;
  init.status = 200;
  init.reason = "OK";
  init.fields = fields;
  init.request_time = 1700000000;
  init.response_time = 1700000001;
  init.body_size = body.size();
  for (uint64_t pos = 0; pos < body.size(); pos += piece) {
    init.body.push_back(std::make_shared<const std::string>(body.substr(pos, piece)));
  }
  return StoredObject::create(std::move(init));
}

inline std::string bodyOf(const ObjectPtr& object) {
  std::string out;
  for (const auto& c : object->body()) out += *c;
  return out;
}

inline std::unique_ptr<Store> openStore(const std::string& path, uint64_t max_bytes,
                                        bool read_only = false) {
  StoreOptions options;
  options.path = path;
  options.max_bytes = max_bytes;
  options.read_only = read_only;
  auto store = Store::open(options);
  if (!store) {
    ADD_FAILURE() << "open " << path << ": " << store.error().cause;
    return nullptr;
  }
  return std::move(store.value());
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

}  // namespace cuttle::cache::store_testing
