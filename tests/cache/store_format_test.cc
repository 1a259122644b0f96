// Tests of cache/store_format.cc: checksums, record encodings, key order.
#include "cache/store_format.h"

#include <gtest/gtest.h>

#include <random>

namespace cuttle::cache::store_format {
namespace {

StoredObject::Init sampleInit() {
  StoredObject::Init init;
  init.url = "http://example.com/a?b=c";
  init.variant = "gzip";
  init.vary = "accept-encoding";
  init.status = 203;
  init.reason = "Non-Authoritative Information";
  init.fields = "Content-Type: text/html\r\nETag: \"x\"\r\n";
  init.request_time = 1700000000;
  init.response_time = -5;  // negative times survive too
  init.body_size = 3 * kChunkSize + 17;
  return init;
}

TEST(StoreFormat, ChecksumIsXxh64) {
  // Published XXH64 test values.
  EXPECT_EQ(checksum64("", 0, 0), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(checksum64("a", 1, 0), 0xD24EC4F1A98C6E5Bull);
}

TEST(StoreFormat, ChecksumDetectsEveryFlippedBit) {
  std::mt19937_64 rng(42);
  for (size_t len : {1u, 7u, 31u, 32u, 33u, 100u, 4096u}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const uint64_t sum = checksum64(data.data(), len, 9);
    EXPECT_NE(sum, checksum64(data.data(), len, 10)) << "seed must matter";
    for (size_t bit = 0; bit < len * 8; bit += (len > 64 ? 61 : 1)) {
      std::string flipped = data;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      EXPECT_NE(sum, checksum64(flipped.data(), len, 9)) << len << " " << bit;
    }
  }
}

TEST(StoreFormat, ChunkGeometry) {
  EXPECT_EQ(chunkCount(0), 0u);
  EXPECT_EQ(chunkCount(1), 1u);
  EXPECT_EQ(chunkCount(kChunkSize), 1u);
  EXPECT_EQ(chunkCount(kChunkSize + 1), 2u);
  EXPECT_EQ(chunkLength(kChunkSize + 1, 0), kChunkSize);
  EXPECT_EQ(chunkLength(kChunkSize + 1, 1), 1u);
  EXPECT_EQ(chunkLength(kChunkSize + 1, 2), 0u);
  ObjectKey k{1, 2};
  EXPECT_NE(chunkSeed(k, 0), chunkSeed(k, 1));
  EXPECT_NE(chunkSeed(k, 0), chunkSeed(ObjectKey{1, 3}, 0));
}

TEST(StoreFormat, MetaRoundTrip) {
  StoredObject::Init init = sampleInit();
  std::vector<uint64_t> sums = {1, 2, 3, 0xffffffffffffffffull};
  std::string encoded = encodeMeta(init, sums);
  MetaRecord meta;
  ASSERT_TRUE(decodeMeta(encoded, &meta));
  EXPECT_EQ(meta.init.url, init.url);
  EXPECT_EQ(meta.init.variant, init.variant);
  EXPECT_EQ(meta.init.vary, init.vary);
  EXPECT_EQ(meta.init.status, 203);
  EXPECT_EQ(meta.init.reason, init.reason);
  EXPECT_EQ(meta.init.fields, init.fields);
  EXPECT_EQ(meta.init.request_time, init.request_time);
  EXPECT_EQ(meta.init.response_time, -5);
  EXPECT_EQ(meta.init.body_size, init.body_size);
  EXPECT_EQ(meta.chunk_sums, sums);
}

TEST(StoreFormat, MetaDecodeRejectsTruncationAndDamage) {
  std::string encoded = encodeMeta(sampleInit(), {1, 2, 3, 4});
  MetaRecord meta;
  // Every prefix: a copy in a buffer of its own size, so that ASan sees any over-read.
  for (size_t n = 0; n < encoded.size(); ++n) {
    auto buffer = std::make_unique<char[]>(n + 1);
    std::copy(encoded.begin(), encoded.begin() + static_cast<long>(n), buffer.get());
    EXPECT_FALSE(decodeMeta(std::string_view(buffer.get(), n), &meta)) << n;
  }
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::string damaged = encoded;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    std::string why;
    EXPECT_FALSE(decodeMeta(damaged, &meta, &why)) << i;
    EXPECT_FALSE(why.empty());
  }
  // A chunk count that does not match the size, correctly sealed: rejected by the checks.
  EXPECT_FALSE(decodeMeta(encodeMeta(sampleInit(), {1, 2}), &meta));
}

TEST(StoreFormat, MetaDecodeSurvivesGarbage) {
  std::mt19937_64 rng(7);
  MetaRecord meta;
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    EXPECT_FALSE(decodeMeta(junk, &meta));
    std::string url;
    std::string vary;
    EXPECT_FALSE(decodeVary(junk, &url, &vary));
    Counters c;
    EXPECT_FALSE(decodeCounters(junk, &c));
  }
}

TEST(StoreFormat, VaryCountersEvictRoundTrip) {
  std::string url;
  std::string vary;
  ASSERT_TRUE(decodeVary(encodeVary("http://a/", "accept, cookie"), &url, &vary));
  EXPECT_EQ(url, "http://a/");
  EXPECT_EQ(vary, "accept, cookie");

  Counters c{1, 2, 3, 4, 5, 6, 7};
  Counters d;
  ASSERT_TRUE(decodeCounters(encodeCounters(c), &d));
  EXPECT_EQ(c, d);

  EvictRecord e{QueueId::kMain, 3, 99, 12345};
  EvictRecord f;
  ASSERT_TRUE(decodeEvict(encodeEvict(e), &f));
  EXPECT_EQ(f.queue, QueueId::kMain);
  EXPECT_EQ(f.freq, 3);
  EXPECT_EQ(f.seq, 99u);
  EXPECT_EQ(f.charge, 12345u);
  EXPECT_FALSE(decodeEvict(encodeEvict(e).substr(1), &f));
  EXPECT_FALSE(decodeEvict(encodeEvict(EvictRecord{QueueId::kGhost, 0, 1, 1}), &f));
}

TEST(StoreFormat, SchemaCheck) {
  std::string why;
  EXPECT_TRUE(checkSchema(encodeSchema(kSchemaVersion), &why));
  EXPECT_FALSE(checkSchema(encodeSchema(kSchemaVersion + 1), &why));
  EXPECT_NE(why.find("schema version"), std::string::npos);
  EXPECT_FALSE(checkSchema("cuttle", &why));
}

TEST(StoreFormat, KeysSortInSequence) {
  ObjectKey k{5, 6};
  EXPECT_LT(bodyKey(k, 1), bodyKey(k, 2));
  EXPECT_LT(bodyKey(k, 255), bodyKey(k, 256));
  EXPECT_LT(queueKey(QueueId::kSmall, 255), queueKey(QueueId::kSmall, 256));
  EXPECT_LT(queueKey(QueueId::kMain, 1ull << 40), queueKey(QueueId::kSmall, 1));
  QueueId q;
  uint64_t seq = 0;
  ASSERT_TRUE(decodeQueueKey(queueKey(QueueId::kGhost, 77), &q, &seq));
  EXPECT_EQ(q, QueueId::kGhost);
  EXPECT_EQ(seq, 77u);
  EXPECT_EQ(variantIndexKey(ObjectKey::forUrl("u"), k).substr(0, 16),
            ObjectKey::forUrl("u").bytes());
}

}  // namespace
}  // namespace cuttle::cache::store_format
