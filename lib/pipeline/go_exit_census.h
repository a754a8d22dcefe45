// `memgap run` on a Go program: at the command's exit stop (its atexit work done, its
// address space still there) the Go runtime's state is read from its memory, goroutine
// census included, so that the leak gate can count the goroutines it left behind
// (analyze/gate decides which count). Read once, without the program's help; nothing of
// this touches the program's own code or timing while it runs.
#pragma once
#include <sys/types.h>

#include <optional>

#include "collect/proc_source.h"
#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct GoExitReading {
  bool is_go = false;                // the program is Go (runtime::go::is_go_image)
  std::optional<model::GoInfo> info; // the `go` section at exit; unset when unreadable
  std::optional<Error> error;        // why a Go program's runtime could not be read
  double read_ms = 0;                // opening the binary and reading the runtime
};

// Call only while `pid` is stopped at its exit stop (or otherwise stopped).
GoExitReading read_go_at_exit(pid_t pid, const collect::ProcSource& proc);

}  // namespace memgap::pipeline
