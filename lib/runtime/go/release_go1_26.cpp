// Go 1.26 as memgap reads it. The generated part (layouts, size classes, wait reasons,
// code-reference rules) is release_go1_26.inc: rerun scripts/gen-go-layouts.sh to
// regenerate it; the runtime test GoRelease.BuiltinTablesMatchTheBinary checks it.
#include "runtime/go/release.h"

namespace memgap::runtime::go {

ReleaseSpec release_go1_26() {
  ReleaseSpec r;
  r.name = "go1.26";
  r.minor = 26;
#include "runtime/go/release_go1_26.inc"
  // go1.26 facts read from its runtime sources (runtime2.go, mgcpacer.go, metrics.go).
  r.status.leaked = 10;     // _Gleaked: a goroutine the leak detector found blocked forever
  r.status.deadextra = 11;  // _Gdeadextra: a dead g kept for an extra M (cgo callbacks)
  r.heap_goal_headroom_percent = 3;  // memoryLimitHeapGoalHeadroomPercent, at least 1 MiB
  r.sched_goroutines_counts_system = true;  // schedStatsAggregate: gTotal = gcount(true)
  r.has_heap_live_metric = true;            // /gc/heap/live:bytes = gcController.heapMarked
  r.has_goroutine_state_metrics = true;     // /sched/goroutines/{running,runnable,...}
  // Probes (internal/runtime/maps, runtime/map.go, malloc.go; registers checked in
  // `go tool objdump`). Swiss-table maps (go1.24 on) have no hashGrow; a map grows in two
  // ways, one call per growth: (*Map).growToTable(m, typ) when its one 8-slot group is
  // full (m in RAX), (*table).rehash(t, typ, m) when a table is full and is doubled or
  // split (m in RCX). Map.used (the length) is the Map's first word. growToSmall is left
  // out: it runs at the first insert into almost every map, which is not growth. Range
  // loops call runtime.mapIterStart, reflect its own reflect.mapIterStart
  // (mapiterinit is a shim for linkname users; (*Iter).Init runs inside both).
  r.maps.grow = {{"internal/runtime/maps.(*Map).growToTable", 0}, {"internal/runtime/maps.(*table).rehash", 2}};
  r.maps.iterate = {{"runtime.mapIterStart", 0}, {"reflect.mapIterStart", 0, true}};
  // Every allocation enters mallocgc(size, ...), which picks mallocgcTiny, SmallNoscan,
  // ... itself. Builds with GOEXPERIMENT=sizespecializedmalloc have the compiler call
  // the specialised mallocs below directly, around mallocgc: refused, not undercounted.
  r.alloc.functions = {{"runtime.mallocgc", 0}};
  r.alloc.bypass = {"runtime.mallocgcSmallNoScanSC#", "runtime.mallocgcSmallScanNoHeaderSC#",
                    "runtime.mallocgcTinySize#"};
  return r;
}

}  // namespace memgap::runtime::go
