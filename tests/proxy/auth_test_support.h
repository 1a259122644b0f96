// Helpers shared by the authentication tests: a temporary directory, base64, crypt(3)
// hashes made at test time, and a loop that runs until a condition holds (with a
// watchdog, never a sleep).
#pragma once

#include <crypt.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cuttle::proxy::testing_auth {

// A directory of the test's own, removed with its files at the end.
class TempDir {
 public:
  TempDir() {
    std::string templ = ::testing::TempDir() + "cuttle_auth_XXXXXX";
    char* made = mkdtemp(templ.data());
    EXPECT_NE(made, nullptr);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `name` in the directory; returns its path.
  std::string write(const std::string& name, std::string_view content,
                    bool executable = false) const {
    std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (executable) chmod(file.c_str(), 0755);
    return file;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string path_;
};

inline std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

inline std::string basicField(std::string_view user, std::string_view password) {
  return "Basic " + base64(std::string(user) + ":" + std::string(password));
}

// crypt_r() with a fresh salt of the given method ("$2b$", "$6$", "$5$", "$1$", "$y$", ""
// for DES), at the method's lowest cost where it has one (tests stay fast).
inline std::string hashPassword(const std::string& prefix, const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  unsigned long cost = prefix == "$2b$" ? 4 : 0;  // NOLINT(runtime/int): libcrypt's type
  const char* made = crypt_gensalt_rn(prefix.empty() ? nullptr : prefix.c_str(), cost, nullptr, 0,
                                      setting, sizeof(setting));
  if (prefix.empty()) {
    // crypt_gensalt_rn(NULL) picks the system's preferred method; DES wants "xy".
    setting[0] = 'k';
    setting[1] = 'Q';
    setting[2] = '\0';
    made = setting;
  }
  EXPECT_NE(made, nullptr) << prefix;
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), made, data.get());
  EXPECT_NE(hash, nullptr);
  return hash == nullptr ? std::string() : std::string(hash);
}

// A loop for one test. run(until) turns it until the condition holds or the watchdog
// fires (a test failure, not a wait). finish() closes the loop and checks it closed clean.
class TestLoop {
 public:
  TestLoop() {
    std::signal(SIGPIPE, SIG_IGN);  // as cuttle's server does: helpers may die mid-write
    uv_loop_init(&loop_);
  }
  ~TestLoop() { EXPECT_TRUE(finished_) << "finish() not called"; }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  bool run(const std::function<bool()>& until, uint64_t timeout_ms = 20000) {
    bool fired = false;
    uv_timer_t watchdog;
    uv_timer_init(&loop_, &watchdog);
    watchdog.data = &fired;
    uv_timer_start(
        &watchdog, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, timeout_ms, 0);
    while (!until() && !fired) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // the watchdog's close callback
    EXPECT_FALSE(fired) << "watchdog: condition not reached";
    return !fired;
  }
  // Runs until nothing is left (after close() of everything on it).
  void drain() { uv_run(&loop_, UV_RUN_DEFAULT); }
  void finish() {
    drain();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    finished_ = true;
  }

 private:
  uv_loop_t loop_;
  bool finished_ = false;
};

}  // namespace cuttle::proxy::testing_auth
