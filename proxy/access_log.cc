#include "proxy/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

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

// Quotes for common/combined: replaces characters that would break the field.
void appendSafe(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char c : s) out += (c == '"' || c < 0x20 || c == 0x7f) ? '%' : c;
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::vector<conf::AccessLogSpec>& specs) {
  std::unique_ptr<AccessLog> log(new AccessLog());
  for (const conf::AccessLogSpec& spec : specs) {
    auto out = std::make_unique<Output>();
    out->path = spec.path;
    out->format = spec.format;
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

void AccessLog::formatSquid(const AccessRecord& r, std::string& out) {
  // %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
  char head[64];
  int n = snprintf(head, sizeof(head), "%lld.%03d %6llu ", static_cast<long long>(r.start_ms / 1000),
                   static_cast<int>(r.start_ms % 1000), static_cast<unsigned long long>(r.elapsed_ms));
  out.append(head, static_cast<size_t>(n));
  out += r.client.empty() ? "-" : r.client.ipString();
  out += ' ';
  out += r.result;
  n = snprintf(head, sizeof(head), "/%03d %llu ", r.status, static_cast<unsigned long long>(r.bytes_sent));
  out.append(head, static_cast<size_t>(n));
  out += r.method.empty() ? "NONE" : r.method;
  out += ' ';
  appendSafe(out, r.url);
  out += ' ';
  out += r.user.empty() ? "-" : r.user;
  out += ' ';
  out += r.hierarchy;
  out += '/';
  out += r.peer;
  out += ' ';
  out += r.content_type.empty() ? "-" : r.content_type;
  if (!r.trace.empty()) {
    out += " trace=\"";
    appendSafe(out, r.trace);
    out += '"';
  }
  out += '\n';
}

void AccessLog::formatCommon(const AccessRecord& r, bool combined, std::string& out) {
  // host ident user [dd/Mon/yyyy:hh:mm:ss +0000] "method url HTTP/1.1" status bytes
  out += r.client.empty() ? "-" : r.client.ipString();
  out += " - ";
  out += r.user.empty() ? "-" : r.user;
  time_t t = static_cast<time_t>(r.start_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[48];
  size_t n = strftime(date, sizeof(date), " [%d/%b/%Y:%H:%M:%S +0000] \"", &tm);
  out.append(date, n);
  appendSafe(out, r.method);
  out += ' ';
  appendSafe(out, r.url);
  out += " HTTP/1.1\" ";
  appendDecimal(out, static_cast<uint64_t>(r.status));
  out += ' ';
  appendDecimal(out, r.bytes_sent);
  if (combined) {
    out += " \"";
    appendSafe(out, r.referer);
    out += "\" \"";
    appendSafe(out, r.user_agent);
    out += '"';
  }
  out += ' ';
  out += r.result;
  out += ':';
  out += r.hierarchy;
  out += '\n';
}

void AccessLog::write(const AccessRecord& record) {
  if (outputs_.empty()) return;
  thread_local std::string line;
  bool notify = false;
  for (auto& o : outputs_) {
    line.clear();
    if (o->format == "common") {
      formatCommon(record, false, line);
    } else if (o->format == "combined") {
      formatCommon(record, true, line);
    } else {
      formatSquid(record, line);
    }
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
          LOG_ERROR("cannot reopen access log %s: %s", outputs_[i]->path.c_str(), std::strerror(errno));
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
