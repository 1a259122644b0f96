#include "conf/reader.h"

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cuttle::conf {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trimSpace(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Reads the quoted string starting at text[*pos] == '"' into `tok`; advances *pos past it.
bool readQuoted(const std::string& text, size_t* pos, Token* tok, std::string* error) {
  const size_t n = text.size();
  size_t j = *pos + 1;
  for (;;) {
    if (j >= n) {
      *error = "unterminated quoted string";
      return false;
    }
    char c = text[j];
    if (c == '"') {
      ++j;
      break;
    }
    if (c == '\\' && j + 1 < n) {
      char e = text[j + 1];
      switch (e) {
        case 'n':
          tok->value += '\n';
          break;
        case 'r':
          tok->value += '\r';
          break;
        case 't':
          tok->value += '\t';
          break;
        case '"':
        case '\\':
          tok->value += e;
          break;
        default:  // unknown escapes are kept as written (regexes, Windows paths)
          tok->value += '\\';
          tok->value += e;
      }
      j += 2;
      continue;
    }
    tok->value += c;
    ++j;
  }
  if (j < n && !isSpace(text[j])) {
    *error = "unexpected text after a quoted string";
    return false;
  }
  tok->raw = text.substr(*pos, j - *pos);
  tok->quoted = true;
  *pos = j;
  return true;
}

std::string dirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool hasGlobChars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

// squid's conditional: "true", "false" or "INTEGER = INTEGER".
bool evalCondition(std::string_view expr, bool* value, std::string* error) {
  expr = trimSpace(expr);
  if (expr.find("${") != std::string_view::npos) {
    *error = "squid macros (${...}) are not supported by cuttle";
    return false;
  }
  if (expr == "true" || expr == "false") {
    *value = expr == "true";
    return true;
  }
  size_t eq = expr.find('=');
  if (eq != std::string_view::npos) {
    std::string left(trimSpace(expr.substr(0, eq)));
    std::string right(trimSpace(expr.substr(eq + 1)));
    char* end1 = nullptr;
    char* end2 = nullptr;
    long a = std::strtol(left.c_str(), &end1, 0);
    long b = std::strtol(right.c_str(), &end2, 0);
    if (!left.empty() && !right.empty() && *end1 == '\0' && *end2 == '\0') {
      *value = a == b;
      return true;
    }
  }
  *error = "cannot evaluate '" + std::string(expr) + "' (expected true, false or N = M)";
  return false;
}

}  // namespace

std::string_view Statement::restFrom(size_t i) const {
  if (i + 1 >= tokens.size()) return {};
  std::string_view rest(text);
  rest = rest.substr(tokens[i + 1].begin, end - tokens[i + 1].begin);
  while (!rest.empty() && isSpace(rest.back())) rest.remove_suffix(1);
  return rest;
}

bool tokenizeLine(Statement* st, std::string* error) {
  const std::string& t = st->text;
  const size_t n = t.size();
  st->tokens.clear();
  st->end = n;
  size_t i = 0;
  for (;;) {
    while (i < n && isSpace(t[i])) ++i;
    if (i >= n) break;
    if (t[i] == '#') {
      st->end = i;
      break;
    }
    Token tok;
    tok.begin = i;
    if (t[i] == '"') {
      if (!readQuoted(t, &i, &tok, error)) return false;
    } else {
      size_t j = i;
      while (j < n && !isSpace(t[j])) ++j;
      tok.raw = t.substr(i, j - i);
      tok.value = tok.raw;
      i = j;
    }
    st->tokens.push_back(std::move(tok));
  }
  return true;
}

bool ConfigReader::readFile(const std::string& path) {
  std::string content;
  std::string why;
  if (!loadFile(path, &content, &why)) {
    sink_.error(path, 0, "", "cannot read the configuration file: " + why);
    return false;
  }
  open_files_.push_back(canonical(path));
  readBuffer(content, path, dirName(path), 0);
  open_files_.pop_back();
  return true;
}

void ConfigReader::readText(std::string_view text, const std::string& name) {
  readBuffer(text, name, "", 0);
}

bool ConfigReader::loadFile(const std::string& path, std::string* out, std::string* error_text) {
  struct stat sb {};
  if (stat(path.c_str(), &sb) != 0) {
    *error_text = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(sb.st_mode)) {
    *error_text = "is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error_text = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error_text = "read error";
    return false;
  }
  *out = ss.str();
  return true;
}

void ConfigReader::readBuffer(std::string_view text, const std::string& name,
                              const std::string& base_dir, int depth) {
  FileState fs{name, base_dir, depth, {}};
  std::string pending;
  bool continuing = false;
  int first_line = 0;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view phys = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    phys = trimSpace(phys);
    if (phys.empty() || phys.front() == '#') continue;
    if (!continuing) first_line = lineno;
    pending.append(phys);
    if (pending.back() == '\\') {
      pending.pop_back();
      continuing = true;
      continue;
    }
    processLine(fs, pending, first_line);
    pending.clear();
    continuing = false;
  }
  if (continuing) processLine(fs, pending, first_line);  // the file ended on a backslash
  for (const Conditional& c : fs.conditionals) {
    sink_.error(name, c.line, "if", "'if' without 'endif'");
  }
}

void ConfigReader::processLine(FileState& fs, const std::string& text, int line) {
  Statement st;
  st.file = fs.name;
  st.line = line;
  st.text = std::string(trimSpace(text));
  std::string error;
  if (!tokenizeLine(&st, &error)) {
    std::string word = st.text.substr(0, st.text.find_first_of(" \t"));
    sink_.error(st.file, st.line, word, error);
    return;
  }
  if (st.tokens.empty()) return;
  if (handleConditional(fs, st)) return;
  for (const Conditional& c : fs.conditionals) {
    if (!c.value) return;
  }
  if (st.text.find("${") != std::string::npos) {
    sink_.ignored(st, "squid macros (${...}) are not expanded by cuttle");
  }
  if (st.name() == "include") {
    handleInclude(st, fs.base_dir, fs.depth);
    return;
  }
  emit_(st);
}

bool ConfigReader::handleConditional(FileState& fs, const Statement& st) {
  const std::string& name = st.name();
  if (name == "if") {
    Conditional c{false, false, st.line};
    std::string error;
    if (!evalCondition(st.restFrom(0), &c.value, &error)) sink_.error(st, error);
    fs.conditionals.push_back(c);
    return true;
  }
  if (name == "else") {
    if (fs.conditionals.empty() || fs.conditionals.back().in_else) {
      sink_.error(st, "'else' without 'if'");
    } else {
      fs.conditionals.back().value = !fs.conditionals.back().value;
      fs.conditionals.back().in_else = true;
    }
    return true;
  }
  if (name == "endif") {
    if (fs.conditionals.empty()) {
      sink_.error(st, "'endif' without 'if'");
    } else {
      fs.conditionals.pop_back();
    }
    return true;
  }
  return false;
}

void ConfigReader::handleInclude(const Statement& st, const std::string& base_dir, int depth) {
  if (st.argCount() == 0) {
    sink_.error(st, "missing file name");
    return;
  }
  for (size_t i = 0; i < st.argCount(); ++i) {
    std::string pattern = st.arg(i);
    if (!pattern.empty() && pattern.front() != '/' && !base_dir.empty()) {
      pattern = base_dir + "/" + pattern;
    }
    glob_t g{};
    int rc = glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t k = 0; k < g.gl_pathc; ++k) includeFile(st, g.gl_pathv[k], depth + 1);
    } else if (rc == GLOB_NOMATCH && hasGlobChars(pattern)) {
      sink_.error(st, "no file matches '" + pattern + "'");
    } else if (rc == GLOB_NOMATCH) {
      sink_.error(st, "cannot read '" + pattern + "': " + std::strerror(ENOENT));
    } else {
      sink_.error(st, "cannot expand '" + pattern + "'");
    }
    globfree(&g);
  }
}

void ConfigReader::includeFile(const Statement& st, const std::string& path, int depth) {
  if (depth > kMaxIncludeDepth) {
    sink_.error(st, "includes nested too deeply (more than " + std::to_string(kMaxIncludeDepth) +
                        "): '" + path + "'");
    return;
  }
  std::string canon = canonical(path);
  for (const std::string& open : open_files_) {
    if (open == canon) {
      sink_.error(st, "'" + path + "' includes itself");
      return;
    }
  }
  std::string content;
  std::string why;
  if (!loadFile(path, &content, &why)) {
    sink_.error(st, "cannot read '" + path + "': " + why);
    return;
  }
  open_files_.push_back(canon);
  readBuffer(content, path, dirName(path), depth);
  open_files_.pop_back();
}

}  // namespace cuttle::conf
