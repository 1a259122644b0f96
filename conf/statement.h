// Internal to conf/: one directive line as read from a file, and the sink that collects
// the diagnostics of a parse. Not part of the public contract (see conf/config.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"

namespace cuttle::conf {

struct Token {
  std::string value;  // unquoted: escapes \" \\ \n \r \t resolved
  std::string raw;    // as written, with its quotes if it had any
  size_t begin = 0;   // offset of `raw` in Statement::text
  bool quoted = false;
};

// A logical line: continuation lines joined, whole-line comments skipped. `text` is the
// line as joined (squid strips the leading whitespace of continuation lines); `end` is
// where a trailing comment starts, or text.size().
struct Statement {
  std::string file;
  int line = 0;  // first physical line of the directive
  std::string text;
  size_t end = 0;
  std::vector<Token> tokens;  // tokens[0] is the directive name; never empty

  const std::string& name() const { return tokens.front().value; }
  size_t argCount() const { return tokens.size() - 1; }
  // Argument i (0-based, after the directive name), unquoted.
  const std::string& arg(size_t i) const { return tokens[i + 1].value; }
  // The text from argument i to the end of the directive (before any comment), as written.
  std::string_view restFrom(size_t i) const;
};

// Collects errors and warnings in order. A "strictable" warning reports something cuttle
// ignores (an unsupported or unknown directive, an ignored option); `cuttle_strict on`
// turns all of them into errors at the end of the parse.
class DiagnosticSink {
 public:
  void error(const std::string& file, int line, const std::string& directive, std::string message);
  void error(const Statement& st, std::string message) {
    error(st.file, st.line, st.name(), std::move(message));
  }
  void warn(const Statement& st, std::string message) { add(st, std::move(message), false); }
  void ignored(const Statement& st, std::string message) { add(st, std::move(message), true); }

  // Moves the strictable warnings into the errors (in their original order).
  void applyStrict();

  bool hasErrors() const { return !errors_.empty(); }
  std::vector<Diagnostic> takeErrors() { return std::move(errors_); }
  std::vector<Diagnostic> warnings() const;

 private:
  struct Warning {
    Diagnostic diag;
    bool strictable = false;
  };
  void add(const Statement& st, std::string message, bool strictable);

  std::vector<Diagnostic> errors_;
  std::vector<Warning> warnings_;
};

}  // namespace cuttle::conf
