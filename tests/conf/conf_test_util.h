// Helpers for the conf/ tests: a temporary directory that cleans itself up, and lookups in
// lists of diagnostics.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "conf/config.h"

namespace cuttle::conf::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cuttle-conf-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/relative (creating directories); returns the full path.
  std::string write(const std::string& relative, const std::string& content) const {
    std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << content;
    return full.string();
  }

 private:
  std::string path_;
};

// The diagnostics whose message contains `needle`.
inline std::vector<Diagnostic> withMessage(const std::vector<Diagnostic>& list,
                                           const std::string& needle) {
  std::vector<Diagnostic> out;
  for (const Diagnostic& d : list) {
    if (d.message.find(needle) != std::string::npos) out.push_back(d);
  }
  return out;
}

inline std::string dump(const std::vector<Diagnostic>& list) {
  std::string out;
  for (const Diagnostic& d : list) out += d.toString() + "\n";
  return out;
}

// Parses `text` and expects no errors; returns the config (never null when it returns).
inline std::shared_ptr<Config> parseOk(const std::string& text, ParseOutcome* outcome = nullptr) {
  ParseOutcome out = parseConfigText(text, "test.conf");
  EXPECT_TRUE(out.errors.empty()) << dump(out.errors);
  EXPECT_NE(out.config, nullptr);
  auto cfg = out.config ? out.config : std::make_shared<Config>();
  if (outcome != nullptr) *outcome = std::move(out);
  return cfg;
}

// Parses `text` and expects exactly one error, at `line`, about `directive`; returns it.
inline Diagnostic parseOneError(const std::string& text, int line, const std::string& directive) {
  ParseOutcome out = parseConfigText(text, "test.conf");
  EXPECT_EQ(out.config, nullptr);
  EXPECT_EQ(out.errors.size(), 1u) << dump(out.errors);
  if (out.errors.empty()) return {};
  EXPECT_EQ(out.errors[0].file, "test.conf");
  EXPECT_EQ(out.errors[0].line, line) << dump(out.errors);
  EXPECT_EQ(out.errors[0].directive, directive) << dump(out.errors);
  return out.errors[0];
}

}  // namespace cuttle::conf::test
