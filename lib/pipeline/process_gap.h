// The procfs-and-runtime gap of one process (no probes), Go rows included when it runs
// Go: what `memgap top` folds into its machine-wide list and shows for the selected
// process. Unlike MemoryExplainer (one process, one reader for a whole window), it can
// skip reading the allocator's state — the list needs the heap's total, not its split,
// for many processes — and keeps the expensive Go reader (ELF, DWARF) in a GoProbe the
// caller caches per process.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "collect/proc_source.h"
#include "model/snapshot.h"
#include "pipeline/gap.h"
#include "runtime/go/go_state.h"
#include "util/result.h"

namespace memgap::pipeline {

// Whether a process runs Go and, if so, its opened reader; decided once per process.
struct GoProbe {
  bool checked = false;
  bool is_go = false;
  std::shared_ptr<runtime::go::GoReader> reader;  // null when not Go or unreadable
  std::string error;                              // why the reader could not open
};

struct ProcessGap {
  GapReport report;                   // report.gap has the go.* rows merged
  std::optional<model::GoInfo> go;    // runtime state, for Go processes
};

// `read_allocator_state`: also read glibc's arenas from memory (heap.free vs untracked);
// the machine-wide list skips it, the selected process gets it.
// `obs`: what probes saw (top PID), or nothing (procfs and runtime state only).
Result<ProcessGap> process_gap(int pid, const collect::ProcSource& proc, GoProbe& go, bool read_allocator_state,
                               const analyze::HeapObservation& obs = {});

}  // namespace memgap::pipeline
