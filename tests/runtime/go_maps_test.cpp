// Go map tracking (go.maps, go.map_iterations) and --go-probe mallocgc on every supported
// Go release and flavour (issue 13): go1.19's hashed maps and single mallocgc, the Swiss
// tables of go1.26/go1.27 and go1.27's size-specialised mallocs, each probed through the
// functions that really run there. The target (go_heapprof) says what it did: the map's
// length as len() reports it, how many range loops it ran, how many objects of which
// size it allocated at which site; memgap must report exactly that.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "attach_helpers.h"

namespace memgap::test {
namespace {

struct Build {
  std::string release, flavour;  // "go1.26", "_stripped"
};

std::string build_name(const testing::TestParamInfo<Build>& info) {
  std::string s = info.param.release + (info.param.flavour.empty() ? "_plain" : info.param.flavour);
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
}

const Build kBuilds[] = {
    {"go1.19", ""}, {"go1.19", "_stripped"}, {"go1.19", "_pie"},  //
    {"go1.26", ""}, {"go1.26", "_stripped"}, {"go1.26", "_pie"},  //
    {"go1.27", ""}, {"go1.27", "_stripped"}, {"go1.27", "_pie"},
};

std::string heapprof(const Build& b) { return target_path(b.release + "/go_heapprof" + b.flavour); }

// Runs `memgap attach -o FILE extra...` while `during` drives the target; SIGINT ends it.
template <typename F>
model::Snapshot attach_while(Child& target, std::vector<std::string> extra, F during) {
  std::string out = temp_path("go_maps.json");
  std::remove(out.c_str());
  std::vector<std::string> argv{MEMGAP_BIN, "attach", std::to_string(target.pid()), "-o", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Child memgap(argv);
  EXPECT_TRUE(memgap.wait_for("Attached to PID", kTimeoutMs, true)) << memgap.err();
  during();
  kill(memgap.pid(), SIGINT);
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto snap = model::read_snapshot_file(out);
  std::remove(out.c_str());
  EXPECT_TRUE(snap) << (snap ? "" : snap.error().message) << memgap.err();
  return snap ? *snap : model::Snapshot{};
}

class GoMaps : public testing::TestWithParam<Build> {};

// The global map grown while memgap is attached leads go.maps with its exact length;
// --go-maps adds the range loop over it, once per loop. One probe hit per growth (go1.19:
// hashGrow at each doubling; Swiss tables: growToTable once, then one rehash per table
// doubling or split) and per range loop: nothing else is probed.
TEST_P(GoMaps, GrowingMapLeadsWithItsTrueLengthAndIterationHeat) {
  Child target({heapprof(GetParam())});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  auto snap = attach_while(target, {"--go-maps"}, [&] {
    target.send("grow 100000");
    ASSERT_TRUE(target.wait_for("len 100000", kTimeoutMs));
    target.send("grow 2345");
    ASSERT_TRUE(target.wait_for("len 102345", kTimeoutMs));
    target.send("iter 7");
    ASSERT_TRUE(target.wait_for("iterated", kTimeoutMs));
  });
  ASSERT_TRUE(snap.go.has_value()) << "no go section";
  ASSERT_FALSE(snap.go->maps.empty()) << "no growing map seen";
  const auto& top = snap.go->maps[0];
  ASSERT_FALSE(top.frames.empty());
  EXPECT_EQ(top.frames[0].function, "main.growCache");
  EXPECT_EQ(top.length, 102345u);  // len(cache) as the target printed it
  // The map was empty at attach; its first growth is when its first 8 slots are full
  // (go1.19: one bucket of 8; Swiss tables: the small map's one group of 8).
  EXPECT_EQ(top.length_at_first_growth, 8u);
  EXPECT_GE(top.growths, 14u);  // go1.19: 1 → 16384 buckets; Swiss: 6 doublings + splits
  const model::GoMapIteration* scan = nullptr;
  for (const auto& it : snap.go->map_iterations)
    if (!it.frames.empty() && it.frames[0].function == "main.scanCache") scan = &it;
  ASSERT_NE(scan, nullptr) << "no iteration at main.scanCache";
  EXPECT_EQ(scan->calls, 7u);
  uint64_t seen = 0;
  for (const auto& m : snap.go->maps) seen += m.growths;
  for (const auto& it : snap.go->map_iterations) seen += it.calls;
  EXPECT_EQ(snap.meta.probe_hits, seen);
}

INSTANTIATE_TEST_SUITE_P(Releases, GoMaps, testing::ValuesIn(kBuilds), build_name);

class GoMallocgc : public testing::TestWithParam<Build> {};

const model::Site* site_at(const model::Snapshot& s, const std::string& function) {
  const model::Site* found = find_site(s, function);
  EXPECT_NE(found, nullptr) << "no site at " << function;
  return found;
}

// --go-probe mallocgc --sample-bytes 1 records every allocation: each site's objects and
// bytes are exactly what the target allocated there, whichever route the allocation
// took (go1.27: new(T) of up to 80 bytes goes straight to size-specialised mallocs, small
// make() goes through mallocgc into the same functions), and no allocation is counted
// or trapped twice — also when the goroutine's stack grows in the allocation function's
// own prologue, which morestack then runs again (deep).
TEST_P(GoMallocgc, EveryAllocationCountedOnceAtItsSite) {
  Child target({heapprof(GetParam())});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  constexpr uint64_t n = 10000, churn = 20000, deep_goroutines = 2000, deep = deep_goroutines * 16;
  auto snap = attach_while(target, {"--go-probe", "mallocgc", "--sample-bytes", "1"}, [&] {
    target.send("small " + std::to_string(n));
    ASSERT_TRUE(target.wait_for("small\n", kTimeoutMs));
    target.send("go");  // churn: 20000 × make([]byte, 256), then runtime.GC()
    ASSERT_TRUE(target.wait_for("done", kTimeoutMs));
    target.send("deep " + std::to_string(deep_goroutines));
    ASSERT_TRUE(target.wait_for("deep\n", kTimeoutMs));
  });
  EXPECT_EQ(snap.meta.mode, "go");
  // A stack the BPF stack map could not keep (a bucket collision) would move its
  // allocations to a caller-only site: said in the snapshot, and the cause of any
  // count mismatch below.
  EXPECT_EQ(snap.meta.drops.stacks_lost, 0u);
  struct Want {
    const char* function;
    uint64_t objects, size;
  };
  for (Want w : {Want{"main.smallNodes", n, 16}, Want{"main.smallWords", n, 24}, Want{"main.tinyInts", n, 4},
                 Want{"main.smallSlices", n, 40}, Want{"main.churn", churn, 256}}) {
    const model::Site* s = site_at(snap, w.function);
    if (!s) continue;
    EXPECT_EQ(s->alloc_objects, w.objects) << w.function;
    EXPECT_EQ(s->alloc_bytes, w.objects * w.size) << w.function;
  }
  // deepNodes' stacks differ by recursion level: one site per level, summed.
  uint64_t deep_objects = 0, deep_bytes = 0;
  for (const auto& s : snap.sites)
    if (!s.frames.empty() && s.frames[0].function == "main.deepNodes") {
      deep_objects += s.alloc_objects;
      deep_bytes += s.alloc_bytes;
    }
  EXPECT_EQ(deep_objects, deep);
  EXPECT_EQ(deep_bytes, deep * 16);
  // Every allocation is one probe hit, plus one per stack growth in a probed prologue
  // (the pass that is not counted; go1.27: ~2 per deep goroutine) and the rest of the
  // process (a closure per goroutine, fmt, the GC): ~6000 here. A route probed twice
  // would add n or more.
  uint64_t made = 4 * n + churn + deep;
  EXPECT_GE(snap.meta.probe_hits, made);
  EXPECT_LT(snap.meta.probe_hits, made + n) << "extra hits: " << snap.meta.probe_hits - made;
}

// Poisson byte sampling in BPF at 64 KiB, extrapolated: the churn site comes out near
// what it allocated (4 rounds × 20000 × 256 B).
TEST_P(GoMallocgc, SampledAllocationsBySite) {
  Child target({heapprof(GetParam())});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  auto run = attach_during(target, {"--go-probe", "mallocgc", "--sample-bytes", "64KiB"}, 4);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot) << run.err;
  EXPECT_GE(run.snapshot.meta.probe_hits, 80000u);  // every allocation is a hit
  const model::Site* churn = site_at(run.snapshot, "main.churn");
  ASSERT_NE(churn, nullptr);
  double want = 4.0 * 20000 * 256;
  EXPECT_NEAR(double(churn->alloc_bytes), want, want * 0.5);
}

INSTANTIATE_TEST_SUITE_P(Releases, GoMallocgc, testing::ValuesIn(kBuilds), build_name);

// A go1.26 build with GOEXPERIMENT=sizespecializedmalloc allocates small objects around
// runtime.mallocgc: --go-probe mallocgc refuses it by name, with a hint, exit status 1,
// rather than report a fraction of its allocations.
TEST(GoMallocgcRefusal, SizeSpecialisedGo126BuildIsRefusedByName) {
  Child target({target_path("go1.26/go_heapprof_sizespec")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "1s", "--go-probe", "mallocgc"});
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 1);
  EXPECT_NE(memgap.err().find("runtime.mallocgcSmallNoScanSC"), std::string::npos) << memgap.err();
  EXPECT_NE(memgap.err().find("GOEXPERIMENT=sizespecializedmalloc"), std::string::npos) << memgap.err();
  EXPECT_NE(memgap.err().find("run without --go-probe"), std::string::npos) << memgap.err();
}

}  // namespace
}  // namespace memgap::test
