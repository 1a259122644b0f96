#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace cuttle {
namespace {

std::mutex g_mutex;
int g_fd = STDERR_FILENO;
std::string g_path;

const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "";
}

}  // namespace

void logMessage(LogLevel level, const char* format, ...) {
  char line[2048];
  time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  int n = static_cast<int>(strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S| ", &tm));
  n += snprintf(line + n, sizeof(line) - static_cast<size_t>(n), "%s: ", levelName(level));
  va_list ap;
  va_start(ap, format);
  int m = vsnprintf(line + n, sizeof(line) - static_cast<size_t>(n) - 1, format, ap);
  va_end(ap);
  if (m < 0) m = 0;
  n = std::min<int>(n + m, static_cast<int>(sizeof(line)) - 2);
  line[n++] = '\n';
  std::lock_guard<std::mutex> lock(g_mutex);
  ssize_t ignored = ::write(g_fd, line, static_cast<size_t>(n));
  (void)ignored;
}

bool setLogFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (path.empty() || path == "stderr" || path == "/dev/stderr") {
    if (g_fd != STDERR_FILENO) ::close(g_fd);
    g_fd = STDERR_FILENO;
    g_path.clear();
    return true;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (g_fd != STDERR_FILENO) ::close(g_fd);
  g_fd = fd;
  g_path = path;
  return true;
}

void reopenLogFile() {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    path = g_path;
  }
  if (!path.empty()) setLogFile(path);
}

}  // namespace cuttle
