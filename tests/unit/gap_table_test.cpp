// The waterfall rows (asserted as data) and their 80-column rendering.
#include <gtest/gtest.h>

#include <sstream>

#include "report/gap_table.h"

using namespace memgap;
using namespace memgap::report;

namespace {
model::Gap sample() {
  model::Gap g;
  g.rss = 100 << 20;
  g.profiled = 40 << 20;
  g.categories = {{"heap.live", 40 << 20, "probes", "m"},
                  {"heap.free", 30 << 20, "resident heap minus live and untracked, a long source that must wrap nicely", "m"},
                  {"shmem", 0, "smaps", "m"},
                  {"file.mapped", 25 << 20, "smaps", "m"}};
  g.unexplained = 5 << 20;
  g.explanation = "The heap profile shows 40.0MiB of 100.0MiB RSS (40%); the rest is mostly allocator free space.";
  return g;
}
}  // namespace

TEST(GapTable, RowsRunTopDownFromRss) {
  auto rows = gap_rows(sample());
  ASSERT_EQ(rows.size(), 5u);  // RSS, 3 non-zero categories, unexplained
  EXPECT_EQ(rows[0].kind, GapRow::Kind::Total);
  EXPECT_EQ(rows[1].name, "heap.live");
  EXPECT_EQ(rows[2].name, "heap.free");
  EXPECT_EQ(rows[3].name, "file.mapped");
  EXPECT_EQ(rows[4].name, "unexplained");
  EXPECT_DOUBLE_EQ(rows[1].from, 0.0);
  EXPECT_DOUBLE_EQ(rows[2].from, rows[1].to);
  EXPECT_DOUBLE_EQ(rows[4].to, 1.0);
  EXPECT_DOUBLE_EQ(rows[4].share, 0.05);
  EXPECT_EQ(gap_rows(sample(), true).size(), 6u);
}

TEST(GapTable, FitsIn80Columns) {
  std::string text = format_gap_table(sample());
  std::istringstream in(text);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    EXPECT_LE(line.size(), 80u) << line;
    ++lines;
  }
  EXPECT_GT(lines, 6);
  EXPECT_NE(text.find("= unexplained"), std::string::npos);
  EXPECT_NE(text.find("heap profile shows"), std::string::npos);
}

TEST(GapTable, NegativeUnexplainedIsShownSigned) {
  auto g = sample();
  g.unexplained = -(1 << 20);
  auto rows = gap_rows(g);
  EXPECT_LT(rows.back().share, 0);
  EXPECT_NE(format_gap_table(g).find("-1.0MiB"), std::string::npos);
}
