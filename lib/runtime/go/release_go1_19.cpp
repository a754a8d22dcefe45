// Go 1.19 as memgap reads it. The generated part (layouts, size classes, wait reasons,
// code-reference rules) is release_go1_19.inc: rerun scripts/gen-go-layouts.sh to
// regenerate it; the runtime test GoRelease.BuiltinTablesMatchTheBinary checks it.
#include "runtime/go/release.h"

namespace memgap::runtime::go {

ReleaseSpec release_go1_19() {
  ReleaseSpec r;
  r.name = "go1.19";
  r.minor = 19;
#include "runtime/go/release_go1_19.inc"
  // go1.19 facts read from its runtime sources (runtime2.go, mgcpacer.go, metrics.go).
  r.heap_goal_headroom_percent = 0;  // memoryLimitHeapGoal: a fixed 1 MiB of headroom
  r.sched_goroutines_counts_system = false;  // /sched/goroutines = gcount(): user goroutines
  r.has_heap_live_metric = false;
  r.has_goroutine_state_metrics = false;
  // Probes (map.go, malloc.go; registers checked in `go tool objdump`): hashGrow(t, h)
  // runs once per doubling, h (*hmap) in RBX, hmap.count its first word; range loops
  // and reflect start with mapiterinit; every allocation enters mallocgc(size, ...).
  r.maps.grow = {{"runtime.hashGrow", 1}};
  r.maps.iterate = {{"runtime.mapiterinit", 0}};
  r.alloc.functions = {{"runtime.mallocgc", 0}};
  return r;
}

}  // namespace memgap::runtime::go
