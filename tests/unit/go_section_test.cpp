// The go.* gap rows: Go's accounting weighted by what smaps says is resident.
#include <gtest/gtest.h>

#include "pipeline/go_section.h"

using namespace memgap;
using namespace memgap::pipeline;
namespace rg = memgap::runtime::go;

namespace {
constexpr uint64_t kArena = 0xc000000000;
constexpr uint64_t MiB = 1 << 20;

// Seven mappings shaped like a static Go binary's: text, rodata, data, .bss, a heap
// arena split in two VMAs, runtime metadata outside the arenas, and the main stack.
const char* kSmaps =
    "00400000-00493000 r-xp 00000000 fe:00 123  /usr/bin/svc\n"
    "Size:                588 kB\nRss:                 588 kB\n"
    "00493000-00531000 r--p 00093000 fe:00 123  /usr/bin/svc\n"
    "Rss:                 632 kB\nAnonymous:             0 kB\n"
    "00531000-0054a000 rw-p 00131000 fe:00 123  /usr/bin/svc\n"
    "Rss:                 100 kB\n"
    "0054a000-0057e000 rw-p 00000000 00:00 0 \n"
    "Rss:                  64 kB\n"
    "c000000000-c000800000 rw-p 00000000 00:00 0 \n"
    "Rss:                4096 kB\nAnonHugePages:         0 kB\n"
    "c000800000-c004000000 rw-p 00000000 00:00 0 \n"
    "Rss:                   0 kB\n"
    "7f662b04f000-7f662d400000 rw-p 00000000 00:00 0 \n"
    "Rss:                 512 kB\nVmFlags: rd wr mr mw me ac sd\n"
    "7ffdcd238000-7ffdcd259000 rw-p 00000000 00:00 0                          [stack]\n"
    "Rss:                  20 kB\n";

rg::GoState state() {
  rg::GoState s;
  s.version = *rg::parse_go_version("go1.19.8");
  s.exe = "/usr/bin/svc";
  s.arenas = {{kArena, kArena + 64 * MiB}};
  s.metrics = {
      {"/memory/classes/heap/objects:bytes", 4 * MiB},
      {"/memory/classes/heap/unused:bytes", 1 * MiB},
      {"/memory/classes/heap/free:bytes", 2 * MiB},
      {"/memory/classes/heap/stacks:bytes", 1 * MiB},
      {"/memory/classes/heap/released:bytes", 3 * MiB},
      {"/memory/classes/metadata/mspan/inuse:bytes", 100 << 10},
      {"/memory/classes/metadata/mspan/free:bytes", 20 << 10},
      {"/memory/classes/metadata/mcache/inuse:bytes", 2 << 10},
      {"/memory/classes/metadata/mcache/free:bytes", 14 << 10},
      {"/memory/classes/metadata/other:bytes", 8 * MiB},
      {"/memory/classes/os-stacks:bytes", 0},
      {"/memory/classes/other:bytes", 500 << 10},
      {"/memory/classes/profiling/buckets:bytes", 4 << 10},
      {"memgap/heap/metadata-in-arenas:bytes", 0},
      {"runtime.MemProfileRate", 0},
  };
  s.census.goroutines = 139;
  rg::GoroutineGroupInfo g;
  g.count = 137;
  g.created_by = "main.spawnWaiters at main.go:47";
  g.start = "main.spawnWaiters.func1";
  g.wait_reason = "chan receive";
  g.stack = {{0x43a0f6, "runtime.gopark", "runtime/proc.go", 363, 0xd6}};
  s.census.groups = {g};
  return s;
}

uint64_t bytes_of(const GoSection& s, const std::string& name) {
  for (const auto& c : s.categories)
    if (c.name == name) return c.bytes;
  ADD_FAILURE() << "no category " << name;
  return 0;
}
}  // namespace

TEST(GoSection, ParsesSmapsResidency) {
  auto m = parse_smaps_residency(kSmaps);
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[0].path, "/usr/bin/svc");
  EXPECT_EQ(m[0].rss, 588u * 1024);
  EXPECT_EQ(m[3].path, "");
  EXPECT_EQ(m[4].start, kArena);
  EXPECT_EQ(m[4].rss, 4096u * 1024);
  EXPECT_EQ(m[7].path, "[stack]");
}

TEST(GoSection, ArenaClassesShareArenaResidencyInProportion) {
  auto maps = parse_smaps_residency(kSmaps);
  auto sec = build_go_section(state(), maps, 6 * MiB);
  // 4 MiB resident against 8 MiB accounted in the arenas: every class at half.
  EXPECT_EQ(sec.arena_rss, 4 * MiB);
  EXPECT_EQ(bytes_of(sec, "go.heap.objects"), 2 * MiB);
  EXPECT_EQ(bytes_of(sec, "go.heap.unused"), MiB / 2);
  EXPECT_EQ(bytes_of(sec, "go.heap.free"), 1 * MiB);
  EXPECT_EQ(bytes_of(sec, "go.stacks"), MiB / 2);
  // Outside: 512 KiB resident metadata region; .bss (after the file) and [stack] are
  // not the runtime's. mspan+mcache (136 KiB) first, then other (500+4 KiB) is capped.
  EXPECT_EQ(sec.outside_arena_rss, 512u << 10);
  EXPECT_EQ(bytes_of(sec, "go.metadata") + bytes_of(sec, "go.other"), 512u << 10);
  EXPECT_EQ(bytes_of(sec, "go.metadata"), 136u << 10);
}

TEST(GoSection, ResidentBeyondAccountingIsFreeNotLost) {
  auto maps = parse_smaps_residency(kSmaps);
  maps[4].rss = 10 * MiB;  // more resident than the 8 MiB Go accounts in arenas
  auto sec = build_go_section(state(), maps, 12 * MiB);
  EXPECT_EQ(bytes_of(sec, "go.heap.objects"), 4 * MiB);
  EXPECT_EQ(bytes_of(sec, "go.heap.free"), 4 * MiB);  // 2 idle + 2 released but resident
}

TEST(GoSection, ModelAndExplanation) {
  auto sec = build_go_section(state(), parse_smaps_residency(kSmaps), 6 * MiB);
  EXPECT_EQ(sec.info.version, "go1.19.8");
  EXPECT_EQ(sec.info.goroutines, 139u);
  ASSERT_EQ(sec.info.goroutine_groups.size(), 1u);
  const auto& g = sec.info.goroutine_groups[0];
  EXPECT_EQ(g.count, 137u);
  EXPECT_EQ(g.wait_reason, "chan receive");
  ASSERT_EQ(g.stack.size(), 1u);
  EXPECT_EQ(g.stack[0].module, "svc");
  EXPECT_EQ(g.stack[0].line, 363);
  EXPECT_EQ(sec.info.runtime.at("/memory/classes/heap/objects:bytes"), double(4 * MiB));
  EXPECT_EQ(sec.profiled, 0u);  // MemProfileRate 0: pprof shows nothing
  EXPECT_NE(sec.explanation.find("MemProfileRate=0"), std::string::npos) << sec.explanation;
  auto on = state();
  on.metrics["runtime.MemProfileRate"] = 512 * 1024;
  auto sec2 = build_go_section(on, parse_smaps_residency(kSmaps), 6 * MiB);
  EXPECT_EQ(sec2.profiled, 4 * MiB);  // Go's own figure: pprof knows nothing of residency
  EXPECT_NE(sec2.explanation.find("pprof would show about 4.0MiB"), std::string::npos) << sec2.explanation;
  EXPECT_NE(sec2.explanation.find("2.0MiB are resident heap objects"), std::string::npos) << sec2.explanation;
}

TEST(GoSection, GrowingGroupsAreLeakSuspects) {
  model::GoInfo a, b;
  auto grp = [](uint64_t n, const char* site, const char* wait) {
    model::GoroutineGroup g;
    g.count = n;
    g.created_by = site;
    g.start = "main.worker";
    g.wait_reason = wait;
    return g;
  };
  a.goroutine_groups = {grp(137, "main.spawnWaiters at main.go:47", "chan receive"),
                        grp(10, "main.serve at main.go:80", "IO wait")};
  b.goroutine_groups = {grp(137, "main.spawnWaiters at main.go:47", "chan receive"),
                        grp(12, "main.serve at main.go:80", "IO wait"),  // noise: +2
                        grp(40, "main.spawnMore at main.go:60", "select")};
  auto g = growing_goroutine_groups(a, b);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].group.created_by, "main.spawnMore at main.go:60");
  EXPECT_EQ(g[0].before, 0u);
  EXPECT_NE(g[0].note.find("0 -> 40"), std::string::npos) << g[0].note;
  b.goroutine_groups[1].count = 30;  // +20 of 10: now a suspect too, ranked after +40
  g = growing_goroutine_groups(a, b);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].group.created_by, "main.serve at main.go:80");
}

TEST(GoSection, MergeTakesGoMemoryOutOfAnonymousRowsOnly) {
  model::Gap gap;
  gap.rss = 10 * MiB;
  gap.categories = {{"heap.live", 0, "", ""},         {"heap.untracked", 0, "", ""},
                    {"heap.free", 1 * MiB, "", ""},   {"stacks.threads", 5 * MiB, "", ""},
                    {"anon.other", 2 * MiB, "", ""},  {"file.mapped", 2 * MiB, "", ""},
                    {"shmem", 0, "", ""}};
  GoSection go;
  go.arena_rss = 6 * MiB;
  go.outside_arena_rss = 1 * MiB;
  go.categories = {{"go.heap.objects", 5 * MiB, "", ""}, {"go.metadata", 2 * MiB, "", ""}};
  go.profiled = 5 * MiB;
  go.explanation = "Go says why.";
  merge_go_section(gap, go);
  auto get = [&](const std::string& n) {
    for (const auto& c : gap.categories)
      if (c.name == n) return c.bytes;
    return uint64_t(-1);
  };
  EXPECT_EQ(get("anon.other"), 0u);           // 2 of 7 MiB
  EXPECT_EQ(get("stacks.threads"), 0u);       // next 5
  EXPECT_EQ(get("heap.free"), 1 * MiB);       // untouched: nothing left to claim
  EXPECT_EQ(get("file.mapped"), 2 * MiB);
  EXPECT_EQ(get("go.heap.objects"), 5 * MiB);
  EXPECT_EQ(gap.unexplained, 0);              // 10 - (1 + 2 + 5 + 2)
  EXPECT_EQ(gap.profiled, 5 * MiB);
  EXPECT_EQ(gap.explanation, "Go says why.");
}
