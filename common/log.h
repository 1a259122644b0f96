// Cuttle's own messages (squid's cache.log): start-up, configuration, faults. Not the
// access log. Lines are "YYYY/MM/DD HH:MM:SS| LEVEL: message". Thread-safe; writes go to
// stderr unless setLogFile() chose a file. Rare by design: never log per request here.
#pragma once

#include <string>

namespace cuttle {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void logMessage(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));
#define LOG_INFO(...) ::cuttle::logMessage(::cuttle::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) ::cuttle::logMessage(::cuttle::LogLevel::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) ::cuttle::logMessage(::cuttle::LogLevel::kError, __VA_ARGS__)

// "stderr" or a path (opened for append). Returns false and keeps stderr if it cannot open.
bool setLogFile(const std::string& path);
// Reopens the log file (log rotation).
void reopenLogFile();

}  // namespace cuttle
