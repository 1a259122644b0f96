// Helpers for end-to-end tests that change a running cuttle's configuration (SIGHUP,
// cuttle -k reconfigure) or rotate its logs (SIGUSR1, cuttle -k rotate).
//
// Contract:
//   - Waits are event-driven (inotify on the file's directory) and bounded by
//     kSafetyTimeout; a timeout reports a gtest failure and returns false.
//   - cuttle's messages are counted in <dir>/stderr.log, which the harness writes as soon as
//     cuttle writes its stderr (see cuttle_process.h), so that the n-th reload can be told
//     from the previous ones.
//   - Not thread-safe; call from the test's main thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tests/support/cuttle_process.h"

namespace cuttle::test {

// cuttle's messages at the end of a reload and at the start of a log rotation.
inline constexpr std::string_view kReloadApplied =
    "reconfigured: new requests use the new configuration";
inline constexpr std::string_view kReloadRefused = "reconfigure refused";
inline constexpr std::string_view kReopening = "reopening log files";

// How many times needle occurs in the file (0 when it cannot be read).
size_t countInFile(const std::string& path, std::string_view needle);
// Waits until the file contains needle at least n times.
bool waitForCountInFile(const std::string& path, std::string_view needle, size_t n);
// Waits until the path exists.
bool waitForPath(const std::string& path);

// The lines of cuttle's stderr.log.
std::string stderrLog(const CuttleProcess& proxy);
size_t stderrCount(const CuttleProcess& proxy, std::string_view needle);

// Replaces the configuration file of `proxy` with `config` plus the harness defaults
// (harnessConfig), written to a temporary file and renamed over the old one, so that a
// reload never reads half a file. Returns the full text written.
std::string rewriteConfig(const CuttleProcess& proxy, std::string_view config);

enum class ReloadOutcome { kApplied, kRefused, kTimeout };
// Sends SIGHUP and waits until cuttle reports that this reload was applied or refused.
ReloadOutcome reload(CuttleProcess& proxy);
// Waits for the outcome of a reload already triggered (cuttle -k reconfigure), given the
// counts of kReloadApplied and kReloadRefused in stderr before the trigger.
ReloadOutcome waitForReload(const CuttleProcess& proxy, size_t applied_before,
                            size_t refused_before);

// The 1-based line of the first line of `text` that starts with `prefix` (0 if none).
int lineOf(std::string_view text, std::string_view prefix);

}  // namespace cuttle::test
