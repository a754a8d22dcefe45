// `memgap run -- CMD`: start CMD under ptrace, put allocator probes in place at each exec
// (before the loader runs, so before the first allocation), record until CMD exits, and
// at its exit stop (atexit handlers done, address space intact) freeze recording, read
// its maps and keep what is still live: the leaks. The gate verdict is not made here
// (analyze/gate does that on the snapshot).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct RunOptions {
  std::vector<std::string> argv;
  uint64_t sample_bytes = 512 * 1024;
  std::string unwind = "auto";
  uint32_t stack_copy_bytes = 16384;
  // Also probe the programs CMD's descendants exec (each gets its own probes at its exec;
  // a child that forks without exec is not probed).
  bool follow = false;
  // Set to CMD's PID once it exists (0 before and after), so a signal handler can
  // forward signals to it.
  std::atomic<int>* child_pid = nullptr;
};

struct RunOutcome {
  model::Snapshot snapshot;  // meta.command = "run"; sites are what was live at exit
  int exit_status = 0;       // CMD's exit code, or 128+N when killed by signal N
  bool killed_by_signal = false;
  int exec_errno = 0;        // non-zero: CMD could not be started (snapshot empty)
};

Result<RunOutcome> run_command(const RunOptions& options);

}  // namespace memgap::pipeline
