// Tests of cache/store*.cc: put, load, vary, remove, updates, streaming, persistence.
#include "cache/store.h"

#include <gtest/gtest.h>

#include "tests/cache/store_test_util.h"

namespace cuttle::cache {
namespace {

using store_testing::bodyOf;
using store_testing::makeObject;
using store_testing::openStore;
using store_testing::patternBody;
using store_testing::TempDir;

constexpr uint64_t kStoreSize = 64ull << 20;

TEST(Store, PutFlushLoad) {
  TempDir dir;
  auto store = openStore(dir.path() + "/nested/cache", kStoreSize);  // created with parents
  ASSERT_TRUE(store);
  auto reader = store->reader();
  std::string body = patternBody(1, 12345);
  store->put(makeObject("http://a/x", body, "Content-Type: text/plain\r\nETag: \"1\"\r\n"));
  store->flush();
  ObjectPtr o = reader->load("http://a/x", "", true, 1 << 20);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status(), 200);
  EXPECT_EQ(o->reason(), "OK");
  EXPECT_EQ(o->fields(), "Content-Type: text/plain\r\nETag: \"1\"\r\n");
  EXPECT_EQ(o->headers().size(), 2u);
  EXPECT_EQ(o->requestTime(), 1700000000);
  EXPECT_EQ(o->responseTime(), 1700000001);
  EXPECT_EQ(o->bodySize(), body.size());
  EXPECT_EQ(bodyOf(o), body);
  EXPECT_EQ(reader->vary("http://a/x"), std::optional<std::string>(""));
  EXPECT_FALSE(reader->load("http://a/y", "", true, 1 << 20));
  EXPECT_FALSE(reader->load("http://a/x", "gzip", true, 1 << 20));
  EXPECT_FALSE(reader->vary("http://a/y"));
  StoreStats st = store->stats();
  EXPECT_EQ(st.objects, 1u);
  EXPECT_GT(st.bytes, body.size());
  EXPECT_GE(st.commits, 1u);
  EXPECT_EQ(st.write_errors, 0u);
  EXPECT_EQ(st.queue_depth, 0u);
  EXPECT_TRUE(store->verify().ok());
}

TEST(Store, EmptyBody) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  store->put(makeObject("http://a/empty", ""));
  store->flush();
  ObjectPtr o = reader->load("http://a/empty", "", true, 1 << 20);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->bodySize(), 0u);
  EXPECT_TRUE(o->bodyLoaded());
  EXPECT_TRUE(store->verify().ok());
}

// Queued operations are visible at once, before (or after: either way) their commit.
TEST(Store, QueuedWritesAreVisibleBeforeFlush) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  for (int i = 0; i < 50; ++i) {
    std::string url = "http://a/" + std::to_string(i);
    store->put(makeObject(url, patternBody(i, 20000)));
    ObjectPtr o = reader->load(url, "", true, 1 << 20);
    ASSERT_TRUE(o) << i;
    EXPECT_EQ(bodyOf(o), patternBody(i, 20000));
    EXPECT_TRUE(reader->vary(url));
  }
  store->flush();
  for (int i = 0; i < 50; ++i) {
    std::string url = "http://a/" + std::to_string(i);
    store->remove(url);
    EXPECT_FALSE(reader->load(url, "", true, 1 << 20)) << i;
    EXPECT_FALSE(reader->vary(url)) << i;
    // A put after the removal is visible, the removal still hides older variants.
    store->put(makeObject(url, "again", "A: b\r\n", "v2", "accept"));
    EXPECT_TRUE(reader->load(url, "v2", true, 1 << 20));
    EXPECT_EQ(reader->vary(url), std::optional<std::string>("accept"));
  }
  store->flush();
  EXPECT_EQ(store->stats().objects, 50u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, RemoveHidesQueuedPutsOfTheUrl) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  const std::string url = "http://a/rq";
  store->put(makeObject(url, "on disk", "A: 1\r\n", "gzip", "accept-encoding"));
  store->flush();
  store->put(makeObject(url, "queued", "A: 1\r\n", "br", "accept-encoding"));
  store->put(makeObject("http://a/other", "other"));
  store->remove(url);
  EXPECT_FALSE(reader->load(url, "gzip", true, 100));
  EXPECT_FALSE(reader->load(url, "br", true, 100));
  EXPECT_FALSE(reader->vary(url));
  EXPECT_TRUE(reader->load("http://a/other", "", true, 100));
  store->flush();
  EXPECT_FALSE(reader->load(url, "gzip", true, 100));
  EXPECT_FALSE(reader->load(url, "br", true, 100));
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, ReplaceKeepsOneCopy) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  store->put(makeObject("http://a/r", patternBody(1, 600000)));
  store->flush();
  uint64_t bytes_first = store->stats().bytes;
  store->put(makeObject("http://a/r", patternBody(2, 1000)));
  store->flush();
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_LT(store->stats().bytes, bytes_first);
  EXPECT_EQ(bodyOf(reader->load("http://a/r", "", true, 1 << 20)), patternBody(2, 1000));
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, LargeBodyStreamsByChunk) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  const uint64_t size = 3 * Store::kChunkSize + 1000;
  std::string body = patternBody(3, size);
  store->put(makeObject("http://a/big", body, "A: b\r\n", "", "", 99991));
  store->flush();
  ObjectPtr meta = reader->load("http://a/big", "", true, 1000);  // too big to load whole
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->bodySize(), size);
  EXPECT_TRUE(meta->body().empty());
  std::string streamed;
  while (streamed.size() < size) {
    auto part = reader->readBody(meta->key(), streamed.size(), 100000);
    ASSERT_TRUE(part.ok()) << part.error().cause;
    ASSERT_FALSE(part->empty());
    // Never across a chunk boundary.
    EXPECT_EQ(streamed.size() / Store::kChunkSize,
              (streamed.size() + part->size() - 1) / Store::kChunkSize);
    streamed += *part;
  }
  EXPECT_EQ(streamed, body);
  auto at_end = reader->readBody(meta->key(), size, 10);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(*at_end, "");
  EXPECT_FALSE(reader->readBody(meta->key(), size + 1, 10).ok());
  EXPECT_FALSE(reader->readBody(ObjectKey::forUrl("nothing"), 0, 10).ok());
  auto whole = reader->load("http://a/big", "", true, size);
  ASSERT_TRUE(whole);
  EXPECT_EQ(bodyOf(whole), body);
}

TEST(Store, StreamingAReplacedObjectFails) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  const uint64_t size = 2 * Store::kChunkSize;
  store->put(makeObject("http://a/s", patternBody(1, size)));
  store->flush();
  ObjectPtr meta = reader->load("http://a/s", "", false, 0);
  ASSERT_TRUE(meta);
  auto first = reader->readBody(*meta, 0, Store::kChunkSize);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, patternBody(1, size).substr(0, Store::kChunkSize));
  StoredObject::Init next = meta->init();
  next.response_time += 10;
  std::string body2 = patternBody(2, size);
  next.body = {std::make_shared<const std::string>(body2)};
  store->put(StoredObject::create(next));
  // Until the replacement commits, the disk still holds the object being streamed.
  auto pending = reader->readBody(*meta, Store::kChunkSize, Store::kChunkSize);
  if (pending.ok()) {
    EXPECT_EQ(*pending, patternBody(1, size).substr(Store::kChunkSize));
  }
  store->flush();
  EXPECT_FALSE(reader->readBody(*meta, Store::kChunkSize, Store::kChunkSize).ok());  // on disk
  ObjectPtr meta2 = reader->load("http://a/s", "", false, 0);
  auto second = reader->readBody(*meta2, Store::kChunkSize, Store::kChunkSize);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, body2.substr(Store::kChunkSize));
}

TEST(Store, VariantsAndRemove) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  const std::string url = "http://a/v";
  store->put(makeObject(url, "gzipped", "A: 1\r\n", "gzip", "accept-encoding"));
  store->put(makeObject(url, "plain", "A: 2\r\n", "identity", "accept-encoding"));
  store->put(makeObject("http://a/other", "other"));
  store->flush();
  EXPECT_EQ(reader->vary(url), std::optional<std::string>("accept-encoding"));
  EXPECT_EQ(bodyOf(reader->load(url, "gzip", true, 100)), "gzipped");
  EXPECT_EQ(bodyOf(reader->load(url, "identity", true, 100)), "plain");
  EXPECT_EQ(store->stats().objects, 3u);
  store->remove(url);
  store->flush();
  EXPECT_FALSE(reader->load(url, "gzip", true, 100));
  EXPECT_FALSE(reader->load(url, "identity", true, 100));
  EXPECT_FALSE(reader->vary(url));
  EXPECT_TRUE(reader->load("http://a/other", "", true, 100));
  EXPECT_EQ(store->stats().objects, 1u);
  store->remove("http://a/never-stored");
  store->flush();
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, ChangedVaryDropsOldVariants) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  const std::string url = "http://a/cv";
  store->put(makeObject(url, "1", "A: 1\r\n", "gzip", "accept-encoding"));
  store->put(makeObject(url, "2", "A: 1\r\n", "br", "accept-encoding"));
  store->flush();
  store->put(makeObject(url, "3", "A: 1\r\n", "en", "accept-language"));
  store->flush();
  EXPECT_EQ(reader->vary(url), std::optional<std::string>("accept-language"));
  EXPECT_FALSE(reader->load(url, "gzip", true, 100));
  EXPECT_FALSE(reader->load(url, "br", true, 100));
  EXPECT_EQ(bodyOf(reader->load(url, "en", true, 100)), "3");
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

ObjectPtr metaOnly(const ObjectPtr& o, const std::string& fields, int64_t response_time) {
  StoredObject::Init init = o->init();
  init.fields = fields;
  init.response_time = response_time;
  init.body.clear();
  return StoredObject::create(std::move(init));
}

TEST(Store, UpdateMetaKeepsBody) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  auto reader = store->reader();
  std::string body = patternBody(4, 300000);
  ObjectPtr o = makeObject("http://a/u", body, "ETag: \"1\"\r\n");
  store->put(o);
  // Queued behind the put: readers see the new fields with the queued body.
  store->updateMeta(metaOnly(o, "ETag: \"1\"\r\nX-Updated: 1\r\n", 1700000100));
  ObjectPtr seen = reader->load("http://a/u", "", true, 1 << 20);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->fields(), "ETag: \"1\"\r\nX-Updated: 1\r\n");
  EXPECT_EQ(bodyOf(seen), body);
  store->flush();
  // Queued alone: the new fields, the body from disk.
  store->updateMeta(metaOnly(o, "ETag: \"1\"\r\nX-Updated: 2 with a longer value\r\n", 1700000200));
  seen = reader->load("http://a/u", "", true, 1 << 20);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->responseTime(), 1700000200);
  EXPECT_EQ(bodyOf(seen), body);
  store->flush();
  seen = reader->load("http://a/u", "", true, 1 << 20);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->fields(), "ETag: \"1\"\r\nX-Updated: 2 with a longer value\r\n");
  EXPECT_EQ(bodyOf(seen), body);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
  // An update for an object that is gone stores nothing.
  store->remove("http://a/u");
  store->updateMeta(metaOnly(o, "A: b\r\n", 1));
  store->flush();
  EXPECT_FALSE(reader->load("http://a/u", "", true, 1 << 20));
  EXPECT_EQ(store->stats().objects, 0u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, TooBigIsNotStoredAndDropsTheOldVersion) {
  TempDir dir;
  auto store = openStore(dir.path(), 8ull << 20);
  auto reader = store->reader();
  store->put(makeObject("http://a/t", "small"));
  store->flush();
  store->put(makeObject("http://a/t", patternBody(5, (4ull << 20) + 1)));
  EXPECT_FALSE(reader->load("http://a/t", "", true, 100ull << 20));
  store->flush();
  EXPECT_FALSE(reader->load("http://a/t", "", true, 100ull << 20));
  EXPECT_EQ(store->stats().objects, 0u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, PersistsAcrossRestart) {
  TempDir dir;
  StoreStats before;
  {
    auto store = openStore(dir.path(), kStoreSize);
    for (int i = 0; i < 40; ++i) {
      store->put(makeObject("http://a/p" + std::to_string(i), patternBody(i, 1000 * i + 1)));
    }
    store->remove("http://a/p7");
    store->flush();
    before = store->stats();
  }  // no flush needed: the destructor drains
  auto store = openStore(dir.path(), kStoreSize);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stats().objects, before.objects);
  EXPECT_EQ(store->stats().bytes, before.bytes);
  auto reader = store->reader();
  for (int i = 0; i < 40; ++i) {
    ObjectPtr o = reader->load("http://a/p" + std::to_string(i), "", true, 1 << 20);
    if (i == 7) {
      EXPECT_FALSE(o);
    } else {
      ASSERT_TRUE(o) << i;
      EXPECT_EQ(bodyOf(o), patternBody(i, 1000 * i + 1));
    }
  }
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(Store, DestructorDrainsTheQueue) {
  TempDir dir;
  {
    auto store = openStore(dir.path(), kStoreSize);
    for (int i = 0; i < 100; ++i) store->put(makeObject("http://a/d" + std::to_string(i), "x"));
  }
  auto store = openStore(dir.path(), kStoreSize);
  EXPECT_EQ(store->stats().objects, 100u);
}

TEST(Store, ReadOnlyOpen) {
  TempDir dir;
  {
    auto store = openStore(dir.path(), kStoreSize);
    store->put(makeObject("http://a/ro", "read me"));
  }
  auto store = openStore(dir.path(), kStoreSize, /*read_only=*/true);
  ASSERT_TRUE(store);
  auto reader = store->reader();
  EXPECT_EQ(bodyOf(reader->load("http://a/ro", "", true, 100)), "read me");
  store->put(makeObject("http://a/ignored", "x"));  // ignored, no writer
  store->remove("http://a/ro");
  store->flush();
  EXPECT_TRUE(reader->load("http://a/ro", "", true, 100));
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_TRUE(store->verify().ok());

  StoreOptions missing;
  missing.path = dir.path() + "/does-not-exist";
  missing.read_only = true;
  EXPECT_FALSE(Store::open(missing).ok());
}

TEST(Store, OpeningTwiceInOneProcessIsRefused) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  StoreOptions options;
  options.path = dir.path() + "/.";
  auto second = Store::open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().cause.find("already open"), std::string::npos);
  store.reset();
  EXPECT_TRUE(Store::open(options).ok());
}

TEST(Store, ReadersOnManyThreads) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  for (int i = 0; i < 20; ++i) {
    store->put(makeObject("http://a/t" + std::to_string(i), patternBody(i, 5000)));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto reader = store->reader();
      for (int round = 0; round < 200; ++round) {
        int i = (round + t) % 20;
        ObjectPtr o = reader->load("http://a/t" + std::to_string(i), "", true, 1 << 20);
        if (!o || bodyOf(o) != patternBody(i, 5000)) ++failures;
        store->touch(ObjectKey::forVariant("http://a/t" + std::to_string(i), ""));
      }
    });
  }
  for (int i = 20; i < 60; ++i) {
    store->put(makeObject("http://a/t" + std::to_string(i), patternBody(i, 5000)));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  store->flush();
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

}  // namespace
}  // namespace cuttle::cache
