// One observation window of one process, end to end: inspect the target, plan and attach
// probes, drain samples, record a series, stop on duration/signal/target exit (freeze,
// read maps while the target lives, detach), symbolize, and build a ranked Snapshot.
// Used by `memgap attach`; `run` and `top` reuse it.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct AttachOptions {
  int pid = 0;
  uint64_t duration_ms = 0;  // 0: until *stop
  uint64_t interval_ms = 0;  // 0: no interim snapshots
  uint64_t sample_bytes = 512 * 1024;
  std::string unwind = "auto";   // fp, dwarf, auto (dwarf for C/C++ targets)
  uint32_t stack_copy_bytes = 16384;  // user stack copied per sample for dwarf unwinding
  bool no_probes = false;
  bool go_enable_profiling = false;  // Go: write MemProfileRate when the runtime's sampling is off
  std::string go_probe;              // Go: "" (runtime sampling) or "mallocgc"
  std::string go_layout_from;        // Go: unstripped binary of the target's release (--go-layout-from)
  bool go_maps = false;              // Go: map-iteration heat (mapiterinit callers)
  std::string command = "attach";
  const std::atomic<bool>* stop = nullptr;  // set by a signal handler
  // Called once probes are live (or at once with --no-probes): print "Attached to ...".
  std::function<void(const model::Snapshot& meta_only)> on_attached;
  // Called every interval_ms with the snapshot so far.
  std::function<void(const model::Snapshot&)> on_interval;
};

Result<model::Snapshot> run_attach(const AttachOptions& options);

}  // namespace memgap::pipeline
