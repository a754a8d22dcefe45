// memgap top's machine-wide list on Go programs of every supported release and flavour:
// the GO columns (go.heap.objects + unused, idle spans, runtime metadata) are filled from
// the runtime read from outside, add up with the other columns to the RSS they split,
// and stay within what the target's own runtime/metrics account for (a paused go_leaky,
// so its figures hold still while both are read). `memgap top PID` on a pure Go program
// (go_heapprof) attaches no probe and ranks the runtime's own heap profile, as attach does.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "go_process.h"
#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {
namespace {

constexpr int kTimeoutMs = 30000;

// The row of `pid` in the newest complete JSON frame memgap top has written, once that
// row has its full split (computed within a time budget, so perhaps not on the first
// refresh); null on timeout.
nlohmann::json wait_for_detailed_row(Child& top, int pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (!top.wait_for("\n", std::max(1, left))) break;
    const std::string& out = top.out();
    size_t end = out.rfind('\n');
    size_t begin = out.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    auto frame = nlohmann::json::parse(out.substr(begin, end - begin), nullptr, false);
    if (frame.is_discarded()) continue;
    for (const auto& p : frame["processes"])
      if (p["pid"] == pid && p["split"]["detailed"].get<bool>()) return p;
  }
  return nullptr;
}

class GoTopColumns : public ::testing::TestWithParam<const char*> {};

TEST_P(GoTopColumns, GoColumnsAreFilledAndAddUpToRss) {
  gotest::GoProcess target(target_path(GetParam()));
  ASSERT_EQ(target.line(), "ready");
  ASSERT_EQ(target.command("pause"), "paused");
  std::string mpath = temp_path(std::string("top-metrics-") + std::to_string(target.pid()) + ".json");
  auto own = target.metrics(mpath);
  ASSERT_FALSE(own.empty());

  Child top({MEMGAP_BIN, "top", "-b", "-f", "json", "-d", "0.3", "--filter", "go_leaky"});
  nlohmann::json row = wait_for_detailed_row(top, target.pid());
  ASSERT_FALSE(row.is_null()) << top.err();
  const auto& s = row["split"];
  EXPECT_TRUE(row["go"].get<bool>()) << row.dump();
  uint64_t go_heap = s["go_heap"], go_idle = s["go_idle"], go_meta = s["go_meta"];
  uint64_t sum = s["heap"].get<uint64_t>() + s["stacks"].get<uint64_t>() + go_heap + go_idle + go_meta +
                 s["file"].get<uint64_t>() + s["other"].get<uint64_t>();
  EXPECT_EQ(sum, s["rss"].get<uint64_t>()) << row.dump();
  // A pure Go program: no C allocator, its goroutine and thread stacks are Go's.
  EXPECT_EQ(s["heap"].get<uint64_t>(), 0u) << row.dump();
  EXPECT_GT(s["stacks"].get<uint64_t>(), 0u) << row.dump();
  // Resident bytes never exceed what the runtime accounts for; its live objects were
  // all written, so they are resident (the cache of 1 KiB slices alone is ~1 MiB).
  double objects = own["/memory/classes/heap/objects:bytes"], unused = own["/memory/classes/heap/unused:bytes"];
  std::printf("[%s] rss %lu  go_heap %lu (own objects %.0f + unused %.0f)  go_idle %lu  go_meta %lu\n", GetParam(),
              (unsigned long)s["rss"].get<uint64_t>(), (unsigned long)go_heap, objects, unused,
              (unsigned long)go_idle, (unsigned long)go_meta);
  EXPECT_LE(double(go_heap), 1.02 * (objects + unused)) << row.dump();
  EXPECT_GE(double(go_heap), 0.9 * objects) << row.dump();
  EXPECT_GT(go_meta, 0u) << row.dump();
  std::remove(mpath.c_str());
}

INSTANTIATE_TEST_SUITE_P(Releases, GoTopColumns,
                         ::testing::Values("go1.19/go_leaky", "go1.19/go_leaky_stripped", "go1.19/go_leaky_pie",
                                           "go1.26/go_leaky", "go1.26/go_leaky_stripped", "go1.26/go_leaky_pie",
                                           "go1.27/go_leaky", "go1.27/go_leaky_stripped", "go1.27/go_leaky_pie"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

class GoTopTarget : public ::testing::TestWithParam<const char*> {};

// 48 x 1 MiB retained by main.retainBuffers lead; no probe is attached or hit.
TEST_P(GoTopTarget, PureGoProgramIsWatchedWithoutProbesFromItsOwnHeapProfile) {
  gotest::GoProcess target(target_path(GetParam()));
  ASSERT_EQ(target.line(), "ready");
  ASSERT_EQ(target.command("gc"), "gc");  // the runtime publishes its profile at a GC
  Child top({MEMGAP_BIN, "top", "-b", "-f", "json", "-n", "1", "-d", "0.5", std::to_string(target.pid())});
  ASSERT_EQ(top.wait_exit(kTimeoutMs), 0) << top.err();
  auto snap = model::from_json(top.out());
  ASSERT_TRUE(snap) << snap.error().message << "\n" << top.out().substr(0, 300);
  EXPECT_EQ(snap->meta.mode, "go");
  EXPECT_EQ(snap->meta.probes_attached, 0u);
  EXPECT_EQ(snap->meta.probe_hits, 0u);
  ASSERT_TRUE(snap->go.has_value()) << top.err();
  std::string release = std::string(GetParam()).substr(0, std::string(GetParam()).find('/'));
  EXPECT_EQ(snap->go->version.rfind(release + ".", 0), 0u) << snap->go->version;
  EXPECT_GT(snap->go->goroutines, 0u);
  // The runtime accounts for what the program retains (48 + 16 + 8 MiB); the gap row
  // holds what of it is resident (the buffers are never written, so little is).
  EXPECT_GE(snap->go->runtime["/memory/classes/heap/objects:bytes"], double(72u << 20));
  uint64_t go_objects = 0;
  for (const auto& c : snap->gap.categories)
    if (c.name == "go.heap.objects") go_objects = c.bytes;
  EXPECT_GT(go_objects, 0u);
  EXPECT_LE(go_objects, snap->gap.rss);
  ASSERT_FALSE(snap->sites.empty());
  ASSERT_FALSE(snap->sites[0].frames.empty());
  EXPECT_EQ(snap->sites[0].frames[0].function, "main.retainBuffers");
  EXPECT_NEAR(double(snap->sites[0].live_bytes), 48.0 * (1 << 20), 8.0 * (1 << 20));
}

INSTANTIATE_TEST_SUITE_P(Releases, GoTopTarget,
                         ::testing::Values("go1.19/go_heapprof", "go1.19/go_heapprof_stripped",
                                           "go1.19/go_heapprof_pie", "go1.26/go_heapprof",
                                           "go1.26/go_heapprof_stripped", "go1.26/go_heapprof_pie",
                                           "go1.27/go_heapprof", "go1.27/go_heapprof_stripped",
                                           "go1.27/go_heapprof_pie"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace memgap::test
