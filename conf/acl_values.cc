// Reading the values of an acl line: options, inline values and `"/path/file"` lists.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/acl.h"

namespace cuttle::conf::acl {

void Diagnostics::error(const std::string& file, int line, const std::string& directive,
                        std::string message) {
  errors_->push_back(Diagnostic{file, line, directive, std::move(message)});
}

void Diagnostics::warning(const std::string& file, int line, const std::string& directive,
                          std::string message) {
  warnings_->push_back(Diagnostic{file, line, directive, std::move(message)});
}

void ValueDiagnostics::error(const Token& token, const std::string& message) {
  diag_.error(token.file != nullptr ? *token.file : std::string(), token.line, "acl",
              "ACL '" + name_ + "': " + message);
}

void ValueDiagnostics::warning(const Token& token, const std::string& message) {
  diag_.warning(token.file != nullptr ? *token.file : std::string(), token.line, "acl",
                "ACL '" + name_ + "': " + message);
}

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// `"text"` -> text, with \" and \\ unescaped (the reader keeps a quoted token as written).
std::string unquote(std::string_view raw) {
  std::string out;
  if (raw.size() >= 2) raw = raw.substr(1, raw.size() - 2);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace

bool TokenList::load(const RawDirective& directive, size_t first_arg, Diagnostics& diag) {
  files_.push_back(directive.file);
  const std::string* conf_file = &files_.back();
  bool ok = true;
  for (size_t i = first_arg; i < directive.args.size(); ++i) {
    const std::string& arg = directive.args[i];
    if (!arg.empty() && arg.front() == '"') {
      ok = readFile(directive, unquote(arg), diag) && ok;
    } else {
      tokens_.push_back(Token{arg, conf_file, directive.line});
    }
  }
  return ok;
}

bool TokenList::readFile(const RawDirective& directive, const std::string& path,
                         Diagnostics& diag) {
  std::filesystem::path full(path);
  if (full.is_relative()) {
    full = std::filesystem::path(directive.file).parent_path() / full;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(full, ec)) {
    diag.error(directive.file, directive.line, directive.name,
               "cannot read the values file \"" + full.string() + "\": it is a directory");
    return false;
  }
  errno = 0;
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    int err = errno;
    diag.error(directive.file, directive.line, directive.name,
               "cannot read the values file \"" + full.string() +
                   "\": " + (err != 0 ? std::strerror(err) : "open failed"));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diag.error(directive.file, directive.line, directive.name,
               "cannot read the values file \"" + full.string() + "\"");
    return false;
  }
  files_.push_back(full.string());
  const std::string* file = &files_.back();
  std::string content = text.str();
  // squid 5 reads one value per line: the whole line, leading and trailing whitespace
  // removed, inner spaces kept (a regex may contain spaces). A line whose first
  // non-blank character is '#' is a comment; there are no comments after a value.
  int line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && isSpace(line.front())) line.remove_prefix(1);
    while (!line.empty() && isSpace(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    tokens_.push_back(Token{std::string(line), file, line_no});
  }
  return true;
}

void Acl::parseLine(const std::vector<Token>& tokens, ValueDiagnostics& diag) {
  bool options_done = false;
  bool icase = false;
  for (const Token& token : tokens) {
    const std::string& t = token.text;
    if (!options_done && t == "--") {
      options_done = true;
      continue;
    }
    // squid: -i and +i may also appear between the values of regex types, switching case
    // sensitivity for the values that follow.
    if ((options() & kOptCase) != 0 && (t == "-i" || t == "+i")) {
      icase = t == "-i";
      continue;
    }
    if (!options_done && t.size() >= 2 && (t[0] == '-' || t[0] == '+') &&
        ((t[1] >= 'a' && t[1] <= 'z') || (t[1] >= 'A' && t[1] <= 'Z'))) {
      if (t == "-n" && (options() & kOptNoLookup) != 0) {
        no_lookup_ = true;
      } else if ((options() & kOptAny) != 0) {
        // Types cuttle does not implement: their options are not checked.
      } else {
        diag.error(token, "unsupported option '" + t + "' for type " + type_);
      }
      continue;
    }
    options_done = true;
    addValue(token, icase, diag);
  }
  lineDone();
}

}  // namespace cuttle::conf::acl
