// The thread list of a process with each thread's user stack pointer, so that the gap
// model can tell which anonymous mapping is whose stack. The pointer comes from
// /proc/PID/task/TID/syscall (last-but-one column, valid while the thread is blocked in
// or stopped outside a syscall); /proc/.../stat's kstkesp is tried as a fallback but is
// 0 on modern kernels. A running thread has no readable pointer (sp = 0).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct ThreadInfo {
  int tid = 0;
  std::string name;   // comm, from task/TID/comm
  uint64_t sp = 0;    // user stack pointer; 0 when unknown
  std::string sp_source;  // "syscall", "stat", or "" when unknown
};

// "202 0x7f... 0x80 0x0 0x0 0x0 0x0 0x7ffd1234 0x7f5678" → sp = 0x7ffd1234.
// "running" and malformed text give 0.
uint64_t parse_syscall_sp(const std::string& text);
// Field 29 (kstkesp) of a stat line; the comm may hold spaces and parentheses.
uint64_t parse_stat_kstkesp(const std::string& text);

// Reads every thread; threads that exit while being read are skipped, not errors.
// Fails only when the task directory itself cannot be listed (the process is gone).
Result<std::vector<ThreadInfo>> read_threads(const ProcSource& proc, int pid);

}  // namespace memgap::collect
