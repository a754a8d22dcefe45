// memgap probes the allocator a target really uses: the same leaking program linked
// against jemalloc, tcmalloc, or an allocator inside the executable reports its leak site
// with exact counts, and the snapshot names the allocator.
#include <gtest/gtest.h>

#include "attach_helpers.h"

namespace memgap::test {
namespace {

struct Case {
  const char* target;
  const char* allocator;
};

class Allocators : public ::testing::TestWithParam<Case> {};

TEST_P(Allocators, FindsTheLeakSiteExactly) {
  Child target({target_path(GetParam().target), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot) << run.err;
  EXPECT_EQ(run.snapshot.meta.allocator, GetParam().allocator);
  ASSERT_FALSE(run.snapshot.sites.empty());
  const model::Site& top = run.snapshot.sites[0];
  EXPECT_EQ(top.frames[0].function, "leak_site");
  EXPECT_TRUE(chain_contains(top, {"leak_site", "leak_outer", "leak_workload", "main"}));
  EXPECT_EQ(top.live_bytes, 23u * 4096);
  EXPECT_EQ(top.live_objects, 23u);
  const model::Site* churn = find_site(run.snapshot, "churn_site");
  ASSERT_NE(churn, nullptr);
  EXPECT_EQ(churn->live_bytes, 0u);
  EXPECT_EQ(churn->alloc_objects, 20000u);
}

INSTANTIATE_TEST_SUITE_P(Probe, Allocators,
                         ::testing::Values(Case{"leak_jemalloc", "jemalloc"}, Case{"leak_tcmalloc", "tcmalloc"},
                                           Case{"leak_own_alloc", "static:leak_own_alloc"}),
                         [](const auto& info) { return std::string(info.param.target); });

}  // namespace
}  // namespace memgap::test
