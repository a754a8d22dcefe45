#include "pipeline/go_exit_census.h"

#include "pipeline/go_section.h"
#include "runtime/go/go_state.h"

namespace memgap::pipeline {

GoExitReading read_go_at_exit(pid_t pid, const collect::ProcSource& proc) {
  GoExitReading out;
  out.is_go = runtime::go::is_go_process(pid, proc);
  if (!out.is_go) return out;
  auto state = runtime::go::read_go_state(pid, proc);
  if (!state) {
    out.error = state.error();
    return out;
  }
  out.read_ms = state->read_ms;
  out.info = go_info(*state);
  return out;
}

}  // namespace memgap::pipeline
