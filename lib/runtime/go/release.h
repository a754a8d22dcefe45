// One description per Go release of everything memgap must know to read that runtime
// from outside: struct layouts, size classes, wait-reason strings and g status values,
// the inlinedCall and bucket records, moduledata offsets (all in GoLayout), the
// code-reference rules that locate globals in stripped binaries, the heap-goal formula
// variant, which runtime/metrics the release has, and the functions a map probe
// attaches to. Chosen once when a target is opened (GoReader::open).
//
// The built-in releases live in release_go1_NN.cpp: hand-written facts there, the rest
// in release_go1_NN.inc, generated from the DWARF, symbols and code of a binary built
// by that toolchain (scripts/gen-go-layouts.sh, tool memgap_go_layout_gen).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/go/buildinfo.h"
#include "runtime/go/layout.h"

namespace memgap::runtime::go {

// runtime2.go's g status values (_Gidle ...). `none` marks a status a release lacks.
struct GoStatuses {
  static constexpr uint32_t none = ~uint32_t{0};
  uint32_t idle = 0, runnable = 1, running = 2, syscall = 3, waiting = 4, dead = 6, copystack = 8,
           preempted = 9, leaked = none, deadextra = none, scan = 0x1000;
};

// Where a runtime function's code names a global: its `index`-th RIP-relative data
// operand (counting LEAs only when `lea_only`) addresses the global plus `delta` bytes
// (a field offset). Learned from a binary with symbols (release_derive.h).
struct CodeRefRule {
  std::string global;  // GoGlobals member: "mheap", "memstats", ...
  std::string func;    // "runtime.forEachGRace"
  bool lea_only = false;
  int index = 0;
  int64_t delta = 0;
};

// A runtime function one of memgap's Go probes attaches to (entry probes only), and the
// argument the probe reads, by its index in Go's amd64 register ABI (0 RAX, 1 RBX,
// 2 RCX, 3 RDI, 4 RSI, 5 R8, ...). A name ending in '#' stands for every function of
// that name followed by a size-class number (mallocgcSmallNoScanSC2, SC3, ...: those in
// the binary are probed, none may be). `optional`: the function may be absent (the
// linker drops what is never called, and what is never called never runs).
struct ProbedFunction {
  std::string function;
  uint8_t arg = 0;
  bool optional = false;
};

// Map probes (go.maps, go.map_iterations; pipeline/go_probe_plan resolves them).
struct MapProbes {
  // Functions that run once per growth of one map; arg: the map header (go1.19's
  // *hmap, Swiss tables' *internal/runtime/maps.Map), whose length word GoLayout says
  // (hmap_count, swiss_used).
  std::vector<ProbedFunction> grow;
  // Functions every range loop over a map starts with (the compiler's and reflect's),
  // each loop calling exactly one of them.
  std::vector<ProbedFunction> iterate;
};

// --go-probe mallocgc.
struct AllocProbes {
  // Functions that between them see every heap allocation exactly once (none calls
  // another); arg: the allocation's size.
  std::vector<ProbedFunction> functions;
  // Functions whose presence in a binary means `functions` would miss allocations
  // (size-specialised mallocs the compiler calls around mallocgc under a GOEXPERIMENT).
  std::vector<std::string> bypass;
};

struct ReleaseSpec {
  std::string name;  // "go1.26"
  int minor = 0;     // Go 1.minor
  GoLayout layout;   // the built-in table; GoReader replaces it by the binary's DWARF
  std::vector<uint32_t> class_to_size;  // bytes per size class; class 0 = large objects
  std::vector<std::string> wait_reasons;  // runtime.waitReasonStrings, by g.waitreason
  std::vector<CodeRefRule> code_refs;
  GoStatuses status;
  // memoryLimitHeapGoal's headroom: memoryLimitHeapGoalHeadroomPercent of the goal, at
  // least 1 MiB; 0 = go1.19's fixed 1 MiB.
  uint64_t heap_goal_headroom_percent = 0;
  // /sched/goroutines:goroutines counts system goroutines too (gcount(true), go1.26),
  // where go1.19 reports NumGoroutine's user count.
  bool sched_goroutines_counts_system = false;
  bool has_heap_live_metric = false;         // /gc/heap/live:bytes (go1.21)
  bool has_goroutine_state_metrics = false;  // /sched/goroutines/* (go1.26)
  MapProbes maps;
  AllocProbes alloc;

  std::string wait_reason(uint8_t reason) const;
};

// The releases memgap has built-in tables for, oldest first.
const std::vector<ReleaseSpec>& known_releases();
// The built-in release of this Go version (same minor), or nullptr.
const ReleaseSpec* known_release(const GoVersion& v);
// The built-in release whose hand-written facts serve an unknown version: the newest
// at or below it, else the oldest.
const ReleaseSpec& nearest_release(const GoVersion& v);
// "go1.19, go1.26 and go1.27", for messages.
std::string known_release_names();

// Ok for a built-in release; else an error naming the version and the way out.
Status check_supported(const GoVersion& v);

ReleaseSpec release_go1_19();
ReleaseSpec release_go1_26();
ReleaseSpec release_go1_27();

}  // namespace memgap::runtime::go
