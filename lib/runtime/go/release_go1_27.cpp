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
  // Size-specialised mallocs are on by default: the compiler calls mallocgcTinySC2,
  // mallocgcSmallNoScanSC<n> and mallocgcSmallScanNoHeaderSC<n> directly for new(T) of
  // up to 80 bytes, and mallocgc calls the same functions for small sizes. So the leaves
  // are probed: mallocgc hands each allocation to exactly one of these and none calls
  // another (their slow paths are separate functions), so each allocation is one hit,
  // counted once, whichever way it came in. mallocgcTiny serves builds without the
  // specialised mallocs (race, GOEXPERIMENT=nosizespecializedmalloc). Size in RAX.
  r.alloc.functions = {{"runtime.mallocgcTinySC2", 0, true},       {"runtime.mallocgcSmallNoScanSC#", 0},
                       {"runtime.mallocgcSmallScanNoHeaderSC#", 0}, {"runtime.mallocgcTiny", 0, true},
                       {"runtime.mallocgcSmallNoscan", 0},          {"runtime.mallocgcSmallScanNoHeader", 0},
                       {"runtime.mallocgcSmallScanHeader", 0},      {"runtime.mallocgcLarge", 0}};
  return r;
}

}  // namespace memgap::runtime::go
