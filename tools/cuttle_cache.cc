// cuttle-cache: inspects cuttle's LMDB cache store, also while the proxy runs.
//
//   cuttle-cache [-f CONFIG | -d CACHE_DIR] ls [--prefix URL_PREFIX] [--json]
//   cuttle-cache [-f CONFIG | -d CACHE_DIR] show URL [--json]
//   cuttle-cache [-f CONFIG | -d CACHE_DIR] purge URL | --prefix URL_PREFIX [--proxy ADDR:PORT]
//   cuttle-cache [-f CONFIG | -d CACHE_DIR] stats [--json] [--verify]
//
// It reads the store read-only and never writes it: purge asks the running proxy (PURGE
// to its http_port). See tools/cuttle_cache_commands.h for what each command reads.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "conf/config.h"
#include "tools/cuttle_cache_commands.h"
#include "tools/cuttle_cache_purge.h"

#ifndef CUTTLE_DEFAULT_CONFIG
#define CUTTLE_DEFAULT_CONFIG "/etc/cuttle/cuttle.conf"
#endif

namespace cuttle::tools {
namespace {

void usage(FILE* out) {
  std::fprintf(
      out,
      "usage: cuttle-cache [-f CONFIG | -d CACHE_DIR] COMMAND [ARGS]\n"
      "  ls [--prefix URL_PREFIX] [--json]   stored objects: status, size, stored time, age,\n"
      "                                      freshness, validators\n"
      "  show URL [--json]                   every variant of URL: headers, freshness\n"
      "                                      lifetime and its source, why it was stored\n"
      "  purge URL | --prefix URL_PREFIX     remove through the running proxy (PURGE)\n"
      "  stats [--json] [--verify]           totals, capacity and fill, evictions, oldest\n"
      "                                      and newest; --verify checks every record\n"
      "options:\n"
      "  -f CONFIG          cuttle's configuration (default " CUTTLE_DEFAULT_CONFIG
      "):\n"
      "                     cache_dir, refresh_pattern, object size limits, http_port\n"
      "  -d CACHE_DIR       the store alone (default refresh rules, capacity unknown)\n"
      "  --proxy ADDR:PORT  where purge sends PURGE (default: http_port of CONFIG)\n");
}

struct Args {
  std::string config_path;
  std::string cache_dir;
  std::string command;
  std::vector<std::string> operands;
  std::string prefix;
  bool has_prefix = false;
  std::string proxy;
  bool json = false;
  bool verify = false;
};

// Options may come before or after the command. Returns false (after saying why) on a
// usage error.
bool parseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        complain(arg + " needs a value");
        return false;
      }
      *out = argv[++i];
      return true;
    };
    if (arg == "-f") {
      if (!value(&args->config_path)) return false;
    } else if (arg == "-d") {
      if (!value(&args->cache_dir)) return false;
    } else if (arg == "--prefix") {
      if (!value(&args->prefix)) return false;
      args->has_prefix = true;
    } else if (arg == "--proxy") {
      if (!value(&args->proxy)) return false;
    } else if (arg == "--json") {
      args->json = true;
    } else if (arg == "--verify") {
      args->verify = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      complain("unknown option " + arg);
      return false;
    } else if (args->command.empty()) {
      args->command = arg;
    } else {
      args->operands.push_back(arg);
    }
  }
  if (!args->config_path.empty() && !args->cache_dir.empty()) {
    complain("-f and -d exclude each other");
    return false;
  }
  const std::string& c = args->command;
  const size_t want = c == "show" || (c == "purge" && !args->has_prefix) ? 1 : 0;
  if (c != "ls" && c != "show" && c != "purge" && c != "stats") {
    complain(c.empty() ? "no command" : "unknown command " + c);
    return false;
  }
  if (args->operands.size() != want) {
    complain(c + (want == 1 ? " takes one URL" : " takes no URL") +
             (c == "purge" ? " (purge URL, or purge --prefix URL_PREFIX)" : ""));
    return false;
  }
  if (args->has_prefix && c != "ls" && c != "purge") {
    complain("--prefix is for ls and purge");
    return false;
  }
  if (c == "purge" && args->has_prefix && args->prefix.empty()) {
    complain("purge --prefix needs a non-empty prefix");
    return false;
  }
  return true;
}

// Fills the context from -f CONFIG (or the default configuration) or -d DIR. Returns an
// exit status on failure.
std::optional<int> setUp(const Args& args, ToolContext* ctx) {
  ctx->now = static_cast<int64_t>(std::time(nullptr));
  ctx->json = args.json;
  if (!args.cache_dir.empty()) {
    ctx->cache_dir = args.cache_dir;
  } else {
    ctx->config_path = args.config_path.empty() ? CUTTLE_DEFAULT_CONFIG : args.config_path;
    conf::ParseOutcome parsed = conf::parseConfigFile(ctx->config_path);
    if (!parsed.config) {
      for (const conf::Diagnostic& e : parsed.errors) complain(e.toString());
      complain(ctx->config_path + ": not a valid configuration");
      return 1;
    }
    const conf::Config& config = *parsed.config;
    if (config.cache_dir) {
      ctx->cache_dir = config.cache_dir->path;
      ctx->capacity = config.cache_dir->size_mb * 1024 * 1024;
    }
    ctx->rules.rules = cache::refreshRulesFromConfig(config.refresh_patterns);
    // refreshRulesFromConfig() skips patterns that do not compile, which the configuration
    // loader has refused already: the two lists are parallel.
    if (ctx->rules.rules.rules.size() == config.refresh_patterns.size()) {
      for (const conf::RefreshPattern& p : config.refresh_patterns) {
        ctx->rules.patterns.push_back((p.case_insensitive ? "-i " : "") + p.regex);
      }
    }
    ctx->limits.max_object_size = config.maximum_object_size;
    ctx->limits.min_object_size = config.minimum_object_size;
    ctx->proxies = proxyAddresses(config);
    ctx->proxies_source = "http_port of " + ctx->config_path;
  }
  if (!args.proxy.empty()) {
    auto address = SocketAddress::parseIpPort(args.proxy);
    if (!address) {
      complain("--proxy wants a numeric ADDR:PORT (127.0.0.1:3128, [::1]:3128): " + args.proxy);
      return 2;
    }
    ctx->proxies = {*address};
    ctx->proxies_source = "address " + args.proxy;
  }
  return std::nullopt;
}

}  // namespace
}  // namespace cuttle::tools

int main(int argc, char** argv) {
  using namespace cuttle::tools;
  if (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help")) {
    usage(stdout);
    return 0;
  }
  Args args;
  if (!parseArgs(argc, argv, &args)) {
    usage(stderr);
    return 2;
  }
  ToolContext ctx;
  if (auto failed = setUp(args, &ctx)) return *failed;
  if (args.command == "ls") return commandLs(ctx, args.prefix);
  if (args.command == "show") return commandShow(ctx, args.operands[0]);
  if (args.command == "stats") return commandStats(ctx, args.verify);
  return commandPurge(ctx, args.has_prefix ? std::string() : args.operands[0], args.prefix);
}
