// Turns what the Go runtime reader found (runtime::go::GoState) into the snapshot's
// `go` section and the go.* rows of the gap table. Go's own accounting counts memory
// it has mapped, not what is resident (untouched spans are never faulted in), so each
// category is weighted by the residency of the mappings it lives in, from smaps.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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

GoSection build_go_section(const runtime::go::GoState& state,
                           const std::vector<MappingResidency>& mappings, uint64_t rss);

}  // namespace memgap::pipeline
