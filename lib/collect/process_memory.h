// Everything procfs says about a process's memory, read in one call: per-mapping smaps,
// the rollup, status and the thread list with stack pointers. The gap model is computed
// from this (converted to analyze's plain input by the pipeline).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "collect/proc_source.h"
#include "collect/proc_status.h"
#include "collect/smaps.h"
#include "collect/threads.h"
#include "util/result.h"

namespace memgap::collect {

struct ProcessMemory {
  int pid = 0;
  std::vector<SmapsEntry> mappings;
  std::map<std::string, uint64_t> rollup;  // smaps_rollup, or the sum of smaps if absent
  bool rollup_from_file = false;
  ProcStatus status;
  std::vector<ThreadInfo> threads;
  std::vector<std::string> notes;  // what was missing or degraded, for the report
};

// smaps is required (without it there is nothing to reconcile); status, rollup and the
// thread list degrade to notes. A process that exits midway yields an error with the
// hint "the process exited" when smaps could not be read at all.
Result<ProcessMemory> read_process_memory(const ProcSource& proc, int pid);

}  // namespace memgap::collect
