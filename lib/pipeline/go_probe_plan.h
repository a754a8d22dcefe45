// Where memgap's Go probes go in one target: the functions its release description
// names (ReleaseSpec::maps, ::alloc in runtime/go/release.h) resolved through .gopclntab
// (stripped binaries too) to file offsets, each placed past the stack check, or a
// refusal that names the release and what is missing. Probes are planned only for
// releases memgap has built-in facts for: a release read through its DWARF alone has
// layouts but no verified probe functions.
//
//   auto plan = plan_go_maps(reader, /*iterations=*/true);   // or plan_go_allocation
#pragma once
#include <cstdint>
#include <vector>

#include "collect/go_tracer.h"
#include "runtime/go/go_state.h"
#include "util/result.h"

namespace memgap::pipeline {

struct GoMapPlan {
  std::vector<collect::GoProbePoint> growth, iteration;
  uint32_t length_offset = 0;
};
// Probe points for go.maps (and go.map_iterations with `iterations`).
Result<GoMapPlan> plan_go_maps(const runtime::go::GoReader& reader, bool iterations);

// Probe points for --go-probe mallocgc.
Result<std::vector<collect::GoProbePoint>> plan_go_allocation(const runtime::go::GoReader& reader);

}  // namespace memgap::pipeline
