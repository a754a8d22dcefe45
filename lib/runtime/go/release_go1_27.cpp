// Go 1.27 as memgap reads it. The generated part (layouts, size classes, wait reasons,
// code-reference rules) is release_go1_27.inc: rerun scripts/gen-go-layouts.sh to
// regenerate it; the runtime test GoRelease.BuiltinTablesMatchTheBinary checks it.
#include "runtime/go/release.h"

namespace memgap::runtime::go {

ReleaseSpec release_go1_27() {
  ReleaseSpec r;
  r.name = "go1.27";
  r.minor = 27;
#include "runtime/go/release_go1_27.inc"
  // go1.27 facts read from its runtime sources (runtime2.go, mgcpacer.go, metrics.go).
  r.status.leaked = 10;     // _Gleaked: a goroutine the leak detector found blocked forever
  r.status.deadextra = 11;  // _Gdeadextra: a dead g kept for an extra M (cgo callbacks)
  r.heap_goal_headroom_percent = 3;  // memoryLimitHeapGoalHeadroomPercent, at least 1 MiB
  r.sched_goroutines_counts_system = true;  // schedStatsAggregate: gTotal = gcount(true)
  r.has_heap_live_metric = true;            // /gc/heap/live:bytes = gcController.heapMarked
  r.has_goroutine_state_metrics = true;     // /sched/goroutines/{running,runnable,...}
  // Swiss-table maps (go1.24 on): no hashGrow; the compiler calls mapIterStart.
  r.maps = {"swiss",
            {"internal/runtime/maps.(*table).grow", "internal/runtime/maps.(*Map).growToTable",
             "internal/runtime/maps.(*Map).growToSmall"},
            {"runtime.mapIterStart", "internal/runtime/maps.(*Iter).Init"}};
  return r;
}

}  // namespace memgap::runtime::go
