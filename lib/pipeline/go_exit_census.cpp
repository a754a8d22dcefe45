#include "pipeline/go_exit_census.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "pipeline/go_section.h"
#include "runtime/go/go_state.h"

namespace memgap::pipeline {

GoExitReading read_go_at_exit(pid_t pid, const collect::ProcSource& proc) {
  const auto t0 = std::chrono::steady_clock::now();
  GoExitReading out;
  out.is_go = runtime::go::is_go_process(pid, proc);
  if (!out.is_go) return out;
  auto state = runtime::go::read_go_state(pid, proc);
  if (!state) {
    out.error = state.error();
    return out;
  }
  out.info = go_info(*state);
  // The whole of it (the binary opened, the runtime read): the program waits this long
  // at its exit stop.
  out.read_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  spdlog::debug("Go runtime of PID {} read at its exit stop in {:.1f} ms: {} goroutines", pid, out.read_ms,
                out.info->goroutines);
  return out;
}

}  // namespace memgap::pipeline
