#include "proxy/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/strings.h"

namespace cuttle::proxy {
namespace {

int openLog(const std::string& path) {
  // The process's own stdout and stderr: use the descriptors it was given. Opening
  // /dev/stdout by path fails for a non-root user when the terminal or pipe belongs to
  // another user (containers, systemd).
  if (path == "/dev/stdout") return ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (path == "/dev/stderr") return ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk loses log lines, never requests
    }
    off += static_cast<size_t>(n);
  }
}


// Compiles every logformat (in order; nullopt for a bad one), with diagnostics naming the
// logformat line.
std::vector<std::optional<LogFormat>> compileAll(const std::vector<conf::RawDirective>& logformats,
                                                 std::vector<conf::Diagnostic>* errors,
                                                 std::vector<conf::Diagnostic>* warnings) {
  std::vector<std::optional<LogFormat>> out;
  for (const conf::RawDirective& d : logformats) {
    std::vector<std::string> notes;
    const std::string name = d.args.empty() ? std::string() : d.args[0];
    auto f = LogFormat::compile(d.args.size() > 1 ? d.args[1] : std::string(), &notes);
    if (f) {
      out.emplace_back(std::move(f.value()));
    } else {
      out.emplace_back(std::nullopt);
      errors->push_back({d.file, d.line, "logformat", name + ": " + f.error().cause});
    }
    if (warnings == nullptr) continue;
    for (std::string& n : notes)
      warnings->push_back({d.file, d.line, "logformat", name + ": " + n});
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::open(
    const std::vector<conf::AccessLogSpec>& specs,
    const std::vector<conf::RawDirective>& logformats, std::vector<conf::Diagnostic>* warnings) {
  std::vector<conf::Diagnostic> errors;
  std::vector<std::optional<LogFormat>> compiled = compileAll(logformats, &errors, warnings);
  if (!errors.empty()) {
    std::string why = "invalid logformat";
    for (const conf::Diagnostic& e : errors) why += "\n  " + e.toString();
    return Error(ErrorCode::kInvalidArgument, Side::kConfig, std::move(why));
  }
  std::unique_ptr<AccessLog> log(new AccessLog());
  for (const conf::AccessLogSpec& spec : specs) {
    std::optional<LogFormat> format;
    for (size_t i = 0; i < logformats.size() && !format; ++i) {
      if (!logformats[i].args.empty() && logformats[i].args[0] == spec.format) format = compiled[i];
    }
    if (!format) format = LogFormat::builtin(spec.format);
    if (!format) {
      return Error(ErrorCode::kInvalidArgument, Side::kConfig,
                   "unknown log format '" + spec.format + "' for access log " + spec.path);
    }
    log->wants_response_headers_ |= format->usesResponseHeaders();
    auto out = std::make_unique<Output>(spec.path, std::move(*format));
    out->fd = openLog(spec.path);
    if (out->fd < 0) {
      return Error(ErrorCode::kIo, Side::kConfig,
                   "cannot open access log " + spec.path + ": " + std::strerror(errno));
    }
    log->outputs_.push_back(std::move(out));
  }
  if (!log->outputs_.empty()) log->thread_ = std::thread([l = log.get()] { l->run(); });
  return log;
}

bool AccessLog::checkFormats(const conf::Config& config, std::vector<conf::Diagnostic>* errors,
                             std::vector<conf::Diagnostic>* warnings) {
  const size_t before = errors->size();
  compileAll(config.logformats, errors, warnings);
  return errors->size() == before;
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& o : outputs_) {
    if (o->fd >= 0) ::close(o->fd);
  }
}

void AccessLog::write(const AccessRecord& record) {
  if (outputs_.empty()) return;
  thread_local std::string line;
  bool notify = false;
  for (auto& o : outputs_) {
    line.clear();
    o->format.format(record, line);
    std::lock_guard<std::mutex> lock(mutex_);
    if (o->buffer.size() + line.size() > kMaxBuffered) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    notify |= o->buffer.empty();
    o->buffer += line;
    ++generation_;
  }
  if (notify) wake_.notify_one();
}

void AccessLog::reopen() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_one();
}

void AccessLog::flush() {
  if (outputs_.empty()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t target = generation_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_generation_ >= target || stop_; });
}

void AccessLog::run() {
  std::vector<std::string> batch(outputs_.size());
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] {
      if (stop_ || reopen_) return true;
      for (auto& o : outputs_) {
        if (!o->buffer.empty()) return true;
      }
      return false;
    });
    bool reopen = reopen_;
    reopen_ = false;
    uint64_t generation = generation_;
    for (size_t i = 0; i < outputs_.size(); ++i) batch[i].swap(outputs_[i]->buffer);
    bool stop = stop_;
    lock.unlock();
    for (size_t i = 0; i < outputs_.size(); ++i) {
      if (!batch[i].empty()) writeAll(outputs_[i]->fd, batch[i]);
      batch[i].clear();
      if (reopen) {
        int fd = openLog(outputs_[i]->path);
        if (fd >= 0) {
          ::close(outputs_[i]->fd);
          outputs_[i]->fd = fd;
        } else {
          LOG_ERROR("cannot reopen access log %s: %s", outputs_[i]->path.c_str(),
                    std::strerror(errno));
        }
      }
    }
    lock.lock();
    written_generation_ = generation;
    flushed_.notify_all();
    if (stop) {
      bool empty = true;
      for (auto& o : outputs_) empty &= o->buffer.empty();
      if (empty) return;
    }
  }
}

}  // namespace cuttle::proxy
