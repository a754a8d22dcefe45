// memgap's exit status contract (DESIGN.md): 0 success or gate passed, 1 error with a
// one-line reason and a hint, 2 usage, 23 leak gate failed (LeakSanitizer's convention).
#pragma once

#include "util/result.h"

namespace memgap::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLeak = 23;

// Every kind of error is exit 1 (the reason and hint say which); usage errors are CLI11's
// and exit 2 before any library call. One place, should a kind ever need its own status.
inline constexpr int exit_status_for(ErrorKind) { return kExitError; }
}  // namespace memgap::cli
