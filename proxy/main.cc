// cuttle: a caching forward proxy for HTTP/1.1.
//
//   cuttle [-f FILE]            run in the foreground with FILE (default: installed config)
//   cuttle -k parse [-f FILE]   check FILE, print every error and warning, exit 0 if valid
//   cuttle -v                   versions of cuttle and its libraries
#include <ares.h>
#include <llhttp.h>
#include <lmdb.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/log.h"
#include "conf/config.h"
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
  if (!command.empty() && command != "parse") {
    std::fprintf(stderr, "cuttle: unknown -k command %s (supported: parse)\n", command.c_str());
    return 2;
  }
  cuttle::conf::ParseOutcome parsed = cuttle::conf::parseConfigFile(config_path);
  for (const auto& w : parsed.warnings) std::fprintf(stderr, "WARNING: %s\n", w.toString().c_str());
  for (const auto& e : parsed.errors) std::fprintf(stderr, "ERROR: %s\n", e.toString().c_str());
  if (!parsed.config) {
    std::fprintf(stderr, "cuttle: %s: %zu error%s\n", config_path.c_str(), parsed.errors.size(),
                 parsed.errors.size() == 1 ? "" : "s");
    return 1;
  }
  if (command == "parse") {
    std::printf("%s: OK (%zu warning%s)\n", config_path.c_str(), parsed.warnings.size(),
                parsed.warnings.size() == 1 ? "" : "s");
    return 0;
  }
  if (!cuttle::setLogFile(parsed.config->cache_log)) {
    std::fprintf(stderr, "cuttle: cannot open cache_log %s\n", parsed.config->cache_log.c_str());
    return 1;
  }
  cuttle::proxy::Server server(parsed.config);
  return server.run();
}
