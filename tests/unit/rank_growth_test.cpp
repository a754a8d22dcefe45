#include <gtest/gtest.h>

#include "analyze/growth.h"
#include "analyze/rank.h"
#include "report/table.h"

using namespace memgap;

namespace {
model::Frame frame(const std::string& fn, const std::string& file, int line, uint64_t offset) {
  model::Frame f;
  f.function = fn;
  f.file = file;
  f.line = line;
  f.module = "app";
  f.offset = offset;
  return f;
}
model::Site site(std::vector<model::Frame> frames, uint64_t live, uint64_t alloc) {
  model::Site s;
  s.frames = std::move(frames);
  s.live_bytes = live;
  s.live_objects = live / 16;
  s.alloc_bytes = alloc;
  return s;
}
}  // namespace

TEST(Growth, SlopeIsPerMinute) {
  EXPECT_DOUBLE_EQ(analyze::slope_per_minute({0, 1000, 2000}, {0, 100, 200}), 6000.0);
  EXPECT_DOUBLE_EQ(analyze::slope_per_minute({0, 1000, 2000}, {500, 500, 500}), 0.0);
  EXPECT_DOUBLE_EQ(analyze::slope_per_minute({0}, {5}), 0.0);
  EXPECT_DOUBLE_EQ(analyze::slope_per_minute({1000, 1000}, {5, 9}), 0.0);
}

TEST(Growth, SitesFirstSeenMidWindowAlignToTheNewestPoints) {
  model::Snapshot s;
  for (uint64_t t : {0, 1000, 2000, 3000}) s.series.push_back({t, 0, 0, 0});
  s.sites.push_back(site({frame("a", "a.c", 1, 0)}, 0, 0));
  s.sites[0].live_series = {100, 200};  // points at 2000 and 3000
  analyze::compute_growth(s);
  EXPECT_DOUBLE_EQ(s.sites[0].growth_bytes_per_min, 6000.0);
}

TEST(Rank, MostLiveFirstThenGrowthAndDropsEmptySites) {
  std::vector<model::Site> sites{site({frame("small", "a.c", 1, 0)}, 10, 10), site({frame("big", "a.c", 2, 0)}, 1000, 1000),
                                 site({frame("none", "a.c", 3, 0)}, 0, 0), site({frame("churn", "a.c", 4, 0)}, 0, 5000)};
  analyze::rank_sites(sites);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].frames[0].function, "big");
  EXPECT_EQ(sites[1].frames[0].function, "small");
  EXPECT_EQ(sites[2].frames[0].function, "churn");
}

TEST(Rank, MergesStacksThatNameTheSameSourceLines) {
  std::vector<model::Site> sites{site({frame("f", "a.c", 10, 0x10), frame("main", "m.c", 3, 0x40)}, 100, 100),
                                 site({frame("f", "a.c", 10, 0x10), frame("main", "m.c", 3, 0x48)}, 50, 60),
                                 site({frame("f", "a.c", 10, 0x10), frame("main", "m.c", 4, 0x50)}, 7, 7)};
  sites[0].live_series = {1, 2};
  sites[1].live_series = {3, 4};
  analyze::merge_same_source_sites(sites);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].live_bytes, 150u);
  EXPECT_EQ(sites[0].alloc_bytes, 160u);
  EXPECT_EQ(sites[0].live_series, (std::vector<uint64_t>{4, 6}));
  EXPECT_EQ(sites[1].live_bytes, 7u);
}

TEST(Rank, FramesWithoutLinesMergeOnlyAtTheSameOffset) {
  std::vector<model::Site> sites{site({frame("f", "", 0, 0x10)}, 1, 1), site({frame("f", "", 0, 0x18)}, 1, 1)};
  analyze::merge_same_source_sites(sites);
  EXPECT_EQ(sites.size(), 2u);
}

TEST(Report, SitesTableHasTopRowsOthersAndTotal) {
  model::Snapshot s;
  for (int i = 0; i < 5; ++i)
    s.sites.push_back(site({frame("f" + std::to_string(i), "/src/x.c", 10 + i, 0), frame("main", "/src/m.c", 3, 0)},
                           uint64_t(1000 - i * 100), 1000));
  auto t = report::build_sites_table(s, 3);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].rank, 1u);
  EXPECT_EQ(t.rows[0].site, "f0 (x.c:10)");
  ASSERT_EQ(t.rows[0].callers.size(), 1u);
  EXPECT_EQ(t.rows[0].callers[0], "main (m.c:3)");
  EXPECT_EQ(t.others, 2u);
  EXPECT_EQ(t.others_live_bytes, 700u + 600u);
  EXPECT_EQ(t.total_live_bytes, 1000u + 900 + 800 + 700 + 600);
}

TEST(Report, FrameLabelsFallBackToModuleAndOffset) {
  model::Frame f;
  f.function = "??";
  f.module = "libx.so";
  f.offset = 0x1c;
  EXPECT_EQ(report::frame_label(f), "?? [libx.so+0x1c]");
  f.function = "g";
  EXPECT_EQ(report::frame_label(f), "g [libx.so]");
}

TEST(Report, AttachReportFitsIn80Columns) {
  model::Snapshot s;
  s.meta.exe = std::string(200, 'x');
  s.sites.push_back(site({frame(std::string(150, 'f'), "/very/long/path/file.c", 10, 0), frame("main", "m.c", 3, 0)}, 1 << 20, 1 << 20));
  std::string text = report::render_attach_report(s, 10);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    EXPECT_LE(end - start, 80u) << text.substr(start, end - start);
    start = end + 1;
  }
}
