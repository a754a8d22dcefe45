// Turns what the Go runtime reader found (runtime::go::GoState) into the snapshot's
// `go` section and the go.* rows of the gap table. Go's own accounting counts memory
// it has mapped, not what is resident (untouched spans are never faulted in), so each
// category is weighted by the residency of the mappings it lives in, from smaps.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/smaps.h"
#include "model/snapshot.h"
#include "runtime/go/go_state.h"

namespace memgap::pipeline {

// One /proc/PID/smaps entry, as much as the Go weighting needs. Fill it from the smaps
// parser, or from parse_smaps_residency below.
struct MappingResidency {
  uint64_t start = 0, end = 0;
  uint64_t rss = 0;   // bytes resident ("Rss:")
  std::string path;   // pathname column; empty for anonymous memory
};

// A small private reader of smaps text (address line + "Rss:" only).
std::vector<MappingResidency> parse_smaps_residency(const std::string& smaps_text);

struct GoSection {
  model::GoInfo info;                         // snapshot `go`
  std::vector<model::GapCategory> categories;  // go.heap.objects, ..., go.other
  uint64_t profiled = 0;     // what pprof's inuse_space can show at most (live heap objects)
  std::string explanation;   // why that differs from RSS, for this process
  // What the categories consumed, so the caller does not count it again as anon.other:
  uint64_t arena_rss = 0;           // resident bytes of heap-arena mappings
  uint64_t outside_arena_rss = 0;   // resident anonymous bytes attributed outside arenas
};

// A goroutine group that grew across the observation window: a leak suspect.
struct GoroutineGrowth {
  model::GoroutineGroup group;  // as seen at the end of the window
  uint64_t before = 0;          // members at the start (0: the group is new)
  std::string note;             // one line for meta.notes
};

// Groups (matched by creation site, start function and wait reason) that grew by at
// least `min_added` goroutines and by at least `min_ratio` (0.2 = 20%) of their start.
std::vector<GoroutineGrowth> growing_goroutine_groups(const model::GoInfo& first,
                                                      const model::GoInfo& last,
                                                      uint64_t min_added = 5, double min_ratio = 0.2);

GoSection build_go_section(const runtime::go::GoState& state,
                           const std::vector<MappingResidency>& mappings, uint64_t rss);

// Adapter from the smaps parser in collect/.
std::vector<MappingResidency> residency_of(const std::vector<collect::SmapsEntry>& smaps);

// Folds the go.* rows into a gap computed without Go knowledge (pipeline::explain_rss):
// the anonymous memory the Go categories explain is taken out of the rows that had
// claimed it — anon.other first, then stacks.threads (Go threads run on g0 stacks
// inside the heap arenas, which smaps-based stack detection claims), then heap.free
// and heap.untracked — never out of heap.live, file.mapped or shmem. The go.* rows are
// appended, unexplained is recomputed, and the Go explanation is set when the gap had
// none of its own.
void merge_go_section(model::Gap& gap, const GoSection& go);

}  // namespace memgap::pipeline
