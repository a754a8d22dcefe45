#include "runtime/go/layout.h"

#include <algorithm>

#include "runtime/go/dwarf_types.h"

namespace memgap::runtime::go {

const std::vector<LayoutField>& layout_fields() {
  static const std::vector<LayoutField> f = {
      {&GoLayout::mheap_spanalloc, "mheap_spanalloc", "runtime.mheap", "spanalloc"},
      {&GoLayout::mheap_cachealloc, "mheap_cachealloc", "runtime.mheap", "cachealloc"},
      {&GoLayout::mheap_allArenas, "mheap_allArenas", "runtime.mheap", "heapArenas|allArenas"},
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
      {&GoLayout::hsd_inPtrScalarBits, "hsd_inPtrScalarBits", "runtime.heapStatsDelta", "inPtrScalarBits", true},
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
      {&GoLayout::md_pcHeader, "md_pcHeader", "runtime.moduledata", "pcHeader"},
      {&GoLayout::md_text, "md_text", "runtime.moduledata", "text"},
      {&GoLayout::md_gofunc, "md_gofunc", "runtime.moduledata", "gofunc"},
      {&GoLayout::sizeof_inlinedCall, "sizeof_inlinedCall", "runtime.inlinedCall", ""},
      {&GoLayout::inl_nameOff, "inl_nameOff", "runtime.inlinedCall", "nameOff|func_"},
      {&GoLayout::inl_parentPc, "inl_parentPc", "runtime.inlinedCall", "parentPc"},
      {&GoLayout::sizeof_bucket, "sizeof_bucket", "runtime.bucket", ""},
      {&GoLayout::bucket_allnext, "bucket_allnext", "runtime.bucket", "allnext"},
      {&GoLayout::bucket_typ, "bucket_typ", "runtime.bucket", "typ"},
      {&GoLayout::bucket_size, "bucket_size", "runtime.bucket", "size"},
      {&GoLayout::bucket_nstk, "bucket_nstk", "runtime.bucket", "nstk"},
      {&GoLayout::sizeof_memRecordCycle, "sizeof_memRecordCycle", "runtime.memRecordCycle", ""},
      {&GoLayout::sizeof_memRecord, "sizeof_memRecord", "runtime.memRecord", ""},
      {&GoLayout::mr_future, "mr_future", "runtime.memRecord", "future"},
      {&GoLayout::mrc_allocs, "mrc_allocs", "runtime.memRecordCycle", "allocs"},
      {&GoLayout::mrc_frees, "mrc_frees", "runtime.memRecordCycle", "frees"},
      {&GoLayout::mrc_alloc_bytes, "mrc_alloc_bytes", "runtime.memRecordCycle", "alloc_bytes", true},
      {&GoLayout::mrc_free_bytes, "mrc_free_bytes", "runtime.memRecordCycle", "free_bytes", true},
      {&GoLayout::hmap_count, "hmap_count", "runtime.hmap", "count", true},
      {&GoLayout::hmap_B, "hmap_B", "runtime.hmap", "B", true},
      {&GoLayout::swiss_used, "swiss_used", "internal/runtime/maps.Map", "used", true},
      {&GoLayout::swiss_dirLen, "swiss_dirLen", "internal/runtime/maps.Map", "dirLen", true},
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
    Result<uint64_t> v = make_error("no path");
    if (!*f.path) {
      v = dw->size_of(f.type);
    } else {
      // Alternatives name the same field across releases ("nameOff|func_").
      std::string paths = f.path;
      for (size_t pos = 0; pos <= paths.size();) {
        size_t bar = paths.find('|', pos);
        if (bar == std::string::npos) bar = paths.size();
        auto one = dw->offset_of(f.type, paths.substr(pos, bar - pos));
        if (one || pos == 0) v = one;
        if (one) break;
        pos = bar + 1;
      }
    }
    if (!v && f.optional) {
      l.*f.member = kAbsent;
      continue;
    }
    if (!v) return make_error("cannot read the Go runtime layout: " + v.error().message);
    l.*f.member = *v;
  }
  return l;
}

}  // namespace memgap::runtime::go
