// Offsets of the Go runtime structures memgap reads. They come from the binary's DWARF
// when present, else from a built-in table for the exact Go minor version (checked
// against DWARF by the runtime tests), so stripped binaries are read with the same
// field-by-field meaning.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/go/buildinfo.h"
#include "util/result.h"

namespace memgap::runtime::go {

struct GoLayout {
  std::string source;  // "dwarf" or "builtin go1.19"

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
           hsd_inWorkBufs = 0, hsd_inPtrScalarBits = 0, hsd_tinyAllocCount = 0,
           hsd_largeAlloc = 0, hsd_largeAllocCount = 0, hsd_smallAllocCount = 0,
           hsd_largeFree = 0, hsd_largeFreeCount = 0, hsd_smallFreeCount = 0;

  // runtime.gcControllerState (gcController)
  uint64_t gcc_gcPercent = 0, gcc_memoryLimit = 0, gcc_gcPercentHeapGoal = 0,
           gcc_sweepDistMinTrigger = 0, gcc_triggered = 0, gcc_heapMarked = 0,
           gcc_heapFree = 0, gcc_totalAlloc = 0, gcc_totalFree = 0, gcc_mappedReady = 0;

  // runtime.g and its saved registers (g.sched is a runtime.gobuf)
  uint64_t g_stack_lo = 0, g_stack_hi = 0, g_sched_sp = 0, g_sched_pc = 0, g_sched_bp = 0,
           g_atomicstatus = 0, g_goid = 0, g_waitreason = 0, g_gopc = 0, g_startpc = 0;

  uint64_t num_size_classes() const {
    return (hsd_largeFree - hsd_smallAllocCount) / 8;
  }
  // Bytes of a g that cover every field above.
  uint64_t g_read_size() const;
};

// One row per field: which DWARF type and dotted path it comes from.
struct LayoutField {
  uint64_t GoLayout::*member;
  const char* name;  // the member's name, for the generated table and test messages
  const char* type;  // "runtime.mheap"
  const char* path;  // "spanalloc"; empty = sizeof(type)
};
const std::vector<LayoutField>& layout_fields();

// Fills every field from DWARF; fails naming the first field it cannot find.
Result<GoLayout> layout_from_dwarf(const std::string& exe);
// The built-in table for the version, or an error naming it.
Result<GoLayout> builtin_layout(const GoVersion& v);

// runtime.class_to_size for the size classes of Go 1.19 (68 classes; class 0 = large).
const std::vector<uint32_t>& class_to_size_go119();

// runtime.waitReasonStrings of Go 1.19, indexed by g.waitreason.
std::string wait_reason_go119(uint8_t reason);

}  // namespace memgap::runtime::go
