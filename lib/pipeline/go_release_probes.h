// Per Go release: the runtime functions memgap's Go probes go on (map growth, map
// iteration, allocation) and which argument of each holds what. These facts live in this
// one table (go_release_probes.cpp) until the per-release runtime description in
// lib/runtime/go/ carries them; everything else asks the table.
//
//   auto plan = plan_go_maps(reader, /*iterations=*/true);   // or plan_go_allocation
//   if (!plan) ... plan.error() names the release and what is missing
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/go_tracer.h"
#include "runtime/go/go_state.h"
#include "util/result.h"

namespace memgap::pipeline {

// One probed function. A name ending in '#' stands for every function of that name
// followed by a size-class number (the generated mallocgcSmallNoScanSC2, SC3, ...):
// those present in the binary are probed, none may be. `optional`: the function may be
// absent (the linker drops what is never called, and what is never called never runs).
struct GoProbedFunction {
  std::string function;
  uint8_t arg = 0;  // index in Go's amd64 register ABI: 0 RAX, 1 RBX, 2 RCX, ...
  bool optional = false;
};

struct GoReleaseProbes {
  int minor = 0;  // go1.<minor>
  // Functions that run once per growth of one map, with the argument that holds the map
  // header (go1.19's *hmap, Swiss tables' *maps.Map), and where its length word is.
  std::vector<GoProbedFunction> map_growth;
  uint32_t map_length_offset = 0;
  // Functions every range loop over a map starts with (the compiler's and reflect's).
  std::vector<GoProbedFunction> map_iteration;
  // Functions that between them see every heap allocation exactly once (so none is
  // counted twice), with the argument that holds its size.
  std::vector<GoProbedFunction> allocation;
  // Functions whose presence means `allocation` would miss allocations: size-specialised
  // mallocs the compiler calls directly, around mallocgc, under a GOEXPERIMENT.
  std::vector<std::string> allocation_bypass;
};

// The table's entry for the target's release; nullptr when memgap does not know it.
const GoReleaseProbes* go_release_probes(const runtime::go::GoVersion& v);

struct GoMapPlan {
  std::vector<collect::GoProbePoint> growth, iteration;
  uint32_t length_offset = 0;
};
// Probe points for go.maps (and go.map_iterations with `iterations`), or a refusal that
// names the release and the function it could not find.
Result<GoMapPlan> plan_go_maps(const runtime::go::GoReader& reader, bool iterations);

// Probe points for --go-probe mallocgc, or a refusal by name with a hint.
Result<std::vector<collect::GoProbePoint>> plan_go_allocation(const runtime::go::GoReader& reader);

}  // namespace memgap::pipeline
