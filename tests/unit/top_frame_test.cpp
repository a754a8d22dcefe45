// memgap top's text: compact cells, sparklines, column layout at 80 and wide terminals,
// the batch frame, the per-process frame and the NDJSON line. Structures are checked
// first; text only where the text is the contract (widths, one line per frame).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "model/top_json.h"
#include "report/top_frame.h"

namespace memgap {
namespace {

model::TopFrame sample_frame() {
  model::TopFrame f;
  f.iteration = 3;
  f.sort = "growth";
  f.processes_total = 2;
  f.rss_total = 300 << 20;
  model::TopProcess leak;
  leak.pid = 4242;
  leak.comm = "leak_steady_with_a_long_name";
  leak.rss = 200 << 20;
  leak.growth_bytes_per_min = 60.0 * (1 << 20);
  leak.growth_window_ms = 2000;
  leak.split = {true, 200 << 20, 190 << 20, 12 << 10, 0, 0, 0, 1 << 20, (9 << 20) - (12 << 10), 0};
  model::TopProcess go;
  go.pid = 7;
  go.comm = "gosrv";
  go.rss = 100 << 20;
  go.go = true;
  go.growth_window_ms = 2000;
  go.split = {true, 100 << 20, 0, 1 << 20, 40 << 20, 30 << 20, 5 << 20, 10 << 20, 14 << 20, 0};
  f.processes = {leak, go};
  return f;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(TopCells, CompactSizesStayWithinSixCharacters) {
  EXPECT_EQ(report::compact_size(0), "0");
  EXPECT_EQ(report::compact_size(1023), "1023");
  EXPECT_EQ(report::compact_size(4096), "4.0Ki");
  EXPECT_EQ(report::compact_size(37ull << 20), "37Mi");
  EXPECT_EQ(report::compact_size(1536ull << 20), "1.5Gi");
  for (uint64_t v = 1; v < (1ull << 50); v = v * 3 + 1) EXPECT_LE(report::compact_size(v).size(), 6u) << v;
  EXPECT_EQ(report::compact_rate(0), "0");
  EXPECT_EQ(report::compact_rate(100), "0");  // sub-page noise
  EXPECT_EQ(report::compact_rate(2.0 * (1 << 20)), "+2.0Mi");
  EXPECT_EQ(report::compact_rate(-37.0 * 1024), "-37Ki");
}

TEST(TopCells, SparklineScalesToItsOwnRange) {
  EXPECT_EQ(report::sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 8, false), " .:-=+*#");
  EXPECT_EQ(report::sparkline({5, 5, 5}, 8, false), "   ");  // flat: nothing changed
  EXPECT_EQ(report::sparkline({9, 9, 0, 7}, 2, false), " #");  // newest values only
  EXPECT_EQ(report::sparkline({1, 2}, 4, true), "\u2581\u2588");
  EXPECT_EQ(report::sparkline({}, 4, true), "");
}

TEST(TopColumns, FitTheTerminalAndSplitGoWhenWide) {
  for (size_t width : {60u, 80u, 100u, 120u, 200u}) {
    auto cols = report::process_columns(width);
    size_t total = cols.size() - 1;
    for (const auto& c : cols) total += c.width;
    EXPECT_LE(total, width) << width;
    bool split_go = false;
    for (const auto& c : cols) split_go |= c.title == "GO.IDLE";
    EXPECT_EQ(split_go, width >= 100) << width;
  }
}

TEST(TopCells, UnknownSplitShowsDashesAndNonGoShowsDots) {
  auto cols = report::process_columns(80);
  model::TopProcess p;
  p.pid = 1;
  p.comm = "x";
  p.rss = 4096;
  p.split.rss = 4096;
  p.split.other = 4096;
  auto cells = report::process_cells(p, cols);
  ASSERT_EQ(cells.size(), cols.size());
  EXPECT_EQ(cells[3], "-");  // no growth window yet
  EXPECT_EQ(cells[4], "-");  // heap unknown without the full split
  p.split.detailed = true;
  p.growth_window_ms = 1000;
  cells = report::process_cells(p, cols);
  EXPECT_EQ(cells[4], "0");
  EXPECT_EQ(cells[6], ".");  // GO column of a non-Go process
}

TEST(TopBatchFrame, HeaderTitlesAndOneRowPerProcessWithin80Columns) {
  auto f = sample_frame();
  auto lines = lines_of(report::render_machine_frame(f, 80));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[0].find("2 processes"), std::string::npos);
  EXPECT_NE(lines[2].find("GROW/m"), std::string::npos);
  EXPECT_NE(lines[3].find("4242"), std::string::npos);
  EXPECT_NE(lines[3].find("+60Mi"), std::string::npos);
  EXPECT_NE(lines[4].find("75Mi"), std::string::npos);  // at 80 one GO column: 40+30+5 MiB
  for (const auto& l : lines) EXPECT_LE(l.size(), 80u) << l;
  EXPECT_EQ(lines_of(report::render_machine_frame(f, 80, 1)).size(), 4u);  // max_rows
}

TEST(TopJson, OneParseableLinePerFrame) {
  auto f = sample_frame();
  std::string line = model::to_json(f);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["schema"], "memgap.top/1");
  EXPECT_EQ(j["iteration"], 3);
  ASSERT_EQ(j["processes"].size(), 2u);
  EXPECT_EQ(j["processes"][0]["pid"], 4242);
  EXPECT_GT(j["processes"][0]["growth_bytes_per_min"].get<double>(), 0);
  EXPECT_EQ(j["processes"][1]["split"]["go_idle"], 30 << 20);
  f.processes[0].comm = std::string("bad\xff\xfe");  // comm is arbitrary bytes
  EXPECT_NO_THROW(nlohmann::json::parse(model::to_json(f)));
}

TEST(TopTargetFrame, LeakSiteRowsGapAndStatus) {
  model::Snapshot s;
  s.meta.pid = 99;
  s.meta.comm = "leak";
  s.meta.sample_bytes = 512 * 1024;
  s.memory.rollup["Rss"] = 10 << 20;
  s.gap.rss = 10 << 20;
  s.gap.categories = {{"heap.live", 8 << 20, "probes", "live"}, {"file.mapped", 1 << 20, "smaps", "files"}};
  s.gap.unexplained = 1 << 20;
  model::Site leak;
  leak.frames = {{"leak_steady_site", "leak_steady.c", 20, "leak_steady", 0, 0}};
  leak.live_bytes = 8 << 20;
  leak.growth_bytes_per_min = 4.0 * (1 << 20);
  leak.live_series = {1 << 20, 4 << 20, 8 << 20};
  s.sites = {leak};
  auto rows = report::target_site_rows(s, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].site, "leak_steady_site (leak_steady.c:20)");
  EXPECT_EQ(rows[0].series.size(), 3u);
  std::string text = report::render_target_frame(s, {100, 2, 0.5, 1.5}, 80, 10, false);
  EXPECT_NE(text.find("heap.live"), std::string::npos);
  EXPECT_NE(text.find("hits 100/s"), std::string::npos);
  EXPECT_NE(text.find("leak_steady_site"), std::string::npos);
  for (const auto& l : lines_of(text)) EXPECT_LE(l.size(), 80u) << l;
  std::string compact = report::render_target_frame(s, {}, 80, 10, false, true);
  EXPECT_LT(compact.size(), text.size());
  s.meta.drops.events_lost = 3;
  EXPECT_NE(report::watch_status(s, {}).find("ring 3"), std::string::npos);
}

}  // namespace
}  // namespace memgap
