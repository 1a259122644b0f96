// parseAuthConfig() and loadAuthSetup(): squid's auth_param lines (squid 5's
// src/auth/SchemeConfig.cc and src/auth/basic/Config.cc are the reference for the
// parameters and their defaults).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "common/strings.h"
#include "proxy/auth.h"

namespace cuttle::proxy {

namespace {

using conf::Diagnostic;
using conf::RawDirective;

// A quoted argument as the reader keeps it ("..." with \" \\ \n \r \t escapes) without its
// quotes; anything else as it is.
std::string unquote(std::string_view arg) {
  if (arg.size() < 2 || arg.front() != '"' || arg.back() != '"') return std::string(arg);
  std::string out;
  for (size_t i = 1; i + 1 < arg.size(); ++i) {
    char c = arg[i];
    if (c == '\\' && i + 2 < arg.size()) {
      c = arg[++i];
      if (c == 'n') c = '\n';
      if (c == 'r') c = '\r';
      if (c == 't') c = '\t';
    }
    out.push_back(c);
  }
  return out;
}

bool isNcsaHelper(const std::string& program) {
  std::string name = std::filesystem::path(program).filename().string();
  return name == "basic_ncsa_auth" || name == "ncsa_auth";
}

class AuthParser {
 public:
  AuthParser(std::vector<Diagnostic>* errors, std::vector<Diagnostic>* warnings)
      : errors_(errors), warnings_(warnings) {}

  void line(const RawDirective& d) {
    if (d.args.empty()) {
      error(d, "expected: auth_param SCHEME PARAMETER [VALUE...]");
      return;
    }
    const std::string scheme = unquote(d.args[0]);
    if (!iequals(scheme, "basic")) {
      warn(d, "the " + scheme + " scheme is not supported by cuttle (only basic); line ignored");
      return;
    }
    if (first_line_ == nullptr) first_line_ = &d;
    if (d.args.size() < 2) {
      error(d, "expected: auth_param basic PARAMETER [VALUE...]");
      return;
    }
    const std::string param = toLower(d.args[1]);
    std::vector<std::string> values(d.args.begin() + 2, d.args.end());
    if (param != "program" && param != "file" && !seen_.insert(param).second) {
      warn(d, "auth_param basic " + param + " given again; the last one is used");
    }
    if (param == "program" || param == "file") {
      source(d, param, values);
    } else if (param == "children") {
      children(d, values);
    } else if (param == "realm") {
      realm(d, values);
    } else if (param == "credentialsttl") {
      credentialsTtl(d, values);
    } else if (param == "casesensitive") {
      if (values.size() != 1 || (values[0] != "on" && values[0] != "off")) {
        error(d, "expected: auth_param basic casesensitive on|off");
      } else {
        config_.case_sensitive = values[0] == "on";
      }
    } else if (param == "utf8" || param == "key_extras" || param == "keep_alive") {
      warn(d, "auth_param basic " + param + " is not supported by cuttle; ignored");
    } else {
      warn(d, "unknown auth_param basic parameter \"" + d.args[1] + "\"; ignored");
    }
  }

  std::shared_ptr<const BasicAuthConfig> finish() {
    if (first_line_ != nullptr && !have_source_) {
      error(*first_line_,
            "auth_param basic needs a program (auth_param basic program PATH [ARGS]) or, as a "
            "cuttle extension, a password file (auth_param basic file PATH)");
    }
    if (failed_) return nullptr;
    config_.enabled = have_source_;
    return std::make_shared<const BasicAuthConfig>(std::move(config_));
  }

 private:
  void source(const RawDirective& d, const std::string& param,
              const std::vector<std::string>& values) {
    if (values.empty()) {
      error(d, param == "file" ? "expected: auth_param basic file PATH"
                               : "expected: auth_param basic program PATH [ARGS...]");
      return;
    }
    if (have_source_) warn(d, "a second helper program or file; the last one is used");
    std::vector<std::string> argv;
    for (const std::string& v : values) argv.push_back(unquote(v));
    config_.source_file = d.file;
    config_.source_line = d.line;
    config_.program.clear();
    config_.password_file.clear();
    if (param == "file" || isNcsaHelper(argv[0])) {
      size_t file_arg = param == "file" ? 0 : 1;
      if (argv.size() <= file_arg) {
        error(d, argv[0] + " needs the password file: auth_param basic program " + argv[0] +
                     " /path/to/passwd");
        return;
      }
      if (argv.size() > file_arg + 1) {
        warn(d, "arguments after the password file are ignored (cuttle reads the file itself)");
      }
      std::filesystem::path path(argv[file_arg]);
      if (path.is_relative()) path = std::filesystem::path(d.file).parent_path() / path;
      if (!readable(d, path.string())) return;
      config_.password_file = path.string();
    } else {
      if (argv[0].find('/') != std::string::npos && ::access(argv[0].c_str(), X_OK) != 0) {
        int err = errno;
        error(d, "cannot run the authentication helper " + argv[0] + ": " + std::strerror(err));
        return;
      }
      config_.program = std::move(argv);
    }
    have_source_ = true;
  }

  bool readable(const RawDirective& d, const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      error(d, "cannot read the password file " + path + ": it is a directory");
      return false;
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      int err = errno;
      error(d, "cannot read the password file " + path + ": " +
                   (err != 0 ? std::strerror(err) : "open failed"));
      return false;
    }
    return true;
  }

  void children(const RawDirective& d, const std::vector<std::string>& values) {
    std::optional<uint64_t> n = values.empty() ? std::nullopt : parseDecimal(values[0]);
    if (!n || *n == 0 || *n > 1000) {
      error(d,
            "expected: auth_param basic children N (1 to 1000) [startup=N] [idle=N] "
            "[concurrency=N] [queue-size=N]");
      return;
    }
    config_.children = static_cast<int>(*n);
    for (size_t i = 1; i < values.size(); ++i) {
      const std::string& option = values[i];
      size_t eq = option.find('=');
      std::string key = option.substr(0, eq);
      // A plain number and a flag: GCC 12 at -O2 warns about std::optional here.
      uint64_t value = 0;
      bool valid = false;
      if (eq != std::string::npos) {
        if (auto v = parseDecimal(option.substr(eq + 1))) {
          value = *v;
          valid = true;
        }
      }
      if (key == "startup" || key == "idle" || key == "concurrency" || key == "queue-size") {
        if (!valid) {
          error(d, "bad value in children option \"" + option + "\"");
        } else if (key == "concurrency") {
          if (value > 1000) {
            error(d, "concurrency= above 1000");
          } else {
            config_.concurrency = static_cast<int>(value);
          }
        } else if (key == "queue-size") {
          config_.queue_size = static_cast<size_t>(value);
        }
        // startup= and idle=: cuttle starts helpers when lookups need them.
      } else {
        warn(d, "children option \"" + option + "\" is not supported by cuttle; ignored");
      }
    }
  }

  void realm(const RawDirective& d, const std::vector<std::string>& values) {
    std::string text;
    if (values.size() == 1) {
      text = unquote(values[0]);
    } else {
      for (const std::string& v : values) {
        if (!text.empty()) text.push_back(' ');
        text += v;
      }
    }
    if (text.empty()) {
      error(d, "expected: auth_param basic realm TEXT");
      return;
    }
    config_.realm = std::move(text);
  }

  void credentialsTtl(const RawDirective& d, const std::vector<std::string>& values) {
    if (values.empty() || values.size() > 2) {
      error(d, "expected: auth_param basic credentialsttl N [seconds|minutes|hours...]");
      return;
    }
    std::string_view unit = values.size() == 2 ? std::string_view(values[1]) : std::string_view();
    std::optional<conf::Duration> ttl = conf::parseDuration(values[0], unit, "seconds");
    if (!ttl) {
      error(d, "bad time \"" + values[0] + (unit.empty() ? "" : " ") + std::string(unit) + "\"");
      return;
    }
    if (unit.empty()) warn(d, "no unit given for credentialsttl; assuming seconds");
    config_.credentials_ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  }

  void error(const RawDirective& d, std::string message) {
    failed_ = true;
    if (errors_ != nullptr)
      errors_->push_back(Diagnostic{d.file, d.line, d.name, std::move(message)});
  }
  void warn(const RawDirective& d, std::string message) {
    if (warnings_ != nullptr) {
      warnings_->push_back(Diagnostic{d.file, d.line, d.name, std::move(message)});
    }
  }

  std::vector<Diagnostic>* errors_;
  std::vector<Diagnostic>* warnings_;
  BasicAuthConfig config_;
  const RawDirective* first_line_ = nullptr;
  bool have_source_ = false;
  bool failed_ = false;
  std::set<std::string> seen_;
};

}  // namespace

std::shared_ptr<const BasicAuthConfig> parseAuthConfig(const conf::Config& config,
                                                       std::vector<Diagnostic>* errors,
                                                       std::vector<Diagnostic>* warnings) {
  AuthParser parser(errors, warnings);
  for (const RawDirective& d : config.rules) {
    if (d.name == "auth_param") parser.line(d);
  }
  return parser.finish();
}

AuthSetup loadAuthSetup(const conf::Config& config, std::vector<Diagnostic>* errors,
                        std::vector<Diagnostic>* warnings) {
  AuthSetup setup;
  std::shared_ptr<const BasicAuthConfig> parsed = parseAuthConfig(config, errors, warnings);
  if (!parsed) return setup;
  if (parsed->enabled && !parsed->password_file.empty()) {
    Result<std::shared_ptr<const PasswordFile>> file = PasswordFile::load(parsed->password_file);
    if (!file.ok()) {
      if (errors != nullptr) {
        errors->push_back(
            Diagnostic{parsed->source_file, parsed->source_line, "auth_param", file.error().cause});
      }
      return setup;
    }
    const PasswordFile::Report& report = file.value()->report();
    if (warnings != nullptr && report.skipped != 0) {
      std::string message = "password file " + parsed->password_file + ": " +
                            std::to_string(report.skipped) + " line(s) skipped";
      for (const std::string& problem : report.problems) message += "; " + problem;
      warnings->push_back(
          Diagnostic{parsed->source_file, parsed->source_line, "auth_param", std::move(message)});
    }
    if (warnings != nullptr && report.users == 0) {
      warnings->push_back(Diagnostic{parsed->source_file, parsed->source_line, "auth_param",
                                     "password file " + parsed->password_file +
                                         " has no usable entry: every login will fail"});
    }
    setup.file = std::move(file.value());
  }
  setup.config = std::move(parsed);
  return setup;
}

}  // namespace cuttle::proxy
