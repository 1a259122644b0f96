// Internal to conf/: turns squid.conf text into Statements, in order, following `include`
// and squid's `if` / `else` / `endif` conditionals.
//
// Lines (as squid): leading whitespace is ignored; a line whose first character is `#` is
// a comment, even inside a continuation; blank lines are skipped; a line ending with a
// backslash continues on the next line (the backslash is removed and the next line's
// leading whitespace dropped). Tokens are separated by whitespace; a token that starts
// with `#` starts a trailing comment; a token that starts with `"` is a quoted string up
// to the next unescaped `"`.
//
// `include PATTERN...`: each pattern is expanded with glob(3) (sorted); a relative pattern
// is taken relative to the directory of the including file. A pattern that matches nothing
// is an error at the include line, as in squid. Includes nest at most 16 deep.
//
// `if EXPR` / `else` / `endif`: EXPR is `true`, `false` or `INTEGER = INTEGER`. squid's
// macros (${process_number}...) are not expanded by cuttle: an expression using one is an
// error, and a directive using one gets a (strictable) warning.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/statement.h"

namespace cuttle::conf {

class ConfigReader {
 public:
  using Emit = std::function<void(const Statement&)>;

  // `sink` and `emit` must outlive the reader. `emit` is called once per directive.
  ConfigReader(DiagnosticSink& sink, Emit emit) : sink_(sink), emit_(std::move(emit)) {}

  // Reads a top-level file. A file that cannot be read is an error about the file
  // (line 0). Returns false if the file could not be opened.
  bool readFile(const std::string& path);
  // Reads text standing for a file named `name`; relative includes are relative to the
  // current directory.
  void readText(std::string_view text, const std::string& name);

  static constexpr int kMaxIncludeDepth = 16;

 private:
  struct Conditional {
    bool value = false;
    bool in_else = false;
    int line = 0;
  };
  struct FileState {
    std::string name;
    std::string base_dir;  // where relative includes start ("" for the current directory)
    int depth = 0;
    std::vector<Conditional> conditionals;  // open if/else blocks of this file
  };
  void readBuffer(std::string_view text, const std::string& name, const std::string& base_dir,
                  int depth);
  void processLine(FileState& fs, const std::string& text, int line);
  // True if `st` was if/else/endif (and has been handled).
  bool handleConditional(FileState& fs, const Statement& st);
  bool loadFile(const std::string& path, std::string* out, std::string* error_text);
  void handleInclude(const Statement& st, const std::string& base_dir, int depth);
  void includeFile(const Statement& st, const std::string& path, int depth);

  DiagnosticSink& sink_;
  Emit emit_;
  std::vector<std::string> open_files_;  // canonical paths being read, to detect cycles
};

// Splits a logical line into tokens (exposed for tests). Returns false and sets `error`
// on an unterminated quoted string or text glued to a closing quote.
bool tokenizeLine(Statement* st, std::string* error);

}  // namespace cuttle::conf
