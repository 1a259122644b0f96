// Tests of the store's size limit and of S3-FIFO eviction (cache/s3fifo.cc).
#include <gtest/gtest.h>

#include "cache/store.h"
#include "tests/cache/store_test_util.h"

namespace cuttle::cache {
namespace {

using store_testing::bodyOf;
using store_testing::makeObject;
using store_testing::openStore;
using store_testing::patternBody;
using store_testing::TempDir;

std::string url(const char* prefix, int i) {
  return std::string("http://e/") + prefix + std::to_string(i);
}

uint64_t limit(uint64_t max_bytes) {
  return static_cast<uint64_t>(static_cast<double>(max_bytes) * Store::kFillRatio);
}

TEST(StoreEviction, StaysUnderItsSize) {
  TempDir dir;
  const uint64_t max = 8ull << 20;
  auto store = openStore(dir.path(), max);
  for (int i = 0; i < 300; ++i) {
    store->put(makeObject(url("s", i), patternBody(i, 100000)));
    if (i % 10 == 9) {
      store->flush();
      ASSERT_LE(store->stats().bytes, limit(max)) << i;
    }
  }
  store->flush();
  StoreStats st = store->stats();
  EXPECT_GT(st.evictions, 200u);
  EXPECT_GT(st.objects, 30u);  // the store is used, not emptied
  EXPECT_EQ(st.write_errors, 0u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
  // The newest objects are the ones kept (nothing was accessed twice).
  auto reader = store->reader();
  EXPECT_TRUE(reader->load(url("s", 299), "", true, 1 << 20));
  EXPECT_FALSE(reader->load(url("s", 0), "", true, 1 << 20));
}

TEST(StoreEviction, ManySmallObjectsRespectTheMapSize) {
  // Small records cost LMDB more than their bytes (page slack, node headers): the page
  // count keeps the map from filling up where the accounted bytes alone would not.
  TempDir dir;
  const uint64_t max = 4ull << 20;
  auto store = openStore(dir.path(), max);
  for (int i = 0; i < 20000; ++i) {
    store->put(makeObject(url("tiny", i), patternBody(i, 300)));
    if (i % 500 == 499) store->flush();
  }
  store->flush();
  StoreStats st = store->stats();
  EXPECT_EQ(st.write_errors, 0u);
  EXPECT_GT(st.evictions, 0u);
  EXPECT_LE(st.bytes, limit(max));
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(StoreEviction, HalfStoreObjectsFitAfterMakingRoom) {
  // Each object is close to half the store: storing one means evicting the others in
  // transactions of their own (MDB_MAP_FULL path) before the put can commit.
  TempDir dir;
  const uint64_t max = 8ull << 20;
  auto store = openStore(dir.path(), max);
  auto reader = store->reader();
  for (int i = 0; i < 6; ++i) {
    store->put(makeObject(url("half", i), patternBody(i, (4ull << 20) - 200000)));
    store->flush();
    ObjectPtr o = reader->load(url("half", i), "", true, 8ull << 20);
    ASSERT_TRUE(o) << i;
    EXPECT_EQ(bodyOf(o), patternBody(i, (4ull << 20) - 200000));
  }
  EXPECT_EQ(store->stats().write_errors, 0u);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

// Puts `count` one-time objects of `size` bytes (URLs named after `name`: a URL seen in
// an earlier scan would be a ghost hit), flushing now and then, touching the working set
// between flushes when `keep_using` (the way hits keep arriving).
void scan(Store& store, const std::string& name, int count, uint64_t size, int working_set,
          bool keep_using) {
  for (int i = 0; i < count; ++i) {
    store.put(makeObject(url(name.c_str(), i), patternBody(100000 + i, size)));
    if (i % 20 == 19) {
      if (keep_using) {
        for (int w = 0; w < working_set; ++w) store.touch(ObjectKey::forVariant(url("hot", w), ""));
      }
      store.flush();
    }
  }
  store.flush();
}

int survivors(Store& store, int working_set) {
  auto reader = store.reader();
  int n = 0;
  for (int w = 0; w < working_set; ++w) {
    ObjectPtr o = reader->load(url("hot", w), "", true, 1 << 20);
    if (o && bodyOf(o) == patternBody(w, 100000)) ++n;
  }
  return n;
}

void fillWorkingSet(Store& store, int working_set, int accesses) {
  auto reader = store.reader();
  for (int w = 0; w < working_set; ++w)
    store.put(makeObject(url("hot", w), patternBody(w, 100000)));
  store.flush();
  for (int a = 0; a < accesses; ++a) {
    for (int w = 0; w < working_set; ++w) {
      ASSERT_TRUE(reader->load(url("hot", w), "", true, 1 << 20));
      store.touch(ObjectKey::forVariant(url("hot", w), ""));
    }
  }
  store.flush();
}

TEST(StoreEviction, ScanDoesNotFlushTheWorkingSet) {
  TempDir dir;
  const uint64_t max = 16ull << 20;
  const int kWorkingSet = 30;  // 3 MB, more than the small FIFO's share
  auto store = openStore(dir.path(), max);
  fillWorkingSet(*store, kWorkingSet, 3);
  // A scan of 40 MB (2.5 times the store) of objects seen once.
  scan(*store, "scan1-", 400, 100000, kWorkingSet, /*keep_using=*/false);
  EXPECT_EQ(survivors(*store, kWorkingSet), kWorkingSet);
  EXPECT_GT(store->stats().evictions, 250u);
  // It holds with hits still arriving during a second scan, too.
  scan(*store, "scan2-", 400, 100000, kWorkingSet, /*keep_using=*/true);
  EXPECT_EQ(survivors(*store, kWorkingSet), kWorkingSet);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(StoreEviction, WithoutHitsTheScanWins) {
  // The control for the test above: the same objects, never accessed, are flushed out.
  TempDir dir;
  const int kWorkingSet = 30;
  auto store = openStore(dir.path(), 16ull << 20);
  fillWorkingSet(*store, kWorkingSet, 0);
  scan(*store, "scan-", 400, 100000, kWorkingSet, /*keep_using=*/false);
  EXPECT_EQ(survivors(*store, kWorkingSet), 0);
}

TEST(StoreEviction, GhostsReadmitIntoTheMainQueue) {
  // An object evicted from the small FIFO and stored again soon after goes to the main
  // queue: a second scan no longer evicts it.
  TempDir dir;
  auto store = openStore(dir.path(), 16ull << 20);
  fillWorkingSet(*store, 10, 0);
  scan(*store, "scan1-", 200, 100000, 10, false);
  ASSERT_EQ(survivors(*store, 10), 0);
  for (int w = 0; w < 10; ++w) store->put(makeObject(url("hot", w), patternBody(w, 100000)));
  store->flush();
  scan(*store, "scan2-", 400, 100000, 10, false);
  EXPECT_EQ(survivors(*store, 10), 10);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(StoreEviction, EvictionStateSurvivesRestart) {
  TempDir dir;
  const uint64_t max = 16ull << 20;
  const int kWorkingSet = 30;
  StoreStats before;
  {
    auto store = openStore(dir.path(), max);
    fillWorkingSet(*store, kWorkingSet, 3);
    scan(*store, "scan1-", 100, 100000, kWorkingSet, false);
    before = store->stats();
  }
  auto store = openStore(dir.path(), max);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stats().objects, before.objects);
  EXPECT_EQ(store->stats().evictions, before.evictions);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
  // The queues and frequencies came back from disk: the scan still cannot win.
  scan(*store, "scan2-", 400, 100000, kWorkingSet, false);
  EXPECT_EQ(survivors(*store, kWorkingSet), kWorkingSet);
}

TEST(StoreEviction, ShrinkingTheStoreEvictsOnTheNextWrite) {
  TempDir dir;
  {
    auto store = openStore(dir.path(), 32ull << 20);
    for (int i = 0; i < 200; ++i) store->put(makeObject(url("shrink", i), patternBody(i, 100000)));
  }
  auto store = openStore(dir.path(), 8ull << 20);
  ASSERT_TRUE(store);
  store->put(makeObject("http://e/trigger", "x"));
  store->flush();
  EXPECT_LE(store->stats().bytes, limit(8ull << 20));
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

}  // namespace
}  // namespace cuttle::cache
