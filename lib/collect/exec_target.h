// The Target of a process stopped at its exec, before its loader ran: the executable and
// the interpreter are mapped, its libraries are not yet. Probes must be in place before
// the first allocation, so the libraries are predicted the way the loader will find
// them: `<interpreter> --list <exe>` run with the process's own environment (which
// honours its LD_LIBRARY_PATH, LD_PRELOAD, RPATH/RUNPATH and ld.so.cache exactly, since
// it is the same loader). A static executable maps only itself.
//
// Predicted modules have no addresses yet (start = end = 0): they serve probe planning
// (uprobes are placed by file and offset and take effect when the process maps the file);
// addresses come from /proc/PID/maps once they are mapped.
#pragma once
#include <string>
#include <vector>

#include "collect/proc_source.h"
#include "collect/target.h"
#include "util/result.h"

namespace memgap::collect {

Result<Target> inspect_exec_target(int pid, const ProcSource& proc);

// Library paths from `ld.so --list` output ("libc.so.6 => /lib/.../libc.so.6 (0x...)",
// "/lib64/ld-linux-x86-64.so.2 (0x...)"); "not found" entries and the vDSO are skipped.
std::vector<std::string> parse_loader_list(const std::string& text);

}  // namespace memgap::collect
