#include "collect/process_memory.h"

namespace memgap::collect {

Result<ProcessMemory> read_process_memory(const ProcSource& proc, int pid) {
  ProcessMemory pm;
  pm.pid = pid;
  // Threads first: their stack pointers are only meaningful against mappings read
  // afterwards (a thread that starts in between has no stack pointer and is matched by
  // the guard-page shape instead).
  if (auto th = read_threads(proc, pid)) {
    pm.threads = std::move(*th);
  } else {
    pm.notes.push_back("thread list unavailable: " + th.error().message);
  }

  auto smaps = proc.read(pid, "smaps");
  if (!smaps) {
    Error e = smaps.error();
    if (e.hint.empty() || e.hint.find("PID") != std::string::npos) e.hint = "the process exited or is not visible; check 'ps -p " + std::to_string(pid) + "'";
    return e;
  }
  pm.mappings = parse_smaps(*smaps);
  if (pm.mappings.empty()) {
    // Kernel threads and zombies have empty smaps.
    return make_error("process " + std::to_string(pid) + " has no memory mappings", "it is a kernel thread or has exited");
  }

  if (auto r = read_smaps_rollup(proc, pid); r && !r->empty()) {
    pm.rollup = std::move(*r);
    pm.rollup_from_file = true;
  } else {
    pm.rollup = rollup_of(pm.mappings);
    pm.notes.push_back("smaps_rollup unavailable (kernel < 4.14?): summed smaps instead");
  }

  if (auto st = read_status(proc, pid)) {
    pm.status = std::move(*st);
  } else {
    pm.notes.push_back("status unavailable: " + st.error().message);
  }
  return pm;
}

}  // namespace memgap::collect
