#include "runtime/go/layout.h"

#include <algorithm>

#include "runtime/go/dwarf_types.h"

namespace memgap::runtime::go {

const std::vector<LayoutField>& layout_fields() {
  static const std::vector<LayoutField> f = {
      {&GoLayout::mheap_spanalloc, "mheap_spanalloc", "runtime.mheap", "spanalloc"},
      {&GoLayout::mheap_cachealloc, "mheap_cachealloc", "runtime.mheap", "cachealloc"},
      {&GoLayout::mheap_allArenas, "mheap_allArenas", "runtime.mheap", "allArenas"},
      {&GoLayout::fixalloc_size, "fixalloc_size", "runtime.fixalloc", "size"},
      {&GoLayout::fixalloc_inuse, "fixalloc_inuse", "runtime.fixalloc", "inuse"},
      {&GoLayout::sizeof_mspan, "sizeof_mspan", "runtime.mspan", ""},
      {&GoLayout::sizeof_mcache, "sizeof_mcache", "runtime.mcache", ""},
      {&GoLayout::mstats_heapStats, "mstats_heapStats", "runtime.mstats", "heapStats"},
      {&GoLayout::mstats_stacks_sys, "mstats_stacks_sys", "runtime.mstats", "stacks_sys"},
      {&GoLayout::mstats_mspan_sys, "mstats_mspan_sys", "runtime.mstats", "mspan_sys"},
      {&GoLayout::mstats_mcache_sys, "mstats_mcache_sys", "runtime.mstats", "mcache_sys"},
      {&GoLayout::mstats_buckhash_sys, "mstats_buckhash_sys", "runtime.mstats", "buckhash_sys"},
      {&GoLayout::mstats_gcMiscSys, "mstats_gcMiscSys", "runtime.mstats", "gcMiscSys"},
      {&GoLayout::mstats_other_sys, "mstats_other_sys", "runtime.mstats", "other_sys"},
      {&GoLayout::mstats_numgc, "mstats_numgc", "runtime.mstats", "numgc"},
      {&GoLayout::mstats_numforcedgc, "mstats_numforcedgc", "runtime.mstats", "numforcedgc"},
      {&GoLayout::chs_stats, "chs_stats", "runtime.consistentHeapStats", "stats"},
      {&GoLayout::chs_gen, "chs_gen", "runtime.consistentHeapStats", "gen"},
      {&GoLayout::sizeof_heapStatsDelta, "sizeof_heapStatsDelta", "runtime.heapStatsDelta", ""},
      {&GoLayout::hsd_committed, "hsd_committed", "runtime.heapStatsDelta", "committed"},
      {&GoLayout::hsd_released, "hsd_released", "runtime.heapStatsDelta", "released"},
      {&GoLayout::hsd_inHeap, "hsd_inHeap", "runtime.heapStatsDelta", "inHeap"},
      {&GoLayout::hsd_inStacks, "hsd_inStacks", "runtime.heapStatsDelta", "inStacks"},
      {&GoLayout::hsd_inWorkBufs, "hsd_inWorkBufs", "runtime.heapStatsDelta", "inWorkBufs"},
      {&GoLayout::hsd_inPtrScalarBits, "hsd_inPtrScalarBits", "runtime.heapStatsDelta", "inPtrScalarBits"},
      {&GoLayout::hsd_tinyAllocCount, "hsd_tinyAllocCount", "runtime.heapStatsDelta", "tinyAllocCount"},
      {&GoLayout::hsd_largeAlloc, "hsd_largeAlloc", "runtime.heapStatsDelta", "largeAlloc"},
      {&GoLayout::hsd_largeAllocCount, "hsd_largeAllocCount", "runtime.heapStatsDelta", "largeAllocCount"},
      {&GoLayout::hsd_smallAllocCount, "hsd_smallAllocCount", "runtime.heapStatsDelta", "smallAllocCount"},
      {&GoLayout::hsd_largeFree, "hsd_largeFree", "runtime.heapStatsDelta", "largeFree"},
      {&GoLayout::hsd_largeFreeCount, "hsd_largeFreeCount", "runtime.heapStatsDelta", "largeFreeCount"},
      {&GoLayout::hsd_smallFreeCount, "hsd_smallFreeCount", "runtime.heapStatsDelta", "smallFreeCount"},
      {&GoLayout::gcc_gcPercent, "gcc_gcPercent", "runtime.gcControllerState", "gcPercent"},
      {&GoLayout::gcc_memoryLimit, "gcc_memoryLimit", "runtime.gcControllerState", "memoryLimit"},
      {&GoLayout::gcc_gcPercentHeapGoal, "gcc_gcPercentHeapGoal", "runtime.gcControllerState", "gcPercentHeapGoal"},
      {&GoLayout::gcc_sweepDistMinTrigger, "gcc_sweepDistMinTrigger", "runtime.gcControllerState", "sweepDistMinTrigger"},
      {&GoLayout::gcc_triggered, "gcc_triggered", "runtime.gcControllerState", "triggered"},
      {&GoLayout::gcc_heapMarked, "gcc_heapMarked", "runtime.gcControllerState", "heapMarked"},
      {&GoLayout::gcc_heapFree, "gcc_heapFree", "runtime.gcControllerState", "heapFree"},
      {&GoLayout::gcc_totalAlloc, "gcc_totalAlloc", "runtime.gcControllerState", "totalAlloc"},
      {&GoLayout::gcc_totalFree, "gcc_totalFree", "runtime.gcControllerState", "totalFree"},
      {&GoLayout::gcc_mappedReady, "gcc_mappedReady", "runtime.gcControllerState", "mappedReady"},
      {&GoLayout::g_stack_lo, "g_stack_lo", "runtime.g", "stack.lo"},
      {&GoLayout::g_stack_hi, "g_stack_hi", "runtime.g", "stack.hi"},
      {&GoLayout::g_sched_sp, "g_sched_sp", "runtime.g", "sched.sp"},
      {&GoLayout::g_sched_pc, "g_sched_pc", "runtime.g", "sched.pc"},
      {&GoLayout::g_sched_bp, "g_sched_bp", "runtime.g", "sched.bp"},
      {&GoLayout::g_atomicstatus, "g_atomicstatus", "runtime.g", "atomicstatus"},
      {&GoLayout::g_goid, "g_goid", "runtime.g", "goid"},
      {&GoLayout::g_waitreason, "g_waitreason", "runtime.g", "waitreason"},
      {&GoLayout::g_gopc, "g_gopc", "runtime.g", "gopc"},
      {&GoLayout::g_startpc, "g_startpc", "runtime.g", "startpc"},
  };
  return f;
}

uint64_t GoLayout::g_read_size() const {
  uint64_t m = std::max({g_stack_hi, g_sched_sp, g_sched_pc, g_sched_bp, g_atomicstatus, g_goid,
                         g_waitreason, g_gopc, g_startpc});
  return m + 8;
}

Result<GoLayout> layout_from_dwarf(const std::string& exe) {
  std::vector<std::string> types;
  for (const auto& f : layout_fields())
    if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
  types.push_back("runtime.stack");
  types.push_back("runtime.gobuf");
  auto dw = DwarfTypes::load(exe, types);
  if (!dw) return dw.error();
  GoLayout l;
  l.source = "dwarf";
  for (const auto& f : layout_fields()) {
    auto v = *f.path ? dw->offset_of(f.type, f.path) : dw->size_of(f.type);
    if (!v) return make_error("cannot read the Go runtime layout: " + v.error().message);
    l.*f.member = *v;
  }
  return l;
}

namespace {
// Generated from the DWARF of a go1.19.8 linux/amd64 binary; the runtime test
// GoLayout.BuiltinMatchesDwarf re-derives it from every test build.
GoLayout go119() {
  GoLayout l;
  l.source = "builtin go1.19";
#include "runtime/go/layout_go119.inc"
  return l;
}
}  // namespace

Result<GoLayout> builtin_layout(const GoVersion& v) {
  if (auto s = check_supported(v); !s) return s.error();
  return go119();
}

const std::vector<uint32_t>& class_to_size_go119() {
  static const std::vector<uint32_t> t = {
      0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
      160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
      448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
      1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
      6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
      18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
  return t;
}

std::string wait_reason_go119(uint8_t r) {
  static const char* const names[] = {
      "",                      "GC assist marking",  "IO wait",
      "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
      "garbage collection",    "garbage collection scan", "panicwait",
      "select",                "select (no cases)",  "GC assist wait",
      "GC sweep wait",         "GC scavenge wait",   "chan receive",
      "chan send",             "finalizer wait",     "force gc (idle)",
      "semacquire",            "sleep",              "sync.Cond.Wait",
      "timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle",
      "GC worker (idle)",      "preempted",          "debug call"};
  if (r >= sizeof(names) / sizeof(names[0])) return "unknown wait reason";
  return names[r];
}

}  // namespace memgap::runtime::go
