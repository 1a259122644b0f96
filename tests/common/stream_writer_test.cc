#include "common/stream_writer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>

namespace cuttle {
namespace {

// A writer on one end of a socketpair; the test reads the other end itself.
struct Fixture : StreamWriter::Listener {
  uv_loop_t loop;
  uv_pipe_t pipe;
  int peer = -1;
  std::unique_ptr<StreamWriter> writer;
  int drained = 0;
  int idle = 0;
  int errors = 0;

  Fixture(size_t high, size_t low) {
    uv_loop_init(&loop);
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    int small = 4096;
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    uv_pipe_init(&loop, &pipe, 0);
    uv_pipe_open(&pipe, fds[0]);
    peer = fds[1];
    writer = std::make_unique<StreamWriter>(reinterpret_cast<uv_stream_t*>(&pipe), this, high, low);
  }
  ~Fixture() override {
    writer.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
    ::close(peer);
  }
  void onWriteDrained() override { ++drained; }
  void onWriteIdle() override { ++idle; }
  void onWriteError(int) override { ++errors; }

  // Reads whatever the peer has, without blocking.
  std::string readSome() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(peer, buf, sizeof(buf), MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

int uv_fileno_fd(Fixture& f) {
  uv_os_fd_t fd;
  uv_fileno(reinterpret_cast<uv_handle_t*>(&f.pipe), &fd);
  return fd;
}

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

TEST(StreamWriter, EverythingArrivesInOrderAcrossPartialWrites) {
  Fixture f(64 * 1024, 16 * 1024);
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    std::string piece = pattern(10000 + static_cast<size_t>(i) * 977, static_cast<char>(i));
    expected += piece;
    if (i % 2 == 0) {
      f.writer->append(std::string_view(piece));
    } else {
      f.writer->append(std::make_shared<const std::string>(piece), 0, piece.size());
    }
    f.writer->flush();
  }
  std::string got;
  while (got.size() < expected.size()) {
    got += f.readSome();
    uv_run(&f.loop, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(f.writer->pending(), 0u);
  EXPECT_EQ(f.errors, 0);
}

// Regression: flush() used to clear the above-high-watermark state when the kernel took the
// rest of the queue at once, so onWriteDrained() never came and a reader paused on the
// watermark stayed paused forever (large responses and tunnels stalled).
TEST(StreamWriter, DrainedIsReportedAfterExceedingTheHighWatermark) {
  Fixture f(32 * 1024, 8 * 1024);
  f.writer->append(pattern(200 * 1024, 'a'));
  f.writer->flush();
  ASSERT_TRUE(f.writer->aboveHighWatermark());  // the socket buffer is small
  // More bytes queued while the first write is in flight, as a second upstream read would.
  f.writer->append(pattern(4 * 1024, 'b'));
  f.writer->flush();
  // Room for everything from now on: when the write in flight completes, the queued bytes
  // leave at once, inside the completion callback (the case that lost the notification).
  int big = 4 * 1024 * 1024;
  setsockopt(uv_fileno_fd(f), SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  size_t received = 0;
  while (f.drained == 0 && received < 204 * 1024) {
    received += f.readSome().size();
    uv_run(&f.loop, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(f.drained, 1);
  while (f.writer->pending() > 0) {
    f.readSome();
    uv_run(&f.loop, UV_RUN_NOWAIT);
  }
  EXPECT_GE(f.idle, 1);
}

// writeThrough() sends from the caller's memory and copies only the rest: the caller's
// buffer can be overwritten right after (a shared read buffer), and bytes keep their order
// behind a write in flight and across the watermark.
TEST(StreamWriter, WriteThroughCopiesWhatTheSocketDidNotTakeAndKeepsOrder) {
  Fixture f(32 * 1024, 8 * 1024);
  std::string expected;
  std::string reused(100 * 1024, '\0');  // one buffer, refilled for every piece
  for (int i = 0; i < 12; ++i) {
    std::string piece = pattern(reused.size() - static_cast<size_t>(i) * 1000, static_cast<char>(i));
    reused.replace(0, piece.size(), piece);
    expected += piece;
    f.writer->writeThrough(std::string_view(reused.data(), piece.size()));
    std::fill(reused.begin(), reused.end(), 'X');  // the caller reuses its buffer at once
    if (i == 0) {
      EXPECT_TRUE(f.writer->aboveHighWatermark()) << "the small socket took all 100 KiB?";
    }
  }
  std::string got;
  while (got.size() < expected.size()) {
    got += f.readSome();
    uv_run(&f.loop, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(got, expected);
  while (f.writer->pending() > 0) uv_run(&f.loop, UV_RUN_NOWAIT);
  EXPECT_EQ(f.writer->bytesWritten(), expected.size());
  EXPECT_EQ(f.drained, 1);
  EXPECT_EQ(f.errors, 0);
}

}  // namespace
}  // namespace cuttle
