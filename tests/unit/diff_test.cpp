// memgap diff on structures: rows, statuses, ranking, TOTAL, [N others], categories, gate.
#include <gtest/gtest.h>

#include "analyze/diff.h"
#include "analyze/site_key.h"
#include "model/snapshot_json.h"

using namespace memgap;
using analyze::RowStatus;

namespace {

model::Snapshot load(const char* name) {
  auto r = model::read_snapshot_file(std::string(MEMGAP_TEST_DATA) + "/snapshots/" + name);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : model::Snapshot{};
}

model::Frame frame(std::string fn, std::string module, uint64_t offset, uint64_t address = 0) {
  model::Frame f;
  f.function = std::move(fn);
  f.module = std::move(module);
  f.offset = offset;
  f.address = address;
  return f;
}

model::Site site(std::vector<model::Frame> frames, uint64_t live, uint64_t objects = 1, uint64_t alloc = 0) {
  model::Site s;
  s.frames = std::move(frames);
  s.live_bytes = live;
  s.live_objects = objects;
  s.alloc_bytes = alloc ? alloc : live;
  s.alloc_objects = objects;
  return s;
}

std::string leaf(const analyze::SiteDiff& d) { return d.frames.empty() ? "" : d.frames.front().function; }

}  // namespace

TEST(Diff, SnapshotWithItselfIsAllSame) {
  auto s = load("leak_base.json");
  ASSERT_FALSE(s.sites.empty());
  auto d = analyze::diff_snapshots(s, s);
  EXPECT_FALSE(d.changed);
  ASSERT_EQ(d.all.size(), s.sites.size());
  EXPECT_EQ(d.shown.size(), s.sites.size());  // nothing changed: every row is listed, as [ = ]
  for (const auto& r : d.shown) {
    EXPECT_EQ(r.status, RowStatus::kSame) << analyze::to_string(r.key);
    EXPECT_EQ(r.delta_live_bytes(), 0);
    EXPECT_EQ(r.delta_alloc_bytes(), 0);
  }
  EXPECT_EQ(d.total.status, RowStatus::kSame);
  EXPECT_EQ(d.live_growth(), 0);
  for (const auto& c : d.categories) EXPECT_EQ(c.delta(), 0) << c.name;
  EXPECT_FALSE(analyze::growth_exceeds(d, 0));
}

TEST(Diff, LeakSiteFirstChurnAbsent) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  auto d = analyze::diff_snapshots(base, now);
  ASSERT_FALSE(d.shown.empty());
  const auto& first = d.shown.front();
  EXPECT_EQ(leaf(first), "leak_one");
  EXPECT_EQ(first.status, RowStatus::kGrew);
  EXPECT_EQ(first.delta_live_bytes(), 23 * 4096);
  EXPECT_EQ(first.delta_live_objects(), 23);
  // churn: allocated 64x more, but live bytes did not move: not a row of the diff table.
  for (const auto& r : d.shown) EXPECT_NE(leaf(r), "churn");
  bool churn_in_all = false;
  for (const auto& r : d.all)
    if (leaf(r) == "churn") {
      churn_in_all = true;
      EXPECT_EQ(r.status, RowStatus::kSame);
      EXPECT_GT(r.delta_alloc_bytes(), 0);
    }
  EXPECT_TRUE(churn_in_all);
  EXPECT_EQ(d.unchanged_hidden, 2u);
}

TEST(Diff, NewAndDeletedSitesAndTotal) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  auto d = analyze::diff_snapshots(base, now);
  const analyze::SiteDiff* added = nullptr;
  const analyze::SiteDiff* gone = nullptr;
  for (const auto& r : d.shown) {
    if (r.status == RowStatus::kNew) added = &r;
    if (r.status == RowStatus::kDeleted) gone = &r;
  }
  ASSERT_NE(added, nullptr);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(added->frames.front().module, "libfoo.so");
  EXPECT_EQ(added->base.live_bytes, 0u);
  EXPECT_EQ(added->delta_live_bytes(), 8192);
  EXPECT_EQ(leaf(*gone), "init_cache");
  EXPECT_EQ(gone->now.live_bytes, 0u);
  EXPECT_EQ(gone->delta_live_bytes(), -32768);
  // Ranking: growth first (largest first), then shrinks.
  EXPECT_EQ(d.shown.back().status, RowStatus::kDeleted);
  EXPECT_EQ(d.live_growth(), 23 * 4096 + 8192 - 32768);
  EXPECT_EQ(d.total.status, RowStatus::kGrew);
  uint64_t base_sum = 0;
  for (const auto& s : base.sites) base_sum += s.live_bytes;
  EXPECT_EQ(d.total.base.live_bytes, base_sum);
}

TEST(Diff, MatchesAcrossProcessesAndBuildsBySymbolsNotAddresses) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  ASSERT_NE(base.meta.pid, now.meta.pid);
  auto d = analyze::diff_snapshots(base, now);
  for (const auto& r : d.all)
    if (leaf(r) == "leak_one") {
      EXPECT_NE(r.base.live_bytes, 0u);  // matched despite other addresses and build dir
      EXPECT_NE(r.now.live_bytes, 0u);
    }
  // Same addresses but another function offset: a different site.
  model::Snapshot a, b;
  a.sites.push_back(site({frame("f", "/x/app", 0x10, 0x1000)}, 100));
  b.sites.push_back(site({frame("f", "/y/app", 0x10, 0x9999)}, 100));  // same site, other address/dir
  b.sites.push_back(site({frame("f", "app", 0x14, 0x1000)}, 50));     // same address, other offset
  auto d2 = analyze::diff_snapshots(a, b);
  ASSERT_EQ(d2.all.size(), 2u);
  EXPECT_EQ(d2.all[0].status, RowStatus::kNew);
  EXPECT_EQ(d2.all[0].frames.front().offset, 0x14u);
  EXPECT_EQ(d2.all[1].status, RowStatus::kSame);
}

TEST(Diff, UnknownFunctionsMatchByModuleOffset) {
  model::Frame u1 = frame("??", "libx.so", 0x2a10, 0x7f00002a10), u2 = frame("", "/lib/libx.so", 0x2a10, 0x7e00002a10);
  EXPECT_EQ(analyze::frame_key(u1), analyze::frame_key(u2));
  EXPECT_NE(analyze::frame_key(u1), analyze::frame_key(frame("??", "libx.so", 0x2a18)));
  EXPECT_EQ(analyze::frame_name(u2), "libx.so+0x2a10");
}

TEST(Diff, SameStackTwiceInOneSnapshotIsOneSite) {
  model::Snapshot a, b;
  a.sites.push_back(site({frame("f", "app", 1, 0x10)}, 100, 1));
  b.sites.push_back(site({frame("f", "app", 1, 0x10)}, 100, 1));
  b.sites.push_back(site({frame("f", "app", 1, 0x20)}, 300, 3));  // another thread / process
  auto d = analyze::diff_snapshots(a, b);
  ASSERT_EQ(d.all.size(), 1u);
  EXPECT_EQ(d.all[0].now.live_bytes, 400u);
  EXPECT_EQ(d.all[0].delta_live_objects(), 3);
}

TEST(Diff, TopFoldsTheRestIntoOthers) {
  model::Snapshot a, b;
  for (int i = 0; i < 30; ++i) b.sites.push_back(site({frame("f" + std::to_string(i), "app", 0)}, 1000 + i));
  analyze::DiffOptions opt;
  opt.top = 10;
  auto d = analyze::diff_snapshots(a, b, opt);
  EXPECT_EQ(d.shown.size(), 10u);
  ASSERT_TRUE(d.others.has_value());
  EXPECT_EQ(d.others_count, 20u);
  EXPECT_EQ(leaf(d.shown.front()), "f29");  // largest growth first
  uint64_t shown_sum = 0;
  for (const auto& r : d.shown) shown_sum += r.now.live_bytes;
  EXPECT_EQ(shown_sum + d.others->now.live_bytes, d.total.now.live_bytes);
  opt.top = 0;
  EXPECT_EQ(analyze::diff_snapshots(a, b, opt).shown.size(), 30u);
}

TEST(Diff, ShowUnchangedKeepsSameRows) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  analyze::DiffOptions opt;
  opt.show_unchanged = true;
  auto d = analyze::diff_snapshots(base, now, opt);
  EXPECT_EQ(d.unchanged_hidden, 0u);
  EXPECT_EQ(d.shown.size(), d.all.size());
  EXPECT_EQ(d.shown.back().status, RowStatus::kSame);  // unchanged rank last
}

TEST(Diff, GapCategoriesSideBySide) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  now.gap.categories.push_back({"go.stacks", 4096, "", ""});
  base.gap.categories.push_back({"shmem", 8192, "", ""});
  auto d = analyze::diff_snapshots(base, now);
  ASSERT_GE(d.categories.size(), 4u);
  EXPECT_EQ(d.categories.front().name, "rss");
  EXPECT_EQ(d.categories.back().name, "unexplained");
  EXPECT_EQ(d.categories.back().base, base.gap.unexplained);
  bool saw_new = false, saw_del = false, saw_live = false;
  for (const auto& c : d.categories) {
    if (c.name == "go.stacks") saw_new = !c.in_base && c.in_new && c.delta() == 4096;
    if (c.name == "shmem") saw_del = c.in_base && !c.in_new && c.delta() == -8192;
    if (c.name == "heap.live") saw_live = c.delta() == d.live_growth();
  }
  EXPECT_TRUE(saw_new);
  EXPECT_TRUE(saw_del);
  EXPECT_TRUE(saw_live);
}

TEST(Diff, GrowthGate) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  auto d = analyze::diff_snapshots(base, now);
  int64_t g = d.live_growth();
  ASSERT_GT(g, 0);
  EXPECT_TRUE(analyze::growth_exceeds(d, 0));
  EXPECT_TRUE(analyze::growth_exceeds(d, static_cast<uint64_t>(g) - 1));
  EXPECT_FALSE(analyze::growth_exceeds(d, static_cast<uint64_t>(g)));  // "exceeds" is strict
  auto shrink = analyze::diff_snapshots(now, base);
  EXPECT_LT(shrink.live_growth(), 0);
  EXPECT_FALSE(analyze::growth_exceeds(shrink, 0));
}

TEST(Diff, HugeValuesSaturateInsteadOfOverflowing) {
  model::Snapshot a, b;
  for (int i = 0; i < 8; ++i) b.sites.push_back(site({frame("f", "app", 0)}, UINT64_MAX, UINT64_MAX));
  auto d = analyze::diff_snapshots(a, b);
  ASSERT_EQ(d.all.size(), 1u);
  EXPECT_GT(d.all[0].delta_live_bytes(), 0);
  EXPECT_GT(d.live_growth(), 0);
}

TEST(Diff, MinDeltaTreatsSamplingWobbleAsUnchanged) {
  model::Snapshot a, b;
  a.sites.push_back(site({frame("churn", "app", 0)}, 1 << 20, 2));
  a.sites.push_back(site({frame("leak", "app", 0)}, 1 << 20, 2));
  a.sites.push_back(site({frame("gone", "app", 0)}, 100, 1));
  b.sites.push_back(site({frame("churn", "app", 0)}, (1 << 20) - 300000, 1));  // one sample less
  b.sites.push_back(site({frame("leak", "app", 0)}, 8 << 20, 16));
  b.sites.push_back(site({frame("tiny", "app", 0)}, 100, 1));
  analyze::DiffOptions opt;
  opt.min_delta_bytes = 512 * 1024;
  auto d = analyze::diff_snapshots(a, b, opt);
  ASSERT_EQ(d.shown.size(), 3u);  // leak, tiny [NEW], gone [DEL]; churn hidden
  EXPECT_EQ(leaf(d.shown[0]), "leak");
  for (const auto& r : d.shown) EXPECT_NE(leaf(r), "churn");
  EXPECT_EQ(d.unchanged_hidden, 1u);
  EXPECT_EQ(d.total.delta_live_bytes(), (7 << 20) - 300000);  // TOTAL is never thresholded
  opt.min_delta_bytes = 0;
  EXPECT_EQ(analyze::diff_snapshots(a, b, opt).shown.size(), 4u);
}

// Snapshots written by a real `memgap attach --sample-bytes 1 -o` of tests/targets/leak_fp
// (window 1: one workload; window 2: two). Keeps the reader and the writer in step.
TEST(Diff, RealAttachSnapshotsOfLeakFp) {
  auto a = load("attach_leak_fp_go1.json"), b = load("attach_leak_fp_go2.json");
  ASSERT_FALSE(a.sites.empty());
  auto self = analyze::diff_snapshots(a, a);
  EXPECT_FALSE(self.changed);
  auto d = analyze::diff_snapshots(a, b);
  const analyze::SiteDiff* leak = nullptr;
  for (const auto& r : d.shown)
    if (leaf(r) == "leak_site") leak = &r;
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->status, RowStatus::kGrew);
  EXPECT_EQ(leak->delta_live_objects(), 23);
  EXPECT_EQ(leak->delta_live_bytes(), 23 * 4096);
  for (const auto& r : d.shown) EXPECT_NE(r.status, RowStatus::kSame);
  EXPECT_GT(d.live_growth(), 0);
}
