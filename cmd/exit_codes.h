// memgap's exit status contract (DESIGN.md): 0 success or gate passed, 1 error with a
// one-line reason and a hint, 2 usage, 23 leak gate failed (LeakSanitizer's convention).
#pragma once

namespace memgap::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLeak = 23;
}  // namespace memgap::cli
