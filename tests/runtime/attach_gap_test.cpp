// `memgap attach` end to end with the RSS gap: the snapshot a user gets from the CLI
// carries the gap table (categories that add up to RSS) and, for Go targets, the Go
// runtime section read from outside.
#include <gtest/gtest.h>

#include <numeric>

#include "attach_helpers.h"

namespace memgap::test {
namespace {

const model::GapCategory* category(const model::Snapshot& s, const std::string& name) {
  for (const auto& c : s.gap.categories)
    if (c.name == name) return &c;
  return nullptr;
}

void expect_gap_adds_up(const model::Snapshot& s) {
  ASSERT_GT(s.gap.rss, 0u);
  uint64_t sum = 0;
  for (const auto& c : s.gap.categories) {
    EXPECT_FALSE(c.source.empty()) << c.name;
    EXPECT_FALSE(c.meaning.empty()) << c.name;
    sum += c.bytes;
  }
  EXPECT_EQ(static_cast<int64_t>(s.gap.rss) - static_cast<int64_t>(sum), s.gap.unexplained);
  EXPECT_FALSE(s.gap.explanation.empty());
}

TEST(AttachGap, ProbedHeapIsTheLiveCategoryAndTheRestIsExplained) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto& s = run.snapshot;
  expect_gap_adds_up(s);
  const model::GapCategory* live = category(s, "heap.live");
  ASSERT_NE(live, nullptr);
  uint64_t sites_live = 0;
  for (const auto& site : s.sites) sites_live += site.live_bytes;
  EXPECT_EQ(live->bytes, sites_live);
  EXPECT_EQ(s.gap.profiled, sites_live);
  EXPECT_LT(std::llabs(s.gap.unexplained), static_cast<long long>(s.gap.rss / 20));
  EXPECT_NE(run.out.find("= unexplained"), std::string::npos) << "text report lacks the gap table";
}

TEST(AttachGap, GoTargetGetsTheRuntimeSectionAndGoCategoriesWithoutProbes) {
  Child target({target_path("go1.19/go_leaky")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "1s", "--json"});
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto snap = model::from_json(memgap.out());
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  const auto& s = *snap;
  // Pure Go: no malloc to probe; allocation sites come from the runtime (mode "go").
  EXPECT_EQ(s.meta.mode, "go");
  ASSERT_TRUE(s.go.has_value());
  EXPECT_EQ(s.go->version.rfind("go1.19", 0), 0u) << s.go->version;
  bool waiters = false;
  for (const auto& g : s.go->goroutine_groups)
    if (g.count == 137 && g.wait_reason == "chan receive") waiters = true;
  EXPECT_TRUE(waiters) << "the 137 blocked goroutines are not one group";
  EXPECT_NE(category(s, "go.heap.objects"), nullptr);
  EXPECT_NE(category(s, "go.stacks"), nullptr);
  expect_gap_adds_up(s);
  EXPECT_LT(std::llabs(s.gap.unexplained), static_cast<long long>(s.gap.rss / 10));
}

}  // namespace
}  // namespace memgap::test
