// A target process as memgap sees it: PID → executable, comm, loaded modules (paths
// reachable through /proc/PID/root so containers work) and the module that provides the
// allocator. Also the checks that turn bad input into one clear error before any probe.
#pragma once
#include <string>
#include <vector>

#include "collect/maps.h"
#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct Module {
  std::string path;       // as the target sees it (/usr/lib/x86_64-linux-gnu/libc.so.6)
  std::string host_path;  // reachable from memgap: /proc/PID/root/<path>
  uint64_t start = 0;     // lowest mapped address
  uint64_t end = 0;       // highest mapped address
  uint64_t bias = 0;      // load bias: runtime address = ELF vaddr + bias
};

struct Target {
  int pid = 0;
  std::string exe;   // path of the executable as the target sees it
  std::string comm;
  std::vector<Mapping> mappings;
  std::vector<Module> modules;  // executable first, then in address order
};

// Fails with a user-facing error for a dead PID, a kernel thread, a zombie or a process
// memgap may not read.
Result<Target> inspect_target(int pid, const ProcSource& proc);

// Modules from mappings: each file-backed path once, with its load bias computed from the
// mapping of file offset 0 (or the lowest one).
std::vector<Module> modules_from_maps(int pid, const std::vector<Mapping>& maps);

// Whether this process may load BPF programs and attach uprobes: root, or CAP_BPF plus
// CAP_PERFMON (or CAP_SYS_ADMIN).
Status check_bpf_privileges();

}  // namespace memgap::collect
