// Placeholder: the parser is being written (see conf/config.h for the contract).
#include "conf/config.h"

namespace cuttle::conf {

std::string Diagnostic::toString() const { return file + ":" + std::to_string(line) + ": " + directive + ": " + message; }

ParseOutcome parseConfigFile(const std::string& path) {
  ParseOutcome out;
  out.config = std::make_shared<Config>();
  out.config->file = path;
  return out;
}

ParseOutcome parseConfigText(std::string_view, const std::string& name) { return parseConfigFile(name); }

}  // namespace cuttle::conf
