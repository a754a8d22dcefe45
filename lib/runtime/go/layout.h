// Offsets of the Go runtime structures memgap reads. They come from the binary's DWARF
// when present, else from the built-in table of the Go release (release.h; generated
// from DWARF by scripts/gen-go-layouts.sh and checked against DWARF by the runtime
// tests), so stripped binaries are read with the same field-by-field meaning.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

// An optional field that this release's runtime does not have.
inline constexpr uint64_t kAbsent = ~uint64_t{0};

struct GoLayout {
  std::string source;  // "dwarf", "builtin go1.26", "dwarf of FILE"

  // runtime.mheap (mheap_)
  uint64_t mheap_spanalloc = 0, mheap_cachealloc = 0, mheap_allArenas = 0;
  uint64_t fixalloc_size = 0, fixalloc_inuse = 0;
  uint64_t sizeof_mspan = 0, sizeof_mcache = 0;

  // runtime.mstats (memstats) and its consistentHeapStats ring
  uint64_t mstats_heapStats = 0, mstats_stacks_sys = 0, mstats_mspan_sys = 0,
           mstats_mcache_sys = 0, mstats_buckhash_sys = 0, mstats_gcMiscSys = 0,
           mstats_other_sys = 0, mstats_numgc = 0, mstats_numforcedgc = 0;
  uint64_t chs_stats = 0, chs_gen = 0, sizeof_heapStatsDelta = 0;
  uint64_t hsd_committed = 0, hsd_released = 0, hsd_inHeap = 0, hsd_inStacks = 0,
           hsd_inWorkBufs = 0, hsd_tinyAllocCount = 0, hsd_largeAlloc = 0,
           hsd_largeAllocCount = 0, hsd_smallAllocCount = 0, hsd_largeFree = 0,
           hsd_largeFreeCount = 0, hsd_smallFreeCount = 0;
  uint64_t hsd_inPtrScalarBits = kAbsent;  // gone with allocation headers (go1.22)

  // runtime.gcControllerState (gcController). Fields that became atomic types
  // (gcPercent atomic.Int32, ...) keep their offset: the value is the type's only
  // non-zero-sized member.
  uint64_t gcc_gcPercent = 0, gcc_memoryLimit = 0, gcc_gcPercentHeapGoal = 0,
           gcc_sweepDistMinTrigger = 0, gcc_triggered = 0, gcc_heapMarked = 0,
           gcc_heapFree = 0, gcc_totalAlloc = 0, gcc_totalFree = 0, gcc_mappedReady = 0;

  // runtime.g and its saved registers (g.sched is a runtime.gobuf)
  uint64_t g_stack_lo = 0, g_stack_hi = 0, g_sched_sp = 0, g_sched_pc = 0, g_sched_bp = 0,
           g_atomicstatus = 0, g_goid = 0, g_waitreason = 0, g_gopc = 0, g_startpc = 0;

  // runtime.moduledata: pcHeader, text, gofunc (inline trees are relative to gofunc)
  uint64_t md_pcHeader = 0, md_text = 0, md_gofunc = 0;

  // runtime.inlinedCall: the record of one inlined call in a function's inline tree
  // (func_ in go1.19, nameOff from go1.20: both an offset into funcnametab)
  uint64_t sizeof_inlinedCall = 0, inl_nameOff = 0, inl_parentPc = 0;

  // runtime.bucket header, followed by stk[nstk] and a runtime.memRecord
  // (active + future[3], each a memRecordCycle)
  uint64_t sizeof_bucket = 0, bucket_allnext = 0, bucket_typ = 0, bucket_size = 0,
           bucket_nstk = 0;
  uint64_t sizeof_memRecordCycle = 0, sizeof_memRecord = 0, mr_future = 0, mrc_allocs = 0,
           mrc_frees = 0;
  uint64_t mrc_alloc_bytes = kAbsent, mrc_free_bytes = kAbsent;  // gone in go1.27 (allocs * size)

  // Map headers, for the map probes: runtime.hmap (go1.19: count, B = log2 buckets) or
  // the Swiss table internal/runtime/maps.Map (go1.24 on: used, dirLen). A release has
  // one of the two.
  uint64_t hmap_count = kAbsent, hmap_B = kAbsent, swiss_used = kAbsent, swiss_dirLen = kAbsent;

  static bool has(uint64_t off) { return off != kAbsent; }
  uint64_t num_size_classes() const { return (hsd_largeFree - hsd_smallAllocCount) / 8; }
  // Bytes of a g that cover every field above.
  uint64_t g_read_size() const;
};

// One row per field: which DWARF type and dotted path it comes from.
struct LayoutField {
  uint64_t GoLayout::*member;
  const char* name;  // the member's name, for the generated table and test messages
  const char* type;  // "runtime.mheap"
  const char* path;  // "spanalloc"; empty = sizeof(type); "a|b": the first that exists
  bool optional = false;  // absent in some releases: kAbsent
};
const std::vector<LayoutField>& layout_fields();

// Fills every field from DWARF; fails naming the first required field it cannot find.
Result<GoLayout> layout_from_dwarf(const std::string& exe);

}  // namespace memgap::runtime::go
