// One refresh of `memgap top` without a PID: every process with its RSS, its growth over
// the last minute and the gap split into the buckets a machine-wide list can afford.
// Plain data like snapshot.h; top_json is the only file that knows its JSON keys.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace memgap::model {

inline constexpr const char* kTopSchema = "memgap.top/1";

// The gap categories folded into the columns of the list. `detailed` says whether the
// full gap model (smaps + runtime state) produced them; otherwise only the kernel's
// anon/file/shmem split from status is known and the anon part is all in `other`.
struct ProcessSplit {
  bool detailed = false;
  uint64_t rss = 0;       // the RSS this split divides (at the time it was computed)
  uint64_t heap = 0;      // heap.* and cgo.heap.* (C/C++ allocator memory)
  uint64_t stacks = 0;    // stacks.threads + go.stacks
  uint64_t go_heap = 0;   // go.heap.objects + go.heap.unused
  uint64_t go_idle = 0;   // go.heap.free: idle spans not yet returned
  uint64_t go_meta = 0;   // go.metadata + go.other
  uint64_t file = 0;      // file.mapped
  uint64_t other = 0;     // anon.other, shmem and what is unexplained
  uint64_t age_ms = 0;    // how old the split is
};

struct TopProcess {
  int pid = 0;
  std::string comm;
  int threads = 0;
  uint64_t rss = 0;
  double growth_bytes_per_min = 0;  // least-squares slope over the last minute
  uint64_t growth_window_ms = 0;    // span of history behind it (< 60000 early on)
  bool go = false;                  // a Go program (split has go_* figures)
  ProcessSplit split;
};

struct TopFrame {
  std::string schema = kTopSchema;
  uint64_t iteration = 0;  // 1-based
  int64_t unix_ms = 0;
  uint64_t interval_ms = 0;
  std::string sort;    // growth, rss, heap, pid, name
  std::string filter;  // name substring, empty for none
  size_t processes_total = 0;  // before filtering
  uint64_t rss_total = 0;      // of every process, before filtering
  double refresh_cpu_ms = 0;   // CPU memgap spent producing this frame
  std::vector<TopProcess> processes;  // sorted, filtered
};

}  // namespace memgap::model
