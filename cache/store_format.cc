#include "cache/store_format.h"

#include <bit>
#include <cstring>

namespace cuttle::cache::store_format {
namespace {

constexpr uint8_t kMetaFormat = 1;
constexpr uint8_t kVaryFormat = 1;
constexpr uint8_t kCountersFormat = 1;
constexpr uint64_t kRecordSeed = 0x63757474'6c652121ull;  // "cuttle!!"
constexpr std::string_view kSchemaMagic{"cuttle-store\0", 13};

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ull;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint32_t read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

uint64_t lane(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  acc = rotl(acc, 31);
  return acc * kP1;
}

uint64_t mergeLane(uint64_t h, uint64_t v) {
  h ^= lane(0, v);
  return h * kP1 + kP4;
}

// Appends fixed-width little-endian integers and length-prefixed strings.
class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { fixed(v, 2); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void seal() { u64(checksum64(out_.data(), out_.size(), kRecordSeed)); }
  std::string take() { return std::move(out_); }

 private:
  void fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Reads what Writer wrote; every read checks the remaining length first, and a failed read
// makes every later one fail too.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t* v) { return fixed(v, 1); }
  bool u16(uint16_t* v) { return fixed(v, 2); }
  bool u32(uint32_t* v) { return fixed(v, 4); }
  bool u64(uint64_t* v) { return fixed(v, 8); }
  bool str(std::string* s) {
    uint32_t n = 0;
    if (!u32(&n) || n > in_.size() - pos_) return ok_ = false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  // The record checksum: the last 8 bytes, over everything before them.
  static bool sealed(std::string_view in) {
    if (in.size() < 8) return false;
    uint64_t stored = read64(reinterpret_cast<const unsigned char*>(in.data() + in.size() - 8));
    return stored == checksum64(in.data(), in.size() - 8, kRecordSeed);
  }

 private:
  template <typename T>
  bool fixed(T* v, size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return ok_ = false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) {
      x |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    *v = static_cast<T>(x);
    pos_ += n;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool fail(std::string* why, const char* reason) {
  if (why) *why = reason;
  return false;
}

void putBigEndian(std::string* out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

uint64_t checksum64(const void* data, size_t len, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v1 = seed + kP1 + kP2;
    uint64_t v2 = seed + kP2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kP1;
    for (; end - p >= 32; p += 32) {
      v1 = lane(v1, read64(p));
      v2 = lane(v2, read64(p + 8));
      v3 = lane(v3, read64(p + 16));
      v4 = lane(v4, read64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = mergeLane(mergeLane(mergeLane(mergeLane(h, v1), v2), v3), v4);
  } else {
    h = seed + kP5;
  }
  h += static_cast<uint64_t>(len);
  for (; end - p >= 8; p += 8) {
    h ^= lane(0, read64(p));
    h = rotl(h, 27) * kP1 + kP4;
  }
  if (end - p >= 4) {
    h ^= static_cast<uint64_t>(read32(p)) * kP1;
    h = rotl(h, 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p) {
    h ^= static_cast<uint64_t>(*p) * kP5;
    h = rotl(h, 11) * kP1;
  }
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

uint64_t chunkSeed(const ObjectKey& key, uint32_t index) {
  return key.hi ^ rotl(key.lo, 17) ^ (static_cast<uint64_t>(index) * kP3);
}

uint32_t chunkCount(uint64_t body_size) {
  return static_cast<uint32_t>((body_size + kChunkSize - 1) / kChunkSize);
}

uint64_t chunkLength(uint64_t body_size, uint32_t index) {
  uint64_t start = static_cast<uint64_t>(index) * kChunkSize;
  if (start >= body_size) return 0;
  return std::min(kChunkSize, body_size - start);
}

std::string encodeMeta(const StoredObject::Init& init, const std::vector<uint64_t>& chunk_sums) {
  Writer w(64 + init.url.size() + init.variant.size() + init.vary.size() + init.reason.size() +
           init.fields.size() + chunk_sums.size() * 8);
  w.u8(kMetaFormat);
  w.u8(0);
  w.u16(static_cast<uint16_t>(init.status));
  w.u32(static_cast<uint32_t>(chunk_sums.size()));
  w.u64(static_cast<uint64_t>(init.request_time));
  w.u64(static_cast<uint64_t>(init.response_time));
  w.u64(init.body_size);
  w.str(init.url);
  w.str(init.variant);
  w.str(init.vary);
  w.str(init.reason);
  w.str(init.fields);
  for (uint64_t sum : chunk_sums) w.u64(sum);
  w.seal();
  return w.take();
}

bool decodeMeta(std::string_view value, MetaRecord* out, std::string* why) {
  if (!Reader::sealed(value)) return fail(why, "metadata checksum mismatch");
  Reader r(value.substr(0, value.size() - 8));
  uint8_t format = 0;
  uint8_t flags = 0;
  uint16_t status = 0;
  uint32_t chunks = 0;
  uint64_t request_time = 0;
  uint64_t response_time = 0;
  StoredObject::Init& init = out->init;
  r.u8(&format);
  r.u8(&flags);
  if (r.ok() && format != kMetaFormat) return fail(why, "unknown metadata format");
  r.u16(&status);
  r.u32(&chunks);
  r.u64(&request_time);
  r.u64(&response_time);
  r.u64(&init.body_size);
  r.str(&init.url);
  r.str(&init.variant);
  r.str(&init.vary);
  r.str(&init.reason);
  r.str(&init.fields);
  if (!r.ok()) return fail(why, "metadata record too short");
  if (status < 100 || status > 999) return fail(why, "bad status in metadata");
  if (chunks != chunkCount(init.body_size)) return fail(why, "chunk count does not match size");
  if (r.remaining() != static_cast<size_t>(chunks) * 8) return fail(why, "bad metadata length");
  init.status = status;
  init.request_time = static_cast<int64_t>(request_time);
  init.response_time = static_cast<int64_t>(response_time);
  init.body.clear();
  out->chunk_sums.resize(chunks);
  for (uint64_t& sum : out->chunk_sums) r.u64(&sum);
  return r.ok();
}

std::string encodeVary(std::string_view url, std::string_view vary) {
  Writer w(24 + url.size() + vary.size());
  w.u8(kVaryFormat);
  w.str(url);
  w.str(vary);
  w.seal();
  return w.take();
}

bool decodeVary(std::string_view value, std::string* url, std::string* vary) {
  if (!Reader::sealed(value)) return false;
  Reader r(value.substr(0, value.size() - 8));
  uint8_t format = 0;
  return r.u8(&format) && format == kVaryFormat && r.str(url) && r.str(vary) && r.remaining() == 0;
}

std::string encodeEvict(const EvictRecord& e) {
  Writer w(18);
  w.u8(static_cast<uint8_t>(e.queue));
  w.u8(e.freq);
  w.u64(e.seq);
  w.u64(e.charge);
  return w.take();
}

bool decodeEvict(std::string_view value, EvictRecord* out) {
  if (value.size() != 18) return false;
  Reader r(value);
  uint8_t queue = 0;
  r.u8(&queue);
  r.u8(&out->freq);
  r.u64(&out->seq);
  r.u64(&out->charge);
  out->queue = static_cast<QueueId>(queue);
  return r.ok() && (out->queue == QueueId::kSmall || out->queue == QueueId::kMain) &&
         out->freq <= 3;
}

std::string encodeSchema(uint32_t version) {
  Writer w(20);
  std::string out(kSchemaMagic);
  w.u32(version);
  return out + w.take();
}

bool checkSchema(std::string_view value, std::string* why) {
  if (value.size() != kSchemaMagic.size() + 4 ||
      value.substr(0, kSchemaMagic.size()) != kSchemaMagic) {
    return fail(why, "not a cuttle store (bad schema record)");
  }
  Reader r(value.substr(kSchemaMagic.size()));
  uint32_t version = 0;
  r.u32(&version);
  if (version != kSchemaVersion) {
    if (why)
      *why = "schema version " + std::to_string(version) + ", expected " +
             std::to_string(kSchemaVersion);
    return false;
  }
  return true;
}

std::string encodeCounters(const Counters& c) {
  Writer w(72);
  w.u8(kCountersFormat);
  for (uint64_t v :
       {c.bytes, c.objects, c.small_bytes, c.main_bytes, c.ghosts, c.next_seq, c.evictions}) {
    w.u64(v);
  }
  w.seal();
  return w.take();
}

bool decodeCounters(std::string_view value, Counters* out) {
  if (!Reader::sealed(value)) return false;
  Reader r(value.substr(0, value.size() - 8));
  uint8_t format = 0;
  if (!r.u8(&format) || format != kCountersFormat) return false;
  for (uint64_t* v : {&out->bytes, &out->objects, &out->small_bytes, &out->main_bytes, &out->ghosts,
                      &out->next_seq, &out->evictions}) {
    r.u64(v);
  }
  return r.ok() && r.remaining() == 0;
}

std::string bodyKey(const ObjectKey& key, uint32_t index) {
  std::string out = key.bytes();
  putBigEndian(&out, index, 4);
  return out;
}

std::string variantIndexKey(const ObjectKey& url_key, const ObjectKey& key) {
  return url_key.bytes() + key.bytes();
}

std::string queueKey(QueueId queue, uint64_t seq) {
  std::string out(1, static_cast<char>(queue));
  putBigEndian(&out, seq, 8);
  return out;
}

bool decodeQueueKey(std::string_view key, QueueId* queue, uint64_t* seq) {
  if (key.size() != 9) return false;
  *queue = static_cast<QueueId>(static_cast<uint8_t>(key[0]));
  uint64_t v = 0;
  for (size_t i = 1; i < 9; ++i) v = (v << 8) | static_cast<unsigned char>(key[i]);
  *seq = v;
  return true;
}

uint64_t objectCharge(uint64_t meta_len, uint64_t body_size) {
  // Records: meta, evict, queue, urlvariants, one per chunk; the vary record is shared by
  // the variants of a URL and charged to none.
  uint64_t records = 4 + chunkCount(body_size);
  return meta_len + 16 + body_size + records * (kRecordOverhead + 16);
}

}  // namespace cuttle::cache::store_format
