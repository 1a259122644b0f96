// Fill after overflow() (cache/fill.h): the fill keeps what its followers have not read, the
// leader is told to wait (roomForMore()) once that reaches kOverflowWindow, and is woken
// when a follower reads on or leaves; a leader that does not wait loses the followers
// furthest behind only past the hard cap.
#include "cache/fill.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <memory>
#include <string>

namespace cuttle::cache {
namespace {

constexpr size_t kChunk = 64 * 1024;

struct Woken : FillListener {
  int count = 0;
  void onFillProgress() override { ++count; }
};

StoredObject::Chunk chunk() { return std::make_shared<const std::string>(kChunk, 'x'); }

class FillOverflow : public ::testing::Test {
 protected:
  FillOverflow() {
    uv_loop_init(&loop_);
    waker_ = std::make_unique<FillWaker>(&loop_);
    fill_ = std::make_shared<Fill>("http://origin.test/big");
    follower_ = fill_->subscribe(*waker_, &follower_woken_);
    leader_id_ = waker_->add(&leader_woken_);
    fill_->setLeaderWaker(waker_.get(), leader_id_);
    fill_->publishHead(nullptr, std::nullopt);
    fill_->overflow();
  }
  ~FillOverflow() override {
    fill_->setLeaderWaker(nullptr, 0);
    waker_->remove(leader_id_);
    follower_.reset();
    waker_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  // Appends chunks until the fill says to wait; returns how many.
  size_t fillUntilFull() {
    size_t n = 0;
    while (fill_->roomForMore() && n < 10000) {
      fill_->appendBody(chunk());
      ++n;
    }
    return n;
  }
  void runLoop() {
    for (int i = 0; i < 10; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_;
  std::unique_ptr<FillWaker> waker_;
  std::shared_ptr<Fill> fill_;
  Woken follower_woken_;
  Woken leader_woken_;
  Fill::Subscription follower_;
  uint64_t leader_id_ = 0;
};

TEST_F(FillOverflow, TheLeaderWaitsWhenTheWindowIsFullAndNothingIsLost) {
  const size_t n = fillUntilFull();
  EXPECT_EQ(n * kChunk, Fill::kOverflowWindow);
  EXPECT_FALSE(fill_->roomForMore());
  Fill::View v = follower_.read(0);  // the follower has read nothing yet
  EXPECT_FALSE(v.lost);
  EXPECT_EQ(v.chunks.size(), n);
  runLoop();
  EXPECT_EQ(leader_woken_.count, 0) << "woken although no follower read on";
}

TEST_F(FillOverflow, AFollowerReadingOnWakesTheLeader) {
  const size_t n = fillUntilFull();
  follower_.read(n / 2);  // consumed half
  runLoop();
  EXPECT_EQ(leader_woken_.count, 1);
  EXPECT_TRUE(fill_->roomForMore());
  // What the follower consumed is gone; the rest is still there for it.
  Fill::View v = follower_.read(n / 2);
  EXPECT_FALSE(v.lost);
  EXPECT_EQ(v.chunks.size(), n - n / 2);
  EXPECT_TRUE(fill_->read(0).lost);
}

TEST_F(FillOverflow, TheLastFollowerLeavingWakesTheLeader) {
  fillUntilFull();
  follower_.reset();
  runLoop();
  EXPECT_EQ(leader_woken_.count, 1);
  EXPECT_TRUE(fill_->roomForMore());
}

TEST_F(FillOverflow, ALeaderThatDoesNotWaitCutsOnlyFollowersPastTheHardCap) {
  const size_t window_chunks = Fill::kOverflowWindow / kChunk;
  for (size_t i = 0; i < 2 * window_chunks; ++i) fill_->appendBody(chunk());
  EXPECT_FALSE(follower_.read(0).lost) << "cut at twice the window";
  for (size_t i = 0; i < 4 * window_chunks; ++i) fill_->appendBody(chunk());
  EXPECT_TRUE(follower_.read(0).lost) << "kept more than the hard cap";
}

TEST(FillNoOverflow, ThereIsAlwaysRoomBeforeOverflow) {
  auto fill = std::make_shared<Fill>("http://origin.test/small");
  fill->publishHead(nullptr, std::nullopt);
  for (size_t i = 0; i < 2 * Fill::kOverflowWindow / kChunk; ++i) fill->appendBody(chunk());
  EXPECT_TRUE(fill->roomForMore()) << "a storable object is kept whole, the leader never waits";
}

}  // namespace
}  // namespace cuttle::cache
