// The cheap per-process reading behind `memgap top`'s machine-wide list: one read of
// /proc/PID/status per process gives name, threads and the kernel's RSS split (anon,
// file, shmem). No smaps: its page-table walk is what makes a full reading too costly
// for hundreds of processes every two seconds.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collect/proc_source.h"

namespace memgap::collect {

struct ProcBrief {
  int pid = 0;
  std::string name;  // comm, at most 15 characters
  int threads = 0;
  uint64_t rss = 0;  // VmRSS, bytes
  uint64_t rss_anon = 0;
  uint64_t rss_file = 0;
  uint64_t rss_shmem = 0;
};

// Parses status text; false for kernel threads (no VmRSS line: they own no memory).
bool parse_brief(std::string_view status, ProcBrief& out);

// Every user process of `proc`; processes that exit while being read are left out.
std::vector<ProcBrief> read_briefs(const ProcSource& proc);

}  // namespace memgap::collect
