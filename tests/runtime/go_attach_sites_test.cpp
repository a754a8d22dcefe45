// `memgap attach` on Go targets end to end (issue 8): allocation sites from the runtime's
// own sampling in the snapshot, and cgo's C allocations accounted by C call site.
#include <gtest/gtest.h>

#include "attach_helpers.h"

namespace memgap::test {
namespace {

const model::GapCategory* category(const model::Snapshot& s, const std::string& name) {
  for (const auto& c : s.gap.categories)
    if (c.name == name) return &c;
  return nullptr;
}

const model::Site* top_site(const model::Snapshot& s) {
  const model::Site* best = nullptr;
  for (const auto& site : s.sites)
    if (!best || site.live_bytes > best->live_bytes) best = &site;
  return best;
}

// Every supported release, plain and stripped (-s -w) and PIE.
class GoAttachSitesBuild : public ::testing::TestWithParam<const char*> {};
// Every supported release (the cgo target is built plain only).
class GoAttachSites : public ::testing::TestWithParam<const char*> {};

TEST_P(GoAttachSitesBuild, RetainingSiteLeadsInGoMode) {
  Child target({target_path(std::string(GetParam()))});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  auto run = attach_during(target, {});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot) << run.err;
  EXPECT_EQ(run.snapshot.meta.mode, "go");
  EXPECT_EQ(run.snapshot.meta.sample_bytes, 512u * 1024);
  const model::Site* top = top_site(run.snapshot);
  ASSERT_NE(top, nullptr);
  ASSERT_FALSE(top->frames.empty());
  EXPECT_EQ(top->frames[0].function, "main.retainBuffers");
  EXPECT_TRUE(chain_contains(*top, {"main.retainBuffers", "main.main"}));
  const model::Site* pin = find_site(run.snapshot, "main.pinArray");
  ASSERT_NE(pin, nullptr);
  EXPECT_GE(pin->live_bytes, 16u << 20);
}

TEST_P(GoAttachSites, SamplingOffIsSaid) {
  Child target({target_path(std::string(GetParam()) + "/go_leaky_stripped")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "1s", "--json"});
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  EXPECT_NE(memgap.out().find("--go-enable-profiling"), std::string::npos);
}

TEST_P(GoAttachSites, CgoLeakFoundAtItsCSite) {
  Child target({target_path(std::string(GetParam()) + "/go_cgoleak")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  auto run = attach_during(target, {"--sample-bytes", "64KiB"}, 2);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot) << run.err;
  const model::Site* leak = find_site(run.snapshot, "cgo_leak_buffers");
  ASSERT_NE(leak, nullptr) << "no site at cgo_leak_buffers";
  // The Go linker writes no .debug_aranges: the line comes from the CU walk.
  EXPECT_GT(leak->frames[0].line, 0);
  EXPECT_NE(leak->frames[0].file.find("main.go"), std::string::npos) << leak->frames[0].file;
  // 2 rounds × 160 × 64 KiB = 20 MiB kept; sampling extrapolates.
  EXPECT_GT(leak->live_bytes, 14u << 20);
  EXPECT_LT(leak->live_bytes, 28u << 20);
  // Garbage does not rank: cgo_churn frees what it allocates (no site, or one near 0).
  uint64_t churn_live = 0;
  for (const auto& site : run.snapshot.sites)
    if (!site.frames.empty() && site.frames[0].function == "cgo_churn") churn_live += site.live_bytes;
  EXPECT_LT(churn_live, 1u << 20);
  const model::GapCategory* live = category(run.snapshot, "cgo.heap.live");
  ASSERT_NE(live, nullptr);
  EXPECT_GT(live->bytes, 14u << 20);
  EXPECT_NE(category(run.snapshot, "cgo.heap.free"), nullptr);
  EXPECT_EQ(category(run.snapshot, "heap.live"), nullptr);
}

#define MEMGAP_GO_BUILDS(rel) rel "/go_heapprof", rel "/go_heapprof_stripped", rel "/go_heapprof_pie"
INSTANTIATE_TEST_SUITE_P(Builds, GoAttachSitesBuild,
                         ::testing::Values(MEMGAP_GO_BUILDS("go1.19"), MEMGAP_GO_BUILDS("go1.26"),
                                           MEMGAP_GO_BUILDS("go1.27")));
INSTANTIATE_TEST_SUITE_P(Releases, GoAttachSites, ::testing::Values("go1.19", "go1.26", "go1.27"));

}  // namespace
}  // namespace memgap::test
