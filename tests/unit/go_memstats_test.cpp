// The runtime/metrics arithmetic and the globals' validation, on a fake address space
// laid out with the go1.19 table: no root, no live target.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "runtime/go/globals.h"
#include "runtime/go/release.h"
#include "runtime/go/memstats.h"

using namespace memgap;
using namespace memgap::runtime::go;

namespace {
class FakeMemory : public RemoteMemory {
 public:
  Status read(uint64_t addr, void* out, size_t len) const override {
    for (size_t i = 0; i < len; ++i) {
      auto it = bytes_.find(addr + i);
      static_cast<uint8_t*>(out)[i] = it == bytes_.end() ? 0 : it->second;
    }
    if (addr < 0x1000) return make_error("unmapped");
    return Ok{};
  }
  void put64(uint64_t addr, uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void put32(uint64_t addr, uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
  }

 private:
  std::map<uint64_t, uint8_t> bytes_;
};

struct World {
  ReleaseSpec spec = *known_release(*parse_go_version("go1.19.8"));
  GoLayout& l = spec.layout;
  GoGlobals g;
  FakeMemory m;
  World() {
    g.source = "test";
    g.mheap = 0x100000;
    g.memstats = 0x200000;
    g.gc_controller = 0x300000;
    g.allglen = 0x400000;
    g.allgptr = 0x400008;
    g.mem_profile_rate = 0x400010;
    g.mbuckets = 0x400018;
    m.put64(g.mheap + l.mheap_spanalloc + l.fixalloc_size, l.sizeof_mspan);
    m.put64(g.mheap + l.mheap_cachealloc + l.fixalloc_size, l.sizeof_mcache);
    m.put64(g.mheap + l.mheap_spanalloc + l.fixalloc_inuse, 144 * 10);
    m.put64(g.mheap + l.mheap_cachealloc + l.fixalloc_inuse, 1200 * 2);
    m.put32(g.memstats + l.mstats_heapStats + l.chs_gen, 1);
    m.put32(g.gc_controller + l.gcc_gcPercent, 100);
    m.put64(g.gc_controller + l.gcc_memoryLimit, INT64_MAX);
    m.put64(g.allglen, 3);
    m.put64(g.mem_profile_rate, 512 * 1024);
  }
  uint64_t delta(int gen, uint64_t field) const {
    return g.memstats + l.mstats_heapStats + l.chs_stats + gen * l.sizeof_heapStatsDelta + field;
  }
};
}  // namespace

TEST(GoMemstats, SumsTheThreeHeapStatsGenerations) {
  World w;
  // committed 8 MiB split over generations; one generation holds negative deltas.
  w.m.put64(w.delta(0, w.l.hsd_committed), 6 << 20);
  w.m.put64(w.delta(1, w.l.hsd_committed), 3 << 20);
  w.m.put64(w.delta(2, w.l.hsd_committed), uint64_t(-(1 << 20)));
  w.m.put64(w.delta(0, w.l.hsd_inHeap), 5 << 20);
  w.m.put64(w.delta(0, w.l.hsd_inStacks), 1 << 20);
  w.m.put64(w.delta(1, w.l.hsd_released), 2 << 20);
  // 1000 objects of class 5 (48 B) allocated, 400 freed; one 1 MiB large object.
  w.m.put64(w.delta(0, w.l.hsd_smallAllocCount + 8 * 5), 600);
  w.m.put64(w.delta(2, w.l.hsd_smallAllocCount + 8 * 5), 400);
  w.m.put64(w.delta(1, w.l.hsd_smallFreeCount + 8 * 5), 400);
  w.m.put64(w.delta(0, w.l.hsd_largeAlloc), 1 << 20);
  w.m.put64(w.delta(0, w.l.hsd_largeAllocCount), 1);
  w.m.put64(w.g.memstats + w.l.mstats_stacks_sys, 0);
  w.m.put64(w.g.memstats + w.l.mstats_mspan_sys, 16384);
  w.m.put64(w.g.memstats + w.l.mstats_mcache_sys, 16384);
  w.m.put64(w.g.memstats + w.l.mstats_gcMiscSys, 4 << 20);
  w.m.put64(w.g.memstats + w.l.mstats_other_sys, 1 << 20);
  w.m.put64(w.g.memstats + w.l.mstats_buckhash_sys, 4096);

  auto r = read_memory_metrics(w.m, w.g, w.spec);
  ASSERT_TRUE(r) << r.error().message;
  auto& m = *r;
  double objects = 600 * 48 + (1 << 20);
  EXPECT_EQ(m["/memory/classes/heap/objects:bytes"], objects);
  EXPECT_EQ(m["/memory/classes/heap/unused:bytes"], double(5 << 20) - objects);
  EXPECT_EQ(m["/memory/classes/heap/free:bytes"], double((8 << 20) - (5 << 20) - (1 << 20)));
  EXPECT_EQ(m["/memory/classes/heap/released:bytes"], double(2 << 20));
  EXPECT_EQ(m["/memory/classes/heap/stacks:bytes"], double(1 << 20));
  EXPECT_EQ(m["/memory/classes/metadata/mspan/inuse:bytes"], 1440);
  EXPECT_EQ(m["/memory/classes/metadata/mspan/free:bytes"], 16384 - 1440);
  EXPECT_EQ(m["/memory/classes/metadata/mcache/inuse:bytes"], 2400);
  EXPECT_EQ(m["/memory/classes/metadata/other:bytes"], double(4 << 20));
  EXPECT_EQ(m["/memory/classes/other:bytes"], double(1 << 20));
  EXPECT_EQ(m["/memory/classes/profiling/buckets:bytes"], 4096);
  EXPECT_EQ(m["/memory/classes/total:bytes"],
            double((8 << 20) + (2 << 20)) + 16384 + 16384 + 4096 + (4 << 20) + (1 << 20));
  EXPECT_EQ(m["/gc/heap/objects:objects"], 601);
  EXPECT_EQ(m["/gc/gogc:percent"], 100);
  EXPECT_EQ(m["runtime.MemProfileRate"], 512 * 1024);
}

TEST(GoMemstats, HeapGoalFollowsGogcOrTheMemoryLimit) {
  World w;
  w.m.put64(w.g.gc_controller + w.l.gcc_gcPercentHeapGoal, 8 << 20);
  w.m.put64(w.g.gc_controller + w.l.gcc_triggered, ~uint64_t{0});
  auto r = read_memory_metrics(w.m, w.g, w.spec);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["/gc/heap/goal:bytes"], double(8 << 20));
  // GOMEMLIMIT=6MiB with 1 MiB of non-heap memory mapped: goal = 6 - 1 - 1 (headroom).
  w.m.put64(w.g.gc_controller + w.l.gcc_memoryLimit, 6 << 20);
  w.m.put64(w.g.gc_controller + w.l.gcc_mappedReady, 3 << 20);
  w.m.put64(w.g.gc_controller + w.l.gcc_totalAlloc, 2 << 20);
  r = read_memory_metrics(w.m, w.g, w.spec);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["/gc/heap/goal:bytes"], double(4 << 20));
  EXPECT_EQ((*r)["/gc/gomemlimit:bytes"], double(6 << 20));
}

// go1.26 and go1.27 keep memoryLimitHeapGoalHeadroomPercent (3%) of the limit-based
// goal as headroom, at least 1 MiB; go1.19 keeps a fixed 1 MiB. With a 100 MiB limit and
// 10 MiB of non-heap memory the goals differ by 90 MiB * 3% - 1 MiB.
TEST(GoMemstats, HeapGoalHeadroomIsTheReleasesVariant) {
  for (const char* v : {"go1.19.8", "go1.26.8", "go1.27.3"}) {
    SCOPED_TRACE(v);
    World w;
    w.spec = *known_release(*parse_go_version(v));
    w.m.put64(w.g.mheap + w.l.mheap_spanalloc + w.l.fixalloc_size, w.l.sizeof_mspan);
    w.m.put64(w.g.mheap + w.l.mheap_cachealloc + w.l.fixalloc_size, w.l.sizeof_mcache);
    w.m.put64(w.g.gc_controller + w.l.gcc_gcPercentHeapGoal, 500ull << 20);
    w.m.put64(w.g.gc_controller + w.l.gcc_triggered, ~uint64_t{0});
    w.m.put64(w.g.gc_controller + w.l.gcc_memoryLimit, 100ull << 20);
    w.m.put64(w.g.gc_controller + w.l.gcc_mappedReady, 30ull << 20);
    w.m.put64(w.g.gc_controller + w.l.gcc_totalAlloc, 20ull << 20);
    auto r = read_memory_metrics(w.m, w.g, w.spec);
    ASSERT_TRUE(r) << r.error().message;
    uint64_t goal = 90ull << 20;
    uint64_t headroom = std::string(v) == "go1.19.8" ? 1ull << 20 : goal / 100 * 3;
    EXPECT_EQ((*r)["/gc/heap/goal:bytes"], double(goal - headroom));
    // /gc/heap/live:bytes exists from go1.21: reported for the releases that have it.
    EXPECT_EQ(r->count("/gc/heap/live:bytes"), std::string(v) == "go1.19.8" ? 0u : 1u);
  }
}

TEST(GoGlobalsValidation, RefusesAddressesThatDoNotHoldTheRuntime) {
  World w;
  EXPECT_TRUE(validate_globals(w.m, w.g, w.l));
  GoGlobals off = w.g;
  off.mheap += 8;  // one word off: fixalloc sizes no longer match
  auto s = validate_globals(w.m, off, w.l);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("spanalloc.size"), std::string::npos) << s.error().message;
  World bad_gen;
  bad_gen.m.put32(bad_gen.g.memstats + bad_gen.l.mstats_heapStats + bad_gen.l.chs_gen, 7);
  EXPECT_FALSE(validate_globals(bad_gen.m, bad_gen.g, bad_gen.l));
  World no_gs;
  no_gs.m.put64(no_gs.g.allglen, 0);
  EXPECT_FALSE(validate_globals(no_gs.m, no_gs.g, no_gs.l));
}
