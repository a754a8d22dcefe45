// memgap top's rows as data: growth over the last minute from RSS history, the gap
// folded into the list's columns, sorting, filtering, and the status parser.
#include <gtest/gtest.h>

#include "analyze/top_rows.h"
#include "collect/proc_brief.h"

namespace memgap {
namespace {

using analyze::RssHistory;
using analyze::TopSort;

model::TopProcess proc(int pid, std::string comm, uint64_t rss, double growth, uint64_t heap = 0) {
  model::TopProcess p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.rss = rss;
  p.growth_bytes_per_min = growth;
  p.growth_window_ms = 1000;
  p.split.heap = heap;
  return p;
}

TEST(TopGrowth, SteadyRiseIsItsSlopePerMinute) {
  RssHistory h;
  for (uint64_t t = 0; t <= 10'000; t += 1000) h.record(7, "leak", t, 1'000'000 + t * 100);  // 100 B/ms
  auto [rate, span] = h.growth(7);
  EXPECT_NEAR(rate, 100.0 * 60'000, 1.0);
  EXPECT_EQ(span, 10'000u);
}

TEST(TopGrowth, OnlyTheLastMinuteCounts) {
  RssHistory h;
  // Grew fast long ago, flat for the last minute: no growth now.
  for (uint64_t t = 0; t <= 60'000; t += 2000) h.record(7, "x", t, t * 1000);
  for (uint64_t t = 62'000; t <= 200'000; t += 2000) h.record(7, "x", t, 60'000'000);
  auto [rate, span] = h.growth(7);
  EXPECT_NEAR(rate, 0.0, 1e-6);
  EXPECT_LE(span, RssHistory::kWindowMs);
  EXPECT_GE(span, RssHistory::kWindowMs - 2000);
}

TEST(TopGrowth, OneSampleIsNoGrowthYet) {
  RssHistory h;
  h.record(3, "a", 0, 5000);
  EXPECT_EQ(h.growth(3).first, 0.0);
  EXPECT_EQ(h.growth(3).second, 0u);
  EXPECT_EQ(h.growth(99).second, 0u);  // never seen
}

TEST(TopGrowth, ReusedPidStartsANewHistory) {
  RssHistory h;
  h.record(5, "old", 0, 100);
  h.record(5, "old", 1000, 100'000'000);
  h.record(5, "new", 2000, 1000);  // another program under the same PID
  EXPECT_EQ(h.growth(5).second, 0u);
}

TEST(TopGrowth, ExitedProcessesAreForgotten) {
  RssHistory h;
  h.record(1, "a", 0, 1);
  h.record(2, "b", 0, 1);
  h.record(1, "a", 1000, 1);
  h.forget_missing(1000);
  EXPECT_EQ(h.size(), 1u);
}

TEST(TopSplit, GapCategoriesFoldIntoColumnsThatSumToRss) {
  model::Gap g;
  g.rss = 1000;
  g.categories = {{"heap.live", 100, "", ""},      {"heap.free", 50, "", ""},       {"heap.untracked", 25, "", ""},
                  {"stacks.threads", 10, "", ""},  {"go.stacks", 5, "", ""},        {"go.heap.objects", 200, "", ""},
                  {"go.heap.unused", 20, "", ""},  {"go.heap.free", 300, "", ""},   {"go.metadata", 30, "", ""},
                  {"go.other", 7, "", ""},         {"cgo.heap.live", 3, "", ""},    {"file.mapped", 150, "", ""},
                  {"anon.other", 60, "", ""},      {"shmem", 40, "", ""}};
  auto s = analyze::split_from_gap(g);
  EXPECT_TRUE(s.detailed);
  EXPECT_EQ(s.heap, 178u);
  EXPECT_EQ(s.stacks, 15u);
  EXPECT_EQ(s.go_heap, 220u);
  EXPECT_EQ(s.go_idle, 300u);
  EXPECT_EQ(s.go_meta, 37u);
  EXPECT_EQ(s.file, 150u);
  EXPECT_EQ(s.heap + s.stacks + s.go_heap + s.go_idle + s.go_meta + s.file + s.other, g.rss);
}

TEST(TopSplit, OverAttributionNeverWrapsOther) {
  model::Gap g;
  g.rss = 100;
  g.categories = {{"heap.live", 150, "", ""}};
  EXPECT_EQ(analyze::split_from_gap(g).other, 0u);
}

TEST(TopSplit, StatusOnlyKnowsFileAndTheRest) {
  auto s = analyze::split_from_status(1000, 700, 250, 50);
  EXPECT_FALSE(s.detailed);
  EXPECT_EQ(s.file, 250u);
  EXPECT_EQ(s.other, 750u);
  EXPECT_EQ(s.heap, 0u);
}

TEST(TopSort, GrowthFirstThenRssThenPid) {
  std::vector<model::TopProcess> rows{proc(1, "a", 10, 0), proc(2, "b", 50, 0), proc(3, "c", 5, 9000),
                                      proc(4, "d", 50, 0)};
  analyze::sort_processes(rows, TopSort::Growth);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].pid, 3);
  EXPECT_EQ(rows[1].pid, 2);  // equal growth: larger RSS, then lower PID
  EXPECT_EQ(rows[2].pid, 4);
  EXPECT_EQ(rows[3].pid, 1);
}

TEST(TopSort, EveryKeyAndReverse) {
  std::vector<model::TopProcess> rows{proc(9, "zsh", 10, 1, 300), proc(2, "Bash", 30, 3, 100),
                                      proc(5, "awk", 20, 2, 200)};
  analyze::sort_processes(rows, TopSort::Rss);
  EXPECT_EQ(rows[0].pid, 2);
  analyze::sort_processes(rows, TopSort::Heap);
  EXPECT_EQ(rows[0].pid, 9);
  analyze::sort_processes(rows, TopSort::Pid);
  EXPECT_EQ(rows[0].pid, 2);
  analyze::sort_processes(rows, TopSort::Name);
  EXPECT_EQ(rows[0].comm, "Bash");
  analyze::sort_processes(rows, TopSort::Pid, true);
  EXPECT_EQ(rows[0].pid, 9);
  for (TopSort s : {TopSort::Growth, TopSort::Rss, TopSort::Heap, TopSort::Pid, TopSort::Name})
    EXPECT_EQ(analyze::parse_sort(analyze::sort_name(s)), s);
  EXPECT_FALSE(analyze::parse_sort("cpu"));
}

TEST(TopFilter, NameSubstringCaseInsensitiveOrExactPid) {
  std::vector<model::TopProcess> rows{proc(10, "leak_steady", 1, 0), proc(11, "bash", 1, 0), proc(110, "Leaky", 1, 0)};
  auto a = rows;
  analyze::filter_processes(a, "LEAK");
  ASSERT_EQ(a.size(), 2u);
  auto b = rows;
  analyze::filter_processes(b, "11");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].pid, 11);
  auto c = rows;
  analyze::filter_processes(c, "");
  EXPECT_EQ(c.size(), 3u);
}

TEST(ProcBrief, ParsesStatusAndSkipsKernelThreads) {
  const std::string user =
      "Name:\tleak_steady\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nVmPeak:\t  10000 kB\n"
      "VmRSS:\t    2048 kB\nRssAnon:\t    1024 kB\nRssFile:\t     1000 kB\nRssShmem:\t      24 kB\n"
      "VmData:\t 500 kB\nThreads:\t3\nSigQ:\t0/1\n";
  collect::ProcBrief b;
  ASSERT_TRUE(collect::parse_brief(user, b));
  EXPECT_EQ(b.name, "leak_steady");
  EXPECT_EQ(b.rss, 2048u * 1024);
  EXPECT_EQ(b.rss_anon, 1024u * 1024);
  EXPECT_EQ(b.rss_file, 1000u * 1024);
  EXPECT_EQ(b.rss_shmem, 24u * 1024);
  EXPECT_EQ(b.threads, 3);
  collect::ProcBrief k;
  EXPECT_FALSE(collect::parse_brief("Name:\tkworker/0:1\nState:\tI (idle)\nThreads:\t1\n", k));
}

TEST(ProcBrief, ReadsRecordedProcesses) {
  collect::DirProcSource proc(std::string(MEMGAP_TEST_DATA) + "/proc");
  auto briefs = collect::read_briefs(proc);
  ASSERT_FALSE(briefs.empty());
  for (const auto& b : briefs) {
    EXPECT_GT(b.rss, 0u) << b.pid;
    EXPECT_FALSE(b.name.empty()) << b.pid;
  }
}

}  // namespace
}  // namespace memgap
