#include "runtime/go/memstats.h"

#include <algorithm>

namespace memgap::runtime::go {

namespace {
struct HeapStats {
  int64_t committed = 0, released = 0, inHeap = 0, inStacks = 0, inWorkBufs = 0, inPtrScalarBits = 0;
  uint64_t tinyAllocs = 0, largeAlloc = 0, largeAllocCount = 0, largeFree = 0, largeFreeCount = 0;
  std::vector<uint64_t> smallAlloc, smallFree;
};

HeapStats sum_generations(const std::vector<uint8_t>& b, const GoLayout& l) {
  HeapStats h;
  size_t classes = l.num_size_classes();
  h.smallAlloc.assign(classes, 0);
  h.smallFree.assign(classes, 0);
  // Each P adds its deltas into stats[gen]; a reader merges stats[prev] into stats[cur].
  // Summing all three is therefore the complete total at any moment, without rotating
  // `gen` (which only the target may do).
  for (int gen = 0; gen < 3; ++gen) {
    size_t base = l.chs_stats + gen * l.sizeof_heapStatsDelta;
    auto i64 = [&](uint64_t off) { return static_cast<int64_t>(load_u64(b, base + off)); };
    h.committed += i64(l.hsd_committed);
    h.released += i64(l.hsd_released);
    h.inHeap += i64(l.hsd_inHeap);
    h.inStacks += i64(l.hsd_inStacks);
    h.inWorkBufs += i64(l.hsd_inWorkBufs);
    if (GoLayout::has(l.hsd_inPtrScalarBits)) h.inPtrScalarBits += i64(l.hsd_inPtrScalarBits);
    h.tinyAllocs += load_u64(b, base + l.hsd_tinyAllocCount);
    h.largeAlloc += load_u64(b, base + l.hsd_largeAlloc);
    h.largeAllocCount += load_u64(b, base + l.hsd_largeAllocCount);
    h.largeFree += load_u64(b, base + l.hsd_largeFree);
    h.largeFreeCount += load_u64(b, base + l.hsd_largeFreeCount);
    for (size_t c = 0; c < classes; ++c) {
      h.smallAlloc[c] += load_u64(b, base + l.hsd_smallAllocCount + 8 * c);
      h.smallFree[c] += load_u64(b, base + l.hsd_smallFreeCount + 8 * c);
    }
  }
  return h;
}

// gcControllerState.heapGoal() (mgcpacer.go heapGoalInternal and memoryLimitHeapGoal),
// evaluated on values read from the target; the headroom below the memory limit is the
// release's variant.
uint64_t heap_goal(const std::vector<uint8_t>& c, const GoLayout& l, uint64_t headroom_percent) {
  auto u = [&](uint64_t off) { return load_u64(c, off); };
  uint64_t goal = u(l.gcc_gcPercentHeapGoal);
  uint64_t heapFree = u(l.gcc_heapFree);
  uint64_t heapAlloc = u(l.gcc_totalAlloc) - u(l.gcc_totalFree);
  uint64_t mappedReady = u(l.gcc_mappedReady);
  uint64_t limit = u(l.gcc_memoryLimit);
  uint64_t marked = u(l.gcc_heapMarked);
  uint64_t mlgoal;
  constexpr uint64_t kMinHeadroom = 1 << 20;  // memoryLimitMinHeapGoalHeadroom
  uint64_t nonHeap = mappedReady - heapFree - heapAlloc;
  if (heapFree + heapAlloc > mappedReady) nonHeap = 0;  // torn read; the runtime retries
  uint64_t overage = mappedReady > limit ? mappedReady - limit : 0;
  if (nonHeap + overage >= limit) {
    mlgoal = marked;
  } else {
    mlgoal = limit - (nonHeap + overage);
    uint64_t headroom = std::max(kMinHeadroom, mlgoal / 100 * headroom_percent);
    if (mlgoal < headroom || mlgoal - headroom < headroom) mlgoal = headroom;
    else mlgoal -= headroom;
    if (mlgoal < marked) mlgoal = marked;
  }
  if (mlgoal < goal) return mlgoal;
  uint64_t sweepDist = u(l.gcc_sweepDistMinTrigger);
  if (sweepDist > goal) goal = sweepDist;
  constexpr uint64_t kMinRunway = 64 << 10;
  uint64_t triggered = u(l.gcc_triggered);
  if (triggered != ~uint64_t{0} && goal < triggered + kMinRunway) goal = triggered + kMinRunway;
  return goal;
}
}  // namespace

Result<Metrics> read_memory_metrics(const RemoteMemory& mem, const GoGlobals& g, const ReleaseSpec& spec) {
  const GoLayout& l = spec.layout;
  const auto& sizes = spec.class_to_size;
  if (l.num_size_classes() != sizes.size())
    return make_error("Go runtime has " + std::to_string(l.num_size_classes()) + " size classes; memgap knows " +
                      spec.name + "'s " + std::to_string(sizes.size()));
  uint64_t ms_len = std::max(l.mstats_numforcedgc, l.mstats_other_sys) + 8;
  auto ms = mem.bytes(g.memstats, ms_len);
  if (!ms) return ms.error();
  auto gc = mem.bytes(g.gc_controller, l.gcc_mappedReady + 8);
  if (!gc) return gc.error();
  auto span_inuse = mem.u64(g.mheap + l.mheap_spanalloc + l.fixalloc_inuse);
  if (!span_inuse) return span_inuse.error();
  auto cache_inuse = mem.u64(g.mheap + l.mheap_cachealloc + l.fixalloc_inuse);
  if (!cache_inuse) return cache_inuse.error();
  auto rate = mem.u64(g.mem_profile_rate);
  if (!rate) return rate.error();

  std::vector<uint8_t> hs(ms->begin() + l.mstats_heapStats, ms->end());
  HeapStats h = sum_generations(hs, l);
  uint64_t allocated = h.largeAlloc, freed = h.largeFree;
  uint64_t nalloc = h.largeAllocCount, nfree = h.largeFreeCount;
  for (size_t c = 0; c < sizes.size(); ++c) {
    allocated += h.smallAlloc[c] * sizes[c];
    freed += h.smallFree[c] * sizes[c];
    nalloc += h.smallAlloc[c];
    nfree += h.smallFree[c];
  }
  uint64_t inObjects = allocated - freed;
  auto m64 = [&](uint64_t off) { return static_cast<double>(load_u64(*ms, off)); };
  double stacksSys = m64(l.mstats_stacks_sys), mspanSys = m64(l.mstats_mspan_sys),
         mcacheSys = m64(l.mstats_mcache_sys), buckhash = m64(l.mstats_buckhash_sys),
         gcMisc = m64(l.mstats_gcMiscSys), otherSys = m64(l.mstats_other_sys);
  double numgc = load_u32(*ms, l.mstats_numgc), forced = load_u32(*ms, l.mstats_numforcedgc);

  Metrics m;
  m["/memory/classes/heap/free:bytes"] =
      double(h.committed - h.inHeap - h.inStacks - h.inWorkBufs - h.inPtrScalarBits);
  m["/memory/classes/heap/objects:bytes"] = double(inObjects);
  m["/memory/classes/heap/released:bytes"] = double(h.released);
  m["/memory/classes/heap/stacks:bytes"] = double(h.inStacks);
  m["/memory/classes/heap/unused:bytes"] = double(uint64_t(h.inHeap) - inObjects);
  m["/memory/classes/metadata/mcache/free:bytes"] = mcacheSys - double(*cache_inuse);
  m["/memory/classes/metadata/mcache/inuse:bytes"] = double(*cache_inuse);
  m["/memory/classes/metadata/mspan/free:bytes"] = mspanSys - double(*span_inuse);
  m["/memory/classes/metadata/mspan/inuse:bytes"] = double(*span_inuse);
  m["/memory/classes/metadata/other:bytes"] = double(h.inWorkBufs + h.inPtrScalarBits) + gcMisc;
  m["/memory/classes/os-stacks:bytes"] = stacksSys;
  m["/memory/classes/other:bytes"] = otherSys;
  m["/memory/classes/profiling/buckets:bytes"] = buckhash;
  m["/memory/classes/total:bytes"] = double(h.committed + h.released) + stacksSys + mspanSys +
                                     mcacheSys + buckhash + gcMisc + otherSys;
  m["/gc/heap/allocs:bytes"] = double(allocated);
  m["/gc/heap/frees:bytes"] = double(freed);
  m["/gc/heap/allocs:objects"] = double(nalloc);
  m["/gc/heap/frees:objects"] = double(nfree);
  m["/gc/heap/objects:objects"] = double(nalloc - nfree);
  m["/gc/heap/tiny/allocs:objects"] = double(h.tinyAllocs);
  m["/gc/heap/goal:bytes"] = double(heap_goal(*gc, l, spec.heap_goal_headroom_percent));
  if (spec.has_heap_live_metric) m["/gc/heap/live:bytes"] = double(load_u64(*gc, l.gcc_heapMarked));
  m["/gc/cycles/total:gc-cycles"] = numgc;
  m["/gc/cycles/forced:gc-cycles"] = forced;
  m["/gc/cycles/automatic:gc-cycles"] = numgc - forced;
  m["/gc/gogc:percent"] = double(static_cast<int32_t>(load_u32(*gc, l.gcc_gcPercent)));
  m["/gc/gomemlimit:bytes"] = double(static_cast<int64_t>(load_u64(*gc, l.gcc_memoryLimit)));
  m["runtime.MemProfileRate"] = double(static_cast<int64_t>(*rate));
  // Used by the gap model: heap memory that is GC metadata placed in heap spans.
  m["memgap/heap/metadata-in-arenas:bytes"] = double(h.inWorkBufs + h.inPtrScalarBits);
  return m;
}

}  // namespace memgap::runtime::go
