// /proc/PID/stat: "pid (comm) state ppid ... " — one parser for every reader (target
// inspection, thread stack pointers, top's CPU figures, liveness). comm may contain
// spaces and ')', so fields are counted from the last ')'.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "collect/proc_source.h"

namespace memgap::collect {

struct ProcStat {
  char state = '?';        // field 3: R S D Z X ...
  unsigned long flags = 0; // field 9: PF_* (PF_KTHREAD = 0x00200000)
  uint64_t utime = 0;      // field 14, clock ticks; 0 when the line is shorter
  uint64_t stime = 0;      // field 15, clock ticks
  uint64_t kstkesp = 0;    // field 29; 0 when the line is shorter (or the kernel hides it)
};

// nullopt when the line has no "(comm)" or ends before the flags field.
std::optional<ProcStat> parse_stat(const std::string& text);

// The process exists and is neither a zombie nor dead. A stat line that cannot be parsed
// counts as alive (the process is there; its line is just odd).
bool process_alive(const ProcSource& proc, int pid);

}  // namespace memgap::collect
