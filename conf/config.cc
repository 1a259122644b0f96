// Entry points of conf/: reads the file(s) with ConfigReader, applies each directive with
// DirectiveApplier, and hands back the Config or the errors.
#include "conf/config.h"

#include <utility>

#include "conf/directives.h"
#include "conf/reader.h"
#include "conf/statement.h"

namespace cuttle::conf {

std::string Diagnostic::toString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!directive.empty()) out += directive + ": ";
  out += message;
  return out;
}

void DiagnosticSink::error(const std::string& file, int line, const std::string& directive,
                           std::string message) {
  errors_.push_back(Diagnostic{file, line, directive, std::move(message)});
}

void DiagnosticSink::add(const Statement& st, std::string message, bool strictable) {
  warnings_.push_back(
      Warning{Diagnostic{st.file, st.line, st.name(), std::move(message)}, strictable});
}

void DiagnosticSink::applyStrict() {
  std::vector<Warning> kept;
  for (Warning& w : warnings_) {
    if (w.strictable) {
      w.diag.message += " (an error: cuttle_strict is on)";
      errors_.push_back(std::move(w.diag));
    } else {
      kept.push_back(std::move(w));
    }
  }
  warnings_ = std::move(kept);
}

std::vector<Diagnostic> DiagnosticSink::warnings() const {
  std::vector<Diagnostic> out;
  out.reserve(warnings_.size());
  for (const Warning& w : warnings_) out.push_back(w.diag);
  return out;
}

namespace {

// Runs `read` (which feeds the reader) and builds the outcome.
template <typename Read>
ParseOutcome parse(const std::string& name, Read read) {
  auto cfg = std::make_shared<Config>();
  cfg->file = name;
  DiagnosticSink sink;
  DirectiveApplier applier(*cfg, sink);
  ConfigReader reader(sink, [&applier](const Statement& st) { applier.apply(st); });
  read(reader);
  applier.finish();

  ParseOutcome out;
  out.warnings = sink.warnings();
  out.errors = sink.takeErrors();
  if (out.errors.empty()) {
    cfg->warnings = out.warnings;
    out.config = std::move(cfg);
  }
  return out;
}

}  // namespace

ParseOutcome parseConfigFile(const std::string& path) {
  return parse(path, [&path](ConfigReader& reader) { reader.readFile(path); });
}

ParseOutcome parseConfigText(std::string_view text, const std::string& name) {
  return parse(name, [text, &name](ConfigReader& reader) { reader.readText(text, name); });
}

}  // namespace cuttle::conf
