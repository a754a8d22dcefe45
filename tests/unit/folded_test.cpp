// Folded stacks (flamegraph.pl input): root first, one line per stack, safe frame names.
#include <gtest/gtest.h>

#include <sstream>

#include "analyze/diff.h"
#include "analyze/site_key.h"
#include "model/snapshot_json.h"
#include "report/folded.h"
#include "report/table.h"

using namespace memgap;

namespace {

model::Snapshot load(const char* name) {
  auto r = model::read_snapshot_file(std::string(MEMGAP_TEST_DATA) + "/snapshots/" + name);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : model::Snapshot{};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

model::Site site(std::vector<std::string> leaf_first, uint64_t live) {
  model::Site s;
  for (auto& f : leaf_first) s.frames.push_back(model::Frame{f, "", 0, "app", 0, 0});
  s.live_bytes = live;
  s.live_objects = 1;
  return s;
}

}  // namespace

TEST(Folded, RootFirstLeafLastWithValue) {
  model::Snapshot s;
  s.sites.push_back(site({"leak_one", "main"}, 4096));
  EXPECT_EQ(report::format_folded(s), "main;leak_one 4096\n");
  EXPECT_EQ(report::format_folded(s, report::FoldedValue::kLiveObjects), "main;leak_one 1\n");
}

TEST(Folded, MergesIdenticalStacksAndDropsZeros) {
  model::Snapshot s;
  s.sites.push_back(site({"a", "main"}, 100));
  s.sites.push_back(site({"a", "main"}, 50));
  s.sites.push_back(site({"b", "main"}, 0));
  EXPECT_EQ(report::format_folded(s), "main;a 150\n");
}

TEST(Folded, FrameNamesCannotBreakTheFormat) {
  model::Snapshot s;
  s.sites.push_back(site({"evil;name\nwith 12", "operator new(unsigned long)"}, 7));
  s.sites.push_back(site({"", "main"}, 1));
  auto ls = lines(report::format_folded(s));
  ASSERT_EQ(ls.size(), 2u);
  for (const auto& l : ls) {
    auto sp = l.rfind(' ');
    ASSERT_NE(sp, std::string::npos);
    EXPECT_EQ(l.substr(sp + 1).find_first_not_of("0123456789"), std::string::npos) << l;
  }
  EXPECT_EQ(ls[0], "main;app+0x0 1");
  EXPECT_EQ(ls[1], "operator new(unsigned long);evil:name with_12 7");
}

TEST(Folded, DiffHasBaseAndNewColumns) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  auto d = analyze::diff_snapshots(base, now);
  auto ls = lines(report::format_folded_diff(d));
  ASSERT_EQ(ls.size(), d.all.size());
  bool leak = false, added = false, gone = false;
  for (const auto& l : ls) {
    if (l == "main;leak_one 40960 135168") leak = true;
    if (l == "main;libfoo.so+0x2a10 0 8192") added = true;
    if (l == "main;init_cache 32768 0") gone = true;
  }
  EXPECT_TRUE(leak);
  EXPECT_TRUE(added);
  EXPECT_TRUE(gone);
}

// Frames below main are the same in every C program: folded unless asked, and never part
// of a site's identity, so a diff matches snapshots taken with and without them.
TEST(StartupFrames, FoldedBelowMainUnlessAllFrames) {
  model::Snapshot s;
  s.sites.push_back(site({"leak_one", "main", "__libc_start_call_main", "__libc_start_main", "_start"}, 4096));
  s.sites.push_back(site({"worker_leak", "worker_main", "start_thread", "clone3"}, 64));  // no main: all kept
  EXPECT_EQ(report::format_folded(s), "clone3;start_thread;worker_main;worker_leak 64\nmain;leak_one 4096\n");
  EXPECT_EQ(report::format_folded(s, report::FoldedValue::kLiveBytes, true),
            "_start;__libc_start_main;__libc_start_call_main;main;leak_one 4096\n"
            "clone3;start_thread;worker_main;worker_leak 64\n");
  EXPECT_EQ(analyze::frames_above_startup(s.sites[0].frames), 2u);
  EXPECT_EQ(analyze::frames_above_startup(s.sites[1].frames), 4u);
  // A recursive main folds below its outermost call only.
  EXPECT_EQ(analyze::frames_above_startup(site({"f", "main", "g", "main", "_start"}, 1).frames), 4u);
  EXPECT_EQ(analyze::site_key(s.sites[0]), analyze::site_key(site({"leak_one", "main"}, 1)));
  EXPECT_NE(analyze::site_key(s.sites[0]), analyze::site_key(site({"leak_one", "other"}, 1)));
}

TEST(StartupFrames, TableCallersStopAtMain) {
  model::Snapshot s;
  s.sites.push_back(site({"leak_one", "main", "__libc_start_call_main", "__libc_start_main", "_start"}, 4096));
  auto folded = report::build_sites_table(s, 10);
  ASSERT_EQ(folded.rows.size(), 1u);
  EXPECT_EQ(folded.rows[0].callers, (std::vector<std::string>{report::frame_label(s.sites[0].frames[1])}));
  auto all = report::build_sites_table(s, 10, 3, true);
  EXPECT_EQ(all.rows[0].callers.size(), 3u);
}
