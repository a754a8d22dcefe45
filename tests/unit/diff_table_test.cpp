// The text layout of a diff: 80 columns whatever the names, and rows that share a leaf
// are told apart by their callers.
#include <gtest/gtest.h>

#include <sstream>

#include "analyze/diff.h"
#include "report/diff_table.h"

using namespace memgap;

namespace {

model::Site site(std::vector<std::pair<std::string, uint64_t>> leaf_first, uint64_t live) {
  model::Site s;
  for (auto& [fn, off] : leaf_first) s.frames.push_back(model::Frame{fn, "x.c", 7, "app", off, 0});
  s.live_bytes = live;
  s.live_objects = 1;
  return s;
}

std::vector<std::string> lines(const std::string& t) {
  std::vector<std::string> out;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(DiffTable, SharedLeafRowsShowTheirCallers) {
  model::Snapshot a, b;
  b.sites.push_back(site({{"alloc_buf", 4}, {"parse", 0x10}, {"main", 1}}, 4096));
  b.sites.push_back(site({{"alloc_buf", 4}, {"render", 0x20}, {"main", 1}}, 2048));
  b.sites.push_back(site({{"alloc_buf", 4}, {"render", 0x28}, {"main", 1}}, 1024));  // same caller line
  auto d = analyze::diff_snapshots(a, b);
  std::string text = report::format_diff_text(d, {"a.json", "b.json", &a, &b});
  EXPECT_NE(text.find("alloc_buf:7 <- parse+0x10"), std::string::npos) << text;
  EXPECT_NE(text.find("alloc_buf:7 <- render+0x20"), std::string::npos) << text;
  EXPECT_NE(text.find("alloc_buf:7 <- render+0x28"), std::string::npos) << text;
}

TEST(DiffTable, EightyColumnsWithHostileNames) {
  model::Snapshot a, b;
  b.meta.comm = std::string(300, 'c');
  b.gap.categories.push_back({std::string(200, 'n') + "\n\x1b[31m", 5, "", ""});
  b.sites.push_back(site({{std::string(500, 'f') + "\x1b]0;pwned\x07", 1}, {"main", 1}}, UINT32_MAX));
  b.sites.push_back(site({{"\xe4\xb8\xad\xe6\x96\x87\xe5\x90\x8d\xe5\xad\x97\xe4\xb8\xad\xe6\x96\x87\xe5\x90\x8d\xe5\xad\x97"
                           "\xe4\xb8\xad\xe6\x96\x87\xe5\x90\x8d\xe5\xad\x97\xe4\xb8\xad\xe6\x96\x87\xe5\x90\x8d",
                           1}},
                         10));
  auto d = analyze::diff_snapshots(a, b);
  std::string text = report::format_diff_text(d, {std::string(400, 'p'), "b.json", &a, &b});
  for (const auto& l : lines(text)) {
    EXPECT_LE(l.size(), 80u) << l;
    for (char c : l) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << l;
  }
}
