// Tests of the store's robustness: SIGKILL while writing, damaged or foreign files, bit rot
// in records, and an open that never scans.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "cache/store.h"
#include "cache/store_format.h"
#include "common/log.h"
#include "tests/cache/store_test_util.h"

namespace cuttle::cache {
namespace {

using store_testing::bodyOf;
using store_testing::makeObject;
using store_testing::openStore;
using store_testing::patternBody;
using store_testing::readFile;
using store_testing::TempDir;
using store_testing::writeFile;

// ---- SIGKILL while writing -------------------------------------------------------------------

constexpr int kCrashUrls = 300;
constexpr uint64_t kCrashStoreSize = 8ull << 20;

std::string crashUrl(uint32_t i) { return "http://crash/" + std::to_string(i % kCrashUrls); }

uint64_t crashSize(uint32_t i) {
  return i % 7 == 0 ? 2 * Store::kChunkSize + 12345 : 1 + (i * 7919) % 40000;
}

// The child: puts objects (generation i) forever, with reads, removals and flushes mixed
// in, and reports each put on `fd`. Never returns.
[[noreturn]] void putForever(const std::string& path, int fd) {
  StoreOptions options;
  options.path = path;
  options.max_bytes = kCrashStoreSize;  // small: eviction runs all the time
  options.sync_interval_ms = 20;
  auto store = Store::open(options);
  if (!store) _exit(2);
  auto reader = (*store)->reader();
  for (uint32_t i = 0;; ++i) {
    std::string fields = "X-Gen: " + std::to_string(i) + "\r\n";
    (*store)->put(makeObject(crashUrl(i), patternBody(i, crashSize(i)), fields, "", "", 7777));
    if (i % 5 == 0) reader->load(crashUrl(i / 2), "", true, 1 << 20);
    if (i % 11 == 0) (*store)->touch(ObjectKey::forVariant(crashUrl(i / 3), ""));
    if (i % 50 == 0) (*store)->remove(crashUrl(i + 1));
    if (i % 9 == 0) (*store)->flush();
    if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(3);
  }
}

void crashRound(unsigned seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    putForever(dir.path(), fds[1]);
  }
  close(fds[1]);
  const uint32_t kill_after = 20 + rng() % 400;
  uint32_t last = 0;
  for (uint32_t seen = 0; seen < kill_after; ++seen) {
    ASSERT_EQ(read(fds[0], &last, sizeof(last)), static_cast<ssize_t>(sizeof(last)));
  }
  // Jitter, not a wait: the kill lands anywhere in the writer's commit cycle.
  usleep(rng() % 3000);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  while (read(fds[0], &last, sizeof(last)) == static_cast<ssize_t>(sizeof(last))) {
  }
  close(fds[0]);

  auto store = openStore(dir.path(), kCrashStoreSize);
  ASSERT_TRUE(store);
  Status verified = store->verify();
  EXPECT_TRUE(verified.ok()) << verified.error().cause;
  auto reader = store->reader();
  uint64_t found = 0;
  for (uint32_t u = 0; u < kCrashUrls; ++u) {
    ObjectPtr o = reader->load(crashUrl(u), "", true, 16ull << 20);
    if (!o) continue;
    ++found;
    const HeaderField* gen = o->headers().find(std::string_view("X-Gen"));
    ASSERT_TRUE(gen);
    uint32_t g = static_cast<uint32_t>(std::stoul(std::string(gen->value)));
    EXPECT_LE(g, last + 1);
    EXPECT_EQ(g % kCrashUrls, u);
    ASSERT_EQ(o->bodySize(), crashSize(g));
    EXPECT_TRUE(bodyOf(o) == patternBody(g, crashSize(g))) << "generation " << g;
  }
  EXPECT_EQ(found, store->stats().objects);
  EXPECT_GT(found, 0u);
  EXPECT_EQ(store->stats().corrupt_objects, 0u);
  // And it keeps working.
  store->put(makeObject("http://crash/after", "after"));
  store->flush();
  EXPECT_TRUE(reader->load("http://crash/after", "", true, 100));
}

TEST(StoreCrash, SigkillWhileWritingLosesOnlyUncommittedWrites) {
  std::random_device rd;
  for (int round = 0; round < 4; ++round) crashRound(rd());
}

// ---- damaged files ---------------------------------------------------------------------------

// Captures cuttle's log in a file for the duration of a test.
class LogCapture {
 public:
  explicit LogCapture(const TempDir& dir) : path_(dir.path() + ".log") { setLogFile(path_); }
  ~LogCapture() {
    setLogFile("stderr");
    unlink(path_.c_str());
  }
  std::string text() const { return readFile(path_); }

 private:
  std::string path_;
};

// A store with a few objects, closed.
void populate(const std::string& path, int objects = 20) {
  auto store = openStore(path, 16ull << 20);
  for (int i = 0; i < objects; ++i) {
    store->put(makeObject("http://d/" + std::to_string(i), patternBody(i, 30000)));
  }
}

// Opens a damaged store: it must be recreated empty, usable, with the reason logged.
void expectRecreated(const TempDir& dir, const LogCapture& log, const std::string& reason) {
  auto store = openStore(dir.path(), 16ull << 20);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stats().objects, 0u);
  std::string text = log.text();
  EXPECT_NE(text.find("recreating it empty"), std::string::npos) << text;
  EXPECT_NE(text.find(reason), std::string::npos) << text;
  store->put(makeObject("http://d/new", "new"));
  store->flush();
  EXPECT_TRUE(store->reader()->load("http://d/new", "", true, 100));
  EXPECT_TRUE(store->verify().ok());
}

TEST(StoreCrash, GarbageDataFileIsRecreated) {
  TempDir dir;
  LogCapture log(dir);
  populate(dir.path());
  std::string data = readFile(dir.file("data.mdb"));
  std::mt19937 rng(1);
  for (size_t i = 0; i < 16384 && i < data.size(); ++i) data[i] = static_cast<char>(rng());
  writeFile(dir.file("data.mdb"), data);
  expectRecreated(dir, log, "mdb_env_open");
}

TEST(StoreCrash, TruncatedDataFileIsRecreated) {
  TempDir dir;
  LogCapture log(dir);
  populate(dir.path(), 100);
  std::string data = readFile(dir.file("data.mdb"));
  writeFile(dir.file("data.mdb"), data.substr(0, data.size() / 2));
  expectRecreated(dir, log, "truncated");
}

TEST(StoreCrash, TinyDataFileIsRecreated) {
  TempDir dir;
  LogCapture log(dir);
  populate(dir.path());
  writeFile(dir.file("data.mdb"), "not an lmdb file");
  expectRecreated(dir, log, "mdb_env_open");
}

TEST(StoreCrash, GarbageLockFileIsHarmless) {
  TempDir dir;
  populate(dir.path());
  writeFile(dir.file("lock.mdb"), std::string(8192, '\x5a'));
  auto store = openStore(dir.path(), 16ull << 20);
  ASSERT_TRUE(store);
  // Either LMDB reset the lock file (the data survived) or the store was recreated.
  EXPECT_TRUE(store->stats().objects == 20u || store->stats().objects == 0u);
  EXPECT_TRUE(store->verify().ok());
}

// Rewrites one record of the `info` sub-database with plain LMDB.
void rewriteInfo(const std::string& path, std::string_view key, const std::string& value) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 16);
  ASSERT_EQ(mdb_env_open(env, path.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "info", 0, &dbi), 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(StoreCrash, OtherSchemaVersionIsRecreated) {
  TempDir dir;
  LogCapture log(dir);
  populate(dir.path());
  rewriteInfo(dir.path(), store_format::kSchemaKey,
              store_format::encodeSchema(store_format::kSchemaVersion + 1));
  expectRecreated(dir, log, "schema version");
}

TEST(StoreCrash, CountersThatDisagreeAreRecreated) {
  TempDir dir;
  LogCapture log(dir);
  populate(dir.path());
  store_format::Counters wrong;
  wrong.objects = 3;
  rewriteInfo(dir.path(), store_format::kCountersKey, store_format::encodeCounters(wrong));
  expectRecreated(dir, log, "counters disagree");
}

TEST(StoreCrash, ReadOnlyNeverRecreates) {
  TempDir dir;
  populate(dir.path());
  writeFile(dir.file("data.mdb"), "not an lmdb file");
  StoreOptions options;
  options.path = dir.path();
  options.read_only = true;
  auto store = Store::open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().cause.find("mdb_env_open"), std::string::npos) << store.error().cause;
  EXPECT_EQ(readFile(dir.file("data.mdb")), "not an lmdb file");
}

// Flips one byte of the data file where `marker` is stored.
void damageAt(const TempDir& dir, const std::string& marker) {
  std::string data = readFile(dir.file("data.mdb"));
  size_t at = data.find(marker);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(data.find(marker, at + 1), std::string::npos);
  data[at + 3] = static_cast<char>(data[at + 3] ^ 0x01);
  writeFile(dir.file("data.mdb"), data);
}

TEST(StoreCrash, DamagedBodyChunkIsAMissAndIsDropped) {
  TempDir dir;
  LogCapture log(dir);
  std::string body = patternBody(9, 3 * Store::kChunkSize);
  body.replace(Store::kChunkSize + 500, 16, "MARKER-BODY-0001");
  {
    auto store = openStore(dir.path(), 16ull << 20);
    store->put(makeObject("http://d/rot", body));
    store->put(makeObject("http://d/fine", "fine"));
  }
  damageAt(dir, "MARKER-BODY-0001");
  auto store = openStore(dir.path(), 16ull << 20);
  ASSERT_TRUE(store);
  auto reader = store->reader();
  ObjectPtr meta = reader->load("http://d/rot", "", false, 0);  // metadata is intact
  ASSERT_TRUE(meta);
  EXPECT_TRUE(reader->readBody(meta->key(), 0, 100).ok());  // chunk 0 is intact
  EXPECT_FALSE(reader->readBody(meta->key(), Store::kChunkSize, 100).ok());
  EXPECT_FALSE(reader->load("http://d/rot", "", true, 16ull << 20));
  EXPECT_GE(store->stats().corrupt_objects, 1u);
  store->flush();  // the writer checks the object again and drops it
  EXPECT_FALSE(reader->load("http://d/rot", "", false, 0));
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_TRUE(reader->load("http://d/fine", "", true, 100));
  EXPECT_NE(log.text().find("corrupt object"), std::string::npos);
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

TEST(StoreCrash, DamagedMetadataIsAMissAndIsDropped) {
  TempDir dir;
  LogCapture log(dir);
  const std::string url = "http://d/meta";
  {
    auto store = openStore(dir.path(), 16ull << 20);
    store->put(makeObject(url, "body", "X-Marker: MARKER-META-0001\r\n"));
  }
  damageAt(dir, "MARKER-META-0001");  // the fields are only in the metadata record
  auto store = openStore(dir.path(), 16ull << 20);
  ASSERT_TRUE(store);
  auto reader = store->reader();
  EXPECT_FALSE(reader->load(url, "", true, 100));
  EXPECT_EQ(store->stats().corrupt_objects, 1u);
  store->flush();
  EXPECT_EQ(store->stats().objects, 0u);
  EXPECT_FALSE(reader->vary(url));
  EXPECT_TRUE(store->verify().ok()) << store->verify().error().cause;
}

// ---- restart time ----------------------------------------------------------------------------

TEST(StoreCrash, OpenReadsAConstantNumberOfRecords) {
  TempDir small_dir;
  TempDir big_dir;
  populate(small_dir.path(), 1);
  {
    auto store = openStore(big_dir.path(), 256ull << 20);
    for (int i = 0; i < 20000; ++i) {
      store->put(makeObject("http://o/" + std::to_string(i), patternBody(i, 100)));
    }
  }
  auto small = openStore(small_dir.path(), 16ull << 20);
  auto big = openStore(big_dir.path(), 256ull << 20);
  ASSERT_TRUE(small && big);
  EXPECT_EQ(big->stats().objects, 20000u);
  EXPECT_EQ(big->openRecordReads(), small->openRecordReads());
  EXPECT_LE(big->openRecordReads(), 2u);
}

}  // namespace
}  // namespace cuttle::cache
