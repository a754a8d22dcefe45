// The RSS gap of one process, end to end: procfs (collect) + allocator state read from
// the target (runtime) + what the probes saw → model::Gap (analyze). The one entry point
// `memgap attach` calls, with or without probes (--no-probes passes probes_ran=false).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analyze/process_view.h"
#include "analyze/reconcile.h"
#include "collect/proc_source.h"
#include "collect/process_memory.h"
#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct GapOptions {
  // Read malloc's state from the target's memory (process_vm_readv). Unset: only when
  // `proc` is the live /proc (RealProcSource), since recorded files have no memory to
  // read; set true when passing a wrapper around the live /proc.
  std::optional<bool> read_allocator_state;
};

struct GapReport {
  model::Gap gap;
  model::Memory memory;            // smaps_rollup, for Snapshot::memory
  analyze::Residency residency;    // per-kind residency behind the categories
  std::vector<analyze::FileResidency> files;  // what file.mapped is made of, largest first
  std::string allocator;           // "glibc", "jemalloc", "none"
  std::vector<std::string> notes;  // degraded inputs (no debug info, no rollup, ...)
};

// Errors only when the process's mappings cannot be read at all (gone, no permission);
// everything else degrades to notes. The observation's allocator state, when already
// filled by the caller, is used as is.
Result<GapReport> explain_rss_report(int pid, const collect::ProcSource& proc, const analyze::HeapObservation& obs,
                                     const GapOptions& opts = {});

// Shorthand when only the gap is wanted.
Result<model::Gap> explain_rss(int pid, const collect::ProcSource& proc, const analyze::HeapObservation& obs,
                               const GapOptions& opts = {});

// collect's parsed procfs → analyze's plain input.
analyze::ProcessView to_view(const collect::ProcessMemory& pm);

}  // namespace memgap::pipeline
