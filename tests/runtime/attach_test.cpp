// memgap attach against real processes with real uprobes (root). The target leak_fp has
// exactly known allocations (see its header comment), so the report can be checked to
// the byte at --sample-bytes 1 and statistically at a real sampling rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "attach_helpers.h"
#include "bpf_programs.h"

namespace memgap::test {
namespace {

TEST(Attach, ReportsTheLeakSiteFirstWithItsCallersAtEveryAllocation) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot) << run.err;
  const auto& s = run.snapshot;
  ASSERT_FALSE(s.sites.empty());
  const auto& top = s.sites[0];
  ASSERT_FALSE(top.frames.empty());
  EXPECT_EQ(top.frames[0].function, "leak_site");
  EXPECT_TRUE(chain_contains(top, {"leak_site", "leak_outer", "leak_workload", "main"}));
  EXPECT_NE(top.frames[0].file.find("leak_fp.c"), std::string::npos);
  EXPECT_GT(top.frames[0].line, 0);
  // --sample-bytes 1 tracks every allocation: counts are exact.
  EXPECT_EQ(top.live_bytes, 23u * 4096);
  EXPECT_EQ(top.live_objects, 23u);
  // Churn: 20000 balanced malloc/free pairs leave nothing live.
  const model::Site* churn = find_site(s, "churn_site");
  ASSERT_NE(churn, nullptr) << "churn allocations were not seen at all";
  EXPECT_EQ(churn->live_bytes, 0u);
  EXPECT_EQ(churn->alloc_objects, 20000u);
  // free(NULL) and realloc(p, 0) leave nothing behind at edge_cases: its one malloc(512)
  // is seen and freed.
  const model::Site* edge = find_site(s, "edge_cases");
  ASSERT_NE(edge, nullptr) << "edge_cases' malloc(512) was not seen";
  EXPECT_EQ(edge->live_bytes, 0u);
  EXPECT_EQ(edge->alloc_objects, 1u);
  EXPECT_EQ(edge->alloc_bytes, 512u);
  EXPECT_EQ(s.meta.allocator, "glibc");
  EXPECT_EQ(s.meta.drops.live_map_full, 0u);
  EXPECT_EQ(s.meta.drops.events_lost, 0u);
  EXPECT_GT(s.memory.rss(), 0u);
  EXPECT_NE(run.err.find("Ctrl-C to stop"), std::string::npos);
}

// Poisson sampling at 4KiB has ~16% standard error on 23 objects in one window; five
// independent windows are averaged so this test fails on bias, not on chance.
TEST(Attach, SampledEstimateIsUnbiasedAtFourKiB) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  constexpr int kWindows = 5;
  double sum = 0;
  for (int i = 0; i < kWindows; ++i) {
    AttachRun run = attach_during(target, {"--sample-bytes", "4KiB"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_TRUE(run.have_snapshot);
    const model::Site* leak = find_site(run.snapshot, "leak_site");
    double est = leak ? static_cast<double>(leak->live_bytes) : 0.0;
    // Each window alone is still bounded: 23 draws cannot all miss (p = 0.37^23).
    EXPECT_GT(est, 0.0);
    sum += est;
    EXPECT_EQ(run.snapshot.meta.sample_bytes, 4096u);
  }
  EXPECT_NEAR(sum / kWindows, 23 * 4096.0, 23 * 4096.0 * 0.30);
}

// Every entry point, including those whose probe sits past the prologue (posix_memalign,
// valloc, pvalloc at +7; free at +9), must count exactly.
TEST(Attach, FindsCallocReallocMemalignAlignedAllocAndMmapLeaks) {
  Child target({target_path("leak_fp"), "variety"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1", "--top", "20"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot);
  struct Expect {
    const char* site;
    uint64_t bytes;
    uint64_t objects;
  };
  for (const Expect& e : {Expect{"calloc_site", 28672, 7}, Expect{"realloc_site", 40960, 5},
                          Expect{"memalign_site", 49152, 3}, Expect{"aligned_site", 32768, 4},
                          Expect{"mmap_site", 524288, 2}, Expect{"valloc_site", 24576, 3},
                          Expect{"pvalloc_site", 10000, 2}, Expect{"reallocarray_site", 16384, 2}}) {
    const model::Site* site = find_site(run.snapshot, e.site);
    ASSERT_NE(site, nullptr) << e.site << " not reported";
    EXPECT_EQ(site->live_bytes, e.bytes) << e.site;
    EXPECT_EQ(site->live_objects, e.objects) << e.site;
    EXPECT_TRUE(chain_contains(*site, {e.site, "variety_workload", "main"})) << e.site;
  }
  EXPECT_EQ(run.snapshot.sites[0].frames[0].function, "mmap_site");
}

TEST(Attach, TargetKeepsRunningAfterDetachAndNoProgramIsLeftLoaded) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "--sample-bytes", "64KiB"});
  ASSERT_TRUE(memgap.wait_for("Attached", kTimeoutMs, true));
  const auto probes = loaded_malloc_enter(held_prog_ids(memgap.pid()));
  EXPECT_EQ(probes.size(), 1u) << "bpftool does not show memgap's program while attached";
  target.send("go");
  EXPECT_TRUE(target.wait_for("done", kTimeoutMs));
  kill(memgap.pid(), SIGINT);
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  // The target still works, unprobed, and nothing memgap loaded outlives it.
  target.send("go");
  EXPECT_TRUE(target.wait_for("done", kTimeoutMs));
  EXPECT_TRUE(loaded_malloc_enter(probes).empty()) << "a memgap BPF program is still loaded";
}

TEST(Attach, DurationStopsTheWindowAndSigtermIsHonoured) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  // -v: debug logs must go to stderr and leave stdout parseable.
  Child timed({MEMGAP_BIN, "attach", "-p", std::to_string(target.pid()), "-d", "1500ms", "--json", "-v"});
  EXPECT_EQ(timed.wait_exit(kTimeoutMs), 0) << timed.err();
  auto snap = model::from_json(timed.out());
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_GE(snap->meta.duration_ms, 1500u);
  EXPECT_LT(snap->meta.duration_ms, 5000u);

  Child untimed({MEMGAP_BIN, "attach", std::to_string(target.pid())});
  ASSERT_TRUE(untimed.wait_for("Attached", kTimeoutMs, true));
  kill(untimed.pid(), SIGTERM);
  EXPECT_EQ(untimed.wait_exit(kTimeoutMs), 0);
  EXPECT_NE(untimed.out().find("memgap: PID"), std::string::npos) << untimed.out();
}

TEST(Attach, ReportsWhatWasSeenWhenTheTargetExits) {
  Child target({target_path("leak_fp"), "exit-after-go"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run;
  std::string out = temp_path("exit.json");
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "--sample-bytes", "1", "-o", out});
  ASSERT_TRUE(memgap.wait_for("Attached", kTimeoutMs, true));
  target.send("go");
  EXPECT_EQ(target.wait_exit(kTimeoutMs), 0);
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap->meta.target_exited);
  const model::Site* leak = find_site(*snap, "leak_site");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->live_bytes, 23u * 4096);
  EXPECT_EQ(leak->live_objects, 23u);
  std::remove(out.c_str());
}

// Bad input: one line with the reason, a hint, exit 1; bad usage exit 2.
TEST(AttachErrors, DeadPidKernelThreadNoSymbolsAndUsage) {
  Child dead({MEMGAP_BIN, "attach", "4194303"});
  EXPECT_EQ(dead.wait_exit(kTimeoutMs), 1);
  EXPECT_NE(dead.err().find("no such process"), std::string::npos) << dead.err();
  EXPECT_NE(dead.err().find("hint:"), std::string::npos);

  Child kthread({MEMGAP_BIN, "attach", "2"});  // kthreadd
  EXPECT_EQ(kthread.wait_exit(kTimeoutMs), 1);
  EXPECT_NE(kthread.err().find("kernel thread"), std::string::npos) << kthread.err();

  Child stripped_target({target_path("nosyms_static"), "leak"});
  ASSERT_TRUE(stripped_target.wait_for("ready", kTimeoutMs));
  Child nosyms({MEMGAP_BIN, "attach", std::to_string(stripped_target.pid()), "-d", "1s"});
  EXPECT_EQ(nosyms.wait_exit(kTimeoutMs), 1);
  EXPECT_NE(nosyms.err().find("no malloc/free"), std::string::npos) << nosyms.err();
  EXPECT_NE(nosyms.err().find("hint:"), std::string::npos);

  Child usage({MEMGAP_BIN, "attach", "1", "--sample-bytes", "lots"});
  EXPECT_EQ(usage.wait_exit(kTimeoutMs), 2);
  Child nopid({MEMGAP_BIN, "attach"});
  EXPECT_EQ(nopid.wait_exit(kTimeoutMs), 2);
}

TEST(AttachErrors, UnprivilegedUserGetsAHint) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  // setpriv drops to nobody with no capabilities.
  Child unpriv({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "1s"});
  EXPECT_EQ(unpriv.wait_exit(kTimeoutMs), 1);
  EXPECT_TRUE(unpriv.err().find("root") != std::string::npos || unpriv.err().find("permission") != std::string::npos)
      << unpriv.err();
  EXPECT_NE(unpriv.err().find("hint:"), std::string::npos) << unpriv.err();
}

// A Go target is explained without allocator probes when it has no malloc, but missing
// privileges are an error for it as for any target, not a note in an rss-only report.
// Both run as nobody, so memgap can read the target's /proc and fails only on BPF.
TEST(AttachErrors, UnprivilegedOnAGoTargetIsAnErrorNotANote) {
  Child target({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                target_path("go1.19/go_leaky")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child unpriv({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "1s"});
  EXPECT_EQ(unpriv.wait_exit(kTimeoutMs), 1) << unpriv.out();
  EXPECT_NE(unpriv.err().find("memgap: error: insufficient privileges to load BPF programs"), std::string::npos)
      << unpriv.err();
  EXPECT_NE(unpriv.err().find("hint: run as root"), std::string::npos) << unpriv.err();
}

}  // namespace
}  // namespace memgap::test
