// Tests of cache/store_list.cc: listing objects, the variants of a URL, the recorded totals,
// on a read-write store and on a read-only one opened while another process writes.
#include "cache/store_list.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

#include "cache/store_format.h"
#include "tests/cache/store_test_util.h"

namespace cuttle::cache {
namespace {

using store_testing::makeObject;
using store_testing::openStore;
using store_testing::patternBody;
using store_testing::readFile;
using store_testing::TempDir;
using store_testing::writeFile;

constexpr uint64_t kStoreSize = 64ull << 20;

// Everything listStore() visits, by URL + "|" + variant.
std::map<std::string, StoreEntry> listAll(Store& store, std::string_view prefix = "",
                                          ListOutcome* outcome = nullptr) {
  std::map<std::string, StoreEntry> out;
  auto listed = listStore(store, prefix, [&](const StoreEntry& e) {
    std::string name = e.object->url() + "|" + e.object->variant();
    EXPECT_TRUE(out.emplace(name, e).second) << "visited twice: " << name;
    return true;
  });
  EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().cause);
  if (listed.ok() && outcome != nullptr) *outcome = *listed;
  return out;
}

TEST(StoreList, ListsMetadataAndEvictionState) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  ASSERT_TRUE(store);
  const std::string body = patternBody(1, 3 * Store::kChunkSize + 17);  // several chunks
  store->put(makeObject("http://a/big", body, "ETag: \"x\"\r\n"));
  store->put(makeObject("http://a/small", "tiny"));
  store->put(makeObject("http://b/v", "gz", "Vary: Accept-Encoding\r\n", "accept-encoding:gzip\n",
                        "accept-encoding"));
  store->put(makeObject("http://b/v", "id", "Vary: Accept-Encoding\r\n", "accept-encoding\n",
                        "accept-encoding"));
  store->flush();

  ListOutcome outcome;
  auto all = listAll(*store, "", &outcome);
  EXPECT_EQ(outcome.visited, 4u);
  EXPECT_EQ(outcome.damaged, 0u);
  ASSERT_EQ(all.size(), 4u);
  const StoreEntry& big = all.at("http://a/big|");
  EXPECT_EQ(big.object->bodySize(), body.size());
  EXPECT_TRUE(big.object->body().empty()) << "the listing never loads bodies";
  EXPECT_EQ(big.object->headers().get(HeaderId::kETag), "\"x\"");
  EXPECT_EQ(big.object->status(), 200);
  EXPECT_EQ(big.object->responseTime(), 1700000001);
  EXPECT_EQ(big.queue, StoreEntry::Queue::kSmall);  // new objects enter the small FIFO
  EXPECT_GT(big.charge, body.size());
  EXPECT_EQ(all.at("http://b/v|accept-encoding:gzip\n").object->vary(), "accept-encoding");
  EXPECT_TRUE(all.count("http://b/v|accept-encoding\n"));

  uint64_t charges = 0;
  for (const auto& [name, e] : all) charges += e.charge;
  EXPECT_EQ(charges, store->stats().bytes) << "the charges add up to the accounted bytes";
}

TEST(StoreList, PrefixSelectsUrls) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  for (const char* url : {"http://a/x/1", "http://a/x/2", "http://a/y", "http://b/x/1"}) {
    store->put(makeObject(url, url));
  }
  store->flush();
  auto x = listAll(*store, "http://a/x/");
  ASSERT_EQ(x.size(), 2u);
  EXPECT_TRUE(x.count("http://a/x/1|") && x.count("http://a/x/2|"));
  EXPECT_EQ(listAll(*store, "http://a/").size(), 3u);
  EXPECT_TRUE(listAll(*store, "http://c/").empty());
}

TEST(StoreList, VisitorStopsTheListing) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  for (int i = 0; i < 10; ++i) store->put(makeObject("http://s/" + std::to_string(i), "b"));
  store->flush();
  int calls = 0;
  auto listed = listStore(*store, "", [&](const StoreEntry&) { return ++calls < 3; });
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(listed->visited, 3u);
}

TEST(StoreList, ManyBatchesVisitEveryObjectOnce) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  const size_t n = 2 * kListBatch + 37;
  for (size_t i = 0; i < n; ++i) store->put(makeObject("http://m/" + std::to_string(i), "b"));
  store->flush();
  EXPECT_EQ(listAll(*store).size(), n);  // listAll fails on a duplicate
  // A filter that matches one object in the last batch still reads through every batch.
  auto one = listAll(*store, "http://m/" + std::to_string(n - 1));
  EXPECT_EQ(one.size(), 1u);
}

TEST(StoreList, EmptyStore) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  EXPECT_TRUE(listAll(*store).empty());
  auto info = storeInfo(*store);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objects, 0u);
  EXPECT_EQ(info->bytes, 0u);
  auto variants = urlVariants(*store, "http://nothing/");
  ASSERT_TRUE(variants.ok());
  EXPECT_FALSE(variants->vary);
  EXPECT_TRUE(variants->variants.empty());
}

TEST(StoreList, UrlVariantsOfOneUrl) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  store->put(makeObject("http://v/a", "gz", "Vary: Accept-Encoding\r\n", "accept-encoding:gzip\n",
                        "accept-encoding"));
  store->put(makeObject("http://v/a", "br", "Vary: Accept-Encoding\r\n", "accept-encoding:br\n",
                        "accept-encoding"));
  store->put(makeObject("http://v/b", "other"));
  store->flush();
  auto a = urlVariants(*store, "http://v/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->vary, std::optional<std::string>("accept-encoding"));
  ASSERT_EQ(a->variants.size(), 2u);
  std::set<std::string> keys;
  for (const StoreEntry& e : a->variants) {
    EXPECT_EQ(e.object->url(), "http://v/a");
    keys.insert(e.object->variant());
  }
  EXPECT_EQ(keys, (std::set<std::string>{"accept-encoding:gzip\n", "accept-encoding:br\n"}));
  auto b = urlVariants(*store, "http://v/b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->vary, std::optional<std::string>(""));
  ASSERT_EQ(b->variants.size(), 1u);
  EXPECT_EQ(b->variants[0].object->bodySize(), 5u);

  store->remove("http://v/a");
  store->flush();
  a = urlVariants(*store, "http://v/a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->vary);
  EXPECT_TRUE(a->variants.empty());
}

TEST(StoreList, InfoMatchesTheCounters) {
  TempDir dir;
  auto store = openStore(dir.path(), kStoreSize);
  for (int i = 0; i < 5; ++i) {
    store->put(makeObject("http://i/" + std::to_string(i), patternBody(i, 1000)));
  }
  store->flush();
  auto info = storeInfo(*store);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->schema_version, store_format::kSchemaVersion);
  EXPECT_EQ(info->objects, 5u);
  EXPECT_EQ(info->bytes, store->stats().bytes);
  EXPECT_EQ(info->small_bytes + info->main_bytes, info->bytes);
  EXPECT_EQ(info->evictions, 0u);
  EXPECT_GT(info->page_size, 0u);
  EXPECT_GT(info->used_bytes, 0u);
  EXPECT_GE(info->map_size, info->used_bytes);
}

TEST(StoreList, ReadOnlyStoreListsWithoutWriting) {
  TempDir dir;
  {
    auto store = openStore(dir.path(), kStoreSize);
    store->put(makeObject("http://r/1", "one"));
    store->put(makeObject("http://r/2", "two"));
  }
  const std::string before = readFile(dir.file("data.mdb"));
  auto store = openStore(dir.path(), kStoreSize, /*read_only=*/true);
  ASSERT_TRUE(store);
  EXPECT_EQ(listAll(*store).size(), 2u);
  auto variants = urlVariants(*store, "http://r/1");
  ASSERT_TRUE(variants.ok());
  EXPECT_EQ(variants->variants.size(), 1u);
  auto info = storeInfo(*store);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objects, 2u);
  store.reset();
  EXPECT_EQ(readFile(dir.file("data.mdb")), before);
}

TEST(StoreList, DamagedMetadataIsSkippedAndCounted) {
  TempDir dir;
  {
    auto store = openStore(dir.path(), kStoreSize);
    store->put(makeObject("http://d/rot", "body", "X-Marker: MARKER-LIST-0001\r\n"));
    store->put(makeObject("http://d/fine", "fine"));
  }
  // Flip one byte of the damaged object's fields: its record checksum no longer matches.
  // LMDB writes copy on write: stale copies of the record may sit in freed pages, and the
  // live one is any of them, so every copy is damaged.
  std::string data = readFile(dir.file("data.mdb"));
  size_t copies = 0;
  for (size_t at = data.find("MARKER-LIST-0001"); at != std::string::npos;
       at = data.find("MARKER-LIST-0001", at + 1)) {
    data[at + 3] = static_cast<char>(data[at + 3] ^ 0x01);
    ++copies;
  }
  ASSERT_GT(copies, 0u);
  writeFile(dir.file("data.mdb"), data);

  auto store = openStore(dir.path(), kStoreSize, /*read_only=*/true);
  ASSERT_TRUE(store);
  ListOutcome outcome;
  auto all = listAll(*store, "", &outcome);
  EXPECT_EQ(outcome.damaged, 1u);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all.count("http://d/fine|"));
  auto rot = urlVariants(*store, "http://d/rot");
  ASSERT_TRUE(rot.ok());
  EXPECT_TRUE(rot->variants.empty());
  EXPECT_EQ(rot->damaged, 1u);
}

// The way cuttle-cache uses it: a read-only store in one process while another process
// has the store open for writing (its writer thread running).
TEST(StoreList, ReadOnlyListingWhileAnotherProcessHasTheStoreOpen) {
  TempDir dir;
  int ready[2];
  int release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(release[1]);
    StoreOptions options;
    options.path = dir.path();
    options.max_bytes = kStoreSize;
    auto store = Store::open(options);
    if (!store) _exit(2);
    for (int i = 0; i < 300; ++i) (*store)->put(makeObject("http://c/" + std::to_string(i), "b"));
    (*store)->flush();
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(3);
    // Keeps the store open, and keeps writing, until the parent is done.
    for (int i = 300; i < 400; ++i) (*store)->put(makeObject("http://c/" + std::to_string(i), "b"));
    if (read(release[0], &c, 1) < 0) _exit(4);
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  {
    auto store = openStore(dir.path(), kStoreSize, /*read_only=*/true);
    ASSERT_TRUE(store);
    ListOutcome outcome;
    auto all = listAll(*store, "", &outcome);
    EXPECT_GE(all.size(), 300u);
    EXPECT_LE(all.size(), 400u);
    EXPECT_EQ(outcome.damaged, 0u);
    auto one = urlVariants(*store, "http://c/7");
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->variants.size(), 1u);
  }
  close(release[1]);  // the child exits
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(ready[0]);
}

}  // namespace
}  // namespace cuttle::cache
