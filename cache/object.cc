#include "cache/object.h"

#include <cstring>

namespace cuttle::cache {
namespace {

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void put64be(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t get64be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void hash128(std::string_view data, uint64_t seed, uint64_t* out_hi, uint64_t* out_lo) {
  const uint64_t c1 = 0x87c37b91114253d5ull;
  const uint64_t c2 = 0x4cf5ad432745937full;
  uint64_t h1 = seed;
  uint64_t h2 = seed;
  const size_t nblocks = data.size() / 16;
  const char* p = data.data();
  for (size_t i = 0; i < nblocks; ++i) {
    uint64_t k1 = load64(p + i * 16);
    uint64_t k2 = load64(p + i * 16 + 8);
    k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1;
    h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
    k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2;
    h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = reinterpret_cast<const unsigned char*>(p + nblocks * 16);
  uint64_t k1 = 0;
  uint64_t k2 = 0;
  const size_t rest = data.size() & 15;
  for (size_t i = rest; i > 8; --i) k2 ^= static_cast<uint64_t>(tail[i - 1]) << ((i - 9) * 8);
  if (rest > 8) {
    k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2;
  }
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 ^= static_cast<uint64_t>(tail[i - 1]) << ((i - 1) * 8);
  if (rest > 0) {
    k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1;
  }
  h1 ^= data.size();
  h2 ^= data.size();
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  *out_hi = h1;
  *out_lo = h2;
}

ObjectKey ObjectKey::forUrl(std::string_view url) {
  ObjectKey k;
  hash128(url, 0x5eed0001, &k.hi, &k.lo);
  return k;
}

ObjectKey ObjectKey::forVariant(std::string_view url, std::string_view variant) {
  std::string s;
  s.reserve(url.size() + variant.size() + 1);
  s.append(url);
  s.push_back('\0');
  s.append(variant);
  ObjectKey k;
  hash128(s, 0x5eed0002, &k.hi, &k.lo);
  return k;
}

std::string ObjectKey::bytes() const {
  std::string out(16, '\0');
  put64be(out.data(), hi);
  put64be(out.data() + 8, lo);
  return out;
}

ObjectKey ObjectKey::fromBytes(std::string_view b) {
  ObjectKey k;
  if (b.size() >= 16) {
    k.hi = get64be(b.data());
    k.lo = get64be(b.data() + 8);
  }
  return k;
}

std::string ObjectKey::hex() const {
  char buf[33];
  snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(hi),
           static_cast<unsigned long long>(lo));
  return buf;
}

StoredObject::StoredObject(Init init) : init_(std::move(init)) {
  key_ = ObjectKey::forVariant(init_.url, init_.variant);
}

std::shared_ptr<StoredObject> StoredObject::create(Init init) {
  std::shared_ptr<StoredObject> o(new StoredObject(std::move(init)));
  // Parse "Name: value\r\n" lines; views point into o->init_.fields, which never moves again.
  std::string_view rest = o->init_.fields;
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) return nullptr;
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return nullptr;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    o->headers_.add(line.substr(0, colon), value);
  }
  return o;
}

bool StoredObject::bodyLoaded() const {
  uint64_t n = 0;
  for (const Chunk& c : init_.body) n += c->size();
  return n == init_.body_size;
}

uint64_t StoredObject::footprint() const {
  uint64_t n = sizeof(StoredObject) + init_.url.size() + init_.variant.size() + init_.vary.size() +
               init_.reason.size() + init_.fields.size() + headers_.size() * sizeof(HeaderField);
  for (const Chunk& c : init_.body) n += c->capacity() + 48;  // what the allocator holds
  return n;
}

}  // namespace cuttle::cache
