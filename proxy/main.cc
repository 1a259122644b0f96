// cuttle: a caching forward proxy for HTTP/1.1.
//
//   cuttle [-f FILE]            run in the foreground with FILE (default: installed config)
//   cuttle -k parse [-f FILE]   check FILE, print every error and warning, exit 0 if valid
//   cuttle -k reconfigure|rotate|shutdown|interrupt|kill|check [-f FILE]
//                               signal the cuttle running with FILE (through its pid_filename)
//   cuttle -v                   versions of cuttle and its libraries
#include <ares.h>
#include <llhttp.h>
#include <lmdb.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "common/log.h"
#include "conf/access.h"
#include "conf/config.h"
#include "conf/peers.h"
#include "proxy/access_log.h"
#include "proxy/auth.h"
#include "proxy/server.h"

#ifndef CUTTLE_VERSION
#define CUTTLE_VERSION "0.0.0"
#endif
#ifndef CUTTLE_DEFAULT_CONFIG
#define CUTTLE_DEFAULT_CONFIG "/etc/cuttle/cuttle.conf"
#endif

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: cuttle [-f FILE] [-k parse] [-v]\n"
               "  -f FILE    configuration file (default " CUTTLE_DEFAULT_CONFIG ")\n"
               "  -k parse   check the configuration and exit\n"
               "  -k reconfigure|rotate|shutdown|interrupt|kill|check\n"
               "             signal the running cuttle (found through pid_filename)\n"
               "  -v         print versions and exit\n"
               "  -N         run in the foreground (always the case; accepted for squid users)\n");
}

void printVersions() {
  std::printf("cuttle %s\n", CUTTLE_VERSION);
  std::printf("libuv %s\n", uv_version_string());
  std::printf("llhttp %d.%d.%d\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH);
  std::printf("LMDB %s\n", mdb_version(nullptr, nullptr, nullptr));
  std::printf("c-ares %s\n", ares_version(nullptr));
}

struct Command {
  const char* name;
  int signal;
};
constexpr Command kCommands[] = {{"reconfigure", SIGHUP}, {"rotate", SIGUSR1}, {"shutdown", SIGTERM},
                                 {"interrupt", SIGINT},   {"kill", SIGKILL},    {"check", 0}};

int signalRunning(const cuttle::conf::Config& config, const Command& command) {
  if (config.pid_filename.empty()) {
    std::fprintf(stderr, "cuttle: pid_filename is none: cannot find the running cuttle\n");
    return 1;
  }
  std::ifstream in(config.pid_filename);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    std::fprintf(stderr, "cuttle: no running cuttle (cannot read %s)\n", config.pid_filename.c_str());
    return 1;
  }
  if (::kill(static_cast<pid_t>(pid), command.signal) != 0) {
    std::fprintf(stderr, "cuttle: cannot signal process %ld: %s\n", pid, std::strerror(errno));
    return 1;
  }
  if (command.signal == 0) std::printf("cuttle is running as process %ld\n", pid);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = CUTTLE_DEFAULT_CONFIG;
  std::string command;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-f" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "-k" && i + 1 < argc) {
      command = argv[++i];
    } else if (arg == "-v" || arg == "--version") {
      printVersions();
      return 0;
    } else if (arg == "-N" || arg == "-d") {
      // squid compatibility: foreground is the only mode
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "cuttle: unknown argument %s\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  const Command* signal_command = nullptr;
  for (const Command& k : kCommands) {
    if (command == k.name) signal_command = &k;
  }
  if (!command.empty() && command != "parse" && signal_command == nullptr) {
    std::fprintf(stderr,
                 "cuttle: unknown -k command %s (parse, reconfigure, rotate, shutdown, interrupt, "
                 "kill, check)\n",
                 command.c_str());
    return 2;
  }
  cuttle::conf::ParseOutcome parsed = cuttle::conf::parseConfigFile(config_path);
  if (parsed.config) {
    // The access rules are part of the configuration: their errors refuse it too.
    auto rules = cuttle::conf::AccessRules::build(*parsed.config, &parsed.errors, &parsed.warnings);
    auto auth = cuttle::proxy::loadAuthSetup(*parsed.config, &parsed.errors, &parsed.warnings);
    auto peers = cuttle::conf::parseCachePeers(*parsed.config, &parsed.errors, &parsed.warnings);
    if (!rules || !auth.config || !peers) parsed.config.reset();
  }
  // So are the logformat codes, compiled by the access log.
  if (parsed.config &&
      !cuttle::proxy::AccessLog::checkFormats(*parsed.config, &parsed.errors, &parsed.warnings)) {
    parsed.config.reset();
  }
  for (const auto& w : parsed.warnings) std::fprintf(stderr, "WARNING: %s\n", w.toString().c_str());
  for (const auto& e : parsed.errors) std::fprintf(stderr, "ERROR: %s\n", e.toString().c_str());
  if (!parsed.config) {
    std::fprintf(stderr, "cuttle: %s: %zu error%s\n", config_path.c_str(), parsed.errors.size(),
                 parsed.errors.size() == 1 ? "" : "s");
    return 1;
  }
  if (signal_command != nullptr) return signalRunning(*parsed.config, *signal_command);
  if (command == "parse") {
    std::printf("%s: OK (%zu warning%s)\n", config_path.c_str(), parsed.warnings.size(),
                parsed.warnings.size() == 1 ? "" : "s");
    return 0;
  }
  if (!cuttle::setLogFile(parsed.config->cache_log)) {
    std::fprintf(stderr, "cuttle: cannot open cache_log %s\n", parsed.config->cache_log.c_str());
    return 1;
  }
  cuttle::proxy::Server server(config_path, parsed.config);
  return server.run();
}
