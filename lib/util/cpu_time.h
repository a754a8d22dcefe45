// This process's own CPU time, for the figures memgap reports about its cost (top's
// "memgap used N% of a core" line, the top benchmark).
#pragma once
#include <time.h>

namespace memgap {

inline double own_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace memgap
