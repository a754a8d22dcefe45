// The gap model on plain data: classification of each kind of mapping, the heap split
// (live / untracked / free) with and without probes and allocator state, and the
// invariant RSS = Σ categories + unexplained.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analyze/reconcile.h"
#include "pipeline/gap.h"

using namespace memgap;
using namespace memgap::analyze;

namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

Region reg(uint64_t start, uint64_t size, const char* perms, const char* path, uint64_t rss) {
  Region r;
  r.start = start;
  r.end = start + size;
  r.perms = perms;
  r.path = path;
  r.rss = rss;
  return r;
}

// A small glibc process: [heap], one thread arena, one thread stack (with guard), a
// large malloc'd chunk, module text/data, a mapped file, a memfd, other anon, [stack].
ProcessView sample_view() {
  ProcessView v;
  v.pid = 100;
  auto& r = v.regions;
  r.push_back(reg(0x400000, 64 * KiB, "r-xp", "/usr/bin/app", 40 * KiB));
  r.push_back(reg(0x600000, 8 * KiB, "rw-p", "/usr/bin/app", 8 * KiB));
  r.push_back(reg(0x1000000, 20 * MiB, "rw-p", "[heap]", 20 * MiB));
  r.push_back(reg(0x7f0000000000, 2 * MiB, "rw-p", "", 2 * MiB));            // arena heap
  r.push_back(reg(0x7f0000200000, 62 * MiB, "---p", "", 0));                 // its reserve
  r.push_back(reg(0x7f1000000000, 4 * KiB, "---p", "", 0));                  // guard
  r.push_back(reg(0x7f1000001000, 8 * MiB, "rw-p", "", 256 * KiB));          // thread stack
  r.push_back(reg(0x7f2000000000, 4 * MiB, "rw-p", "", 4 * MiB));            // malloc'd chunk
  r.push_back(reg(0x7f3000000000, 3 * MiB, "rw-p", "", 3 * MiB));            // other anon
  r.push_back(reg(0x7f4000000000, 10 * MiB, "r--s", "/data/file.bin", 10 * MiB));
  r.push_back(reg(0x7f5000000000, 1 * MiB, "rw-s", "/memfd:ring", 1 * MiB));
  r.push_back(reg(0x7f6000000000, 2 * MiB, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 1 * MiB));
  r.push_back(reg(0x7f6000200000, 16 * KiB, "rw-p", "/usr/lib/x86_64-linux-gnu/libc.so.6", 16 * KiB));
  r.push_back(reg(0x7ff000000000, 8 * KiB, "r-xp", "[vdso]", 8 * KiB));
  r.push_back(reg(0x7ffff0000000, 132 * KiB, "rw-p", "[stack]", 64 * KiB));
  v.threads = {{100, 0x7ffff0010000}, {101, 0x7f1000001000 + 8 * MiB - 4096}};
  return v;
}

uint64_t total_rss(const ProcessView& v) {
  uint64_t s = 0;
  for (const auto& r : v.regions) s += r.rss;
  return s;
}

const model::GapCategory& cat(const model::Gap& g, const std::string& name) {
  for (const auto& c : g.categories)
    if (c.name == name) return c;
  static model::GapCategory none;
  ADD_FAILURE() << "no category " << name;
  return none;
}

void expect_balanced(const model::Gap& g) {
  int64_t sum = 0;
  for (const auto& c : g.categories) sum += static_cast<int64_t>(c.bytes);
  EXPECT_EQ(sum + g.unexplained, static_cast<int64_t>(g.rss));
}

}  // namespace

TEST(Classify, EveryKindOfMapping) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.tracked_mmaps = {{0x7f2000000000, 0x7f2000000000 + 4 * MiB}};
  auto c = classify(v, obs);
  ASSERT_EQ(c.size(), v.regions.size());
  EXPECT_EQ(detect_allocator(v, obs), "glibc");
  EXPECT_EQ(c[0].kind, RegionKind::Module);
  EXPECT_EQ(c[1].kind, RegionKind::Module);
  EXPECT_EQ(c[2].kind, RegionKind::Brk);
  EXPECT_EQ(c[3].kind, RegionKind::ArenaHeap);
  EXPECT_EQ(c[4].kind, RegionKind::Guard);
  EXPECT_EQ(c[5].kind, RegionKind::Guard);
  EXPECT_EQ(c[6].kind, RegionKind::ThreadStack);
  EXPECT_EQ(c[7].kind, RegionKind::MallocMmap);
  EXPECT_EQ(c[8].kind, RegionKind::AnonOther);
  EXPECT_EQ(c[9].kind, RegionKind::MappedFile);
  EXPECT_EQ(c[10].kind, RegionKind::Shmem);
  EXPECT_EQ(c[11].kind, RegionKind::Module);
  EXPECT_EQ(c[13].kind, RegionKind::Kernel);
  EXPECT_EQ(c[14].kind, RegionKind::MainStack);
}

TEST(Classify, ThreadStackByGuardWhenSpUnknown) {
  ProcessView v = sample_view();
  v.threads = {{100, 0}, {101, 0}};  // both running: no stack pointers
  auto c = classify(v, HeapObservation{});
  EXPECT_EQ(c[6].kind, RegionKind::ThreadStack);
  EXPECT_EQ(c[8].kind, RegionKind::AnonOther);  // no guard below: not a stack
}

TEST(Classify, JemallocProcessAnonIsAllocatorHeap) {
  ProcessView v = sample_view();
  v.regions[11].path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  v.regions[12].path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  auto c = classify(v, HeapObservation{});
  EXPECT_EQ(detect_allocator(v, HeapObservation{}), "jemalloc");
  EXPECT_EQ(c[8].kind, RegionKind::AllocatorHeap);
  EXPECT_EQ(c[6].kind, RegionKind::ThreadStack);  // stacks still win
  v.threads = {{100, 0}, {101, 0}};                 // even when found by their guard
  c = classify(v, HeapObservation{});
  EXPECT_EQ(c[6].kind, RegionKind::ThreadStack);
  EXPECT_EQ(c[8].kind, RegionKind::AllocatorHeap);
}

TEST(Reconcile, WithProbesAndNoAllocatorState) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = 10 * MiB;
  obs.live_tracked_mmap = 4 * MiB;
  obs.tracked_mmaps = {{0x7f2000000000, 0x7f2000000000 + 4 * MiB}};
  auto g = reconcile(v, obs);
  EXPECT_EQ(g.rss, total_rss(v));
  EXPECT_EQ(g.profiled, 10 * MiB);
  EXPECT_EQ(cat(g, kHeapLive).bytes, 10 * MiB);
  EXPECT_EQ(cat(g, kHeapUntracked).bytes, 0u);
  EXPECT_EQ(cat(g, kHeapFree).bytes, 20 * MiB + 2 * MiB + 4 * MiB - 10 * MiB);
  EXPECT_EQ(cat(g, kStacksThreads).bytes, 256 * KiB + 64 * KiB);
  EXPECT_EQ(cat(g, kAnonOther).bytes, 3 * MiB);
  EXPECT_EQ(cat(g, kFileMapped).bytes, 40 * KiB + 8 * KiB + 10 * MiB + 1 * MiB + 16 * KiB + 8 * KiB);
  EXPECT_EQ(cat(g, kShmem).bytes, 1 * MiB);
  EXPECT_EQ(g.unexplained, 0);
  expect_balanced(g);
  EXPECT_NE(g.explanation.find("heap profile shows 10.0MiB"), std::string::npos) << g.explanation;
}

TEST(Reconcile, FileBreakdownNamesTheLargestFile) {
  ProcessView v = sample_view();
  auto files = file_breakdown(v, classify(v, HeapObservation{}));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "/data/file.bin");
  EXPECT_FALSE(files[0].module);
  EXPECT_EQ(files[1].rss, 1 * MiB + 16 * KiB);  // libc: text + data
  EXPECT_TRUE(files[1].module);
  auto g = reconcile(v, HeapObservation{});
  EXPECT_NE(cat(g, kFileMapped).source.find("largest file.bin 10.0MiB"), std::string::npos) << cat(g, kFileMapped).source;
}

TEST(Reconcile, AllocatorStateSplitsUntrackedFromFree) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = 5 * MiB;
  AllocatorState st;
  st.allocator = "glibc";
  st.source = "test state";
  st.in_use = 12 * MiB;
  st.mmapped = 4 * MiB;
  st.arena_heaps = {{0x7f0000000000, 0x7f0000000000 + 2 * MiB}};
  st.mmapped_chunks = {{0x7f2000000000, 0x7f2000000000 + 4 * MiB}};
  obs.allocator = st;
  auto g = reconcile(v, obs);
  EXPECT_EQ(cat(g, kHeapLive).bytes, 5 * MiB);
  EXPECT_EQ(cat(g, kHeapUntracked).bytes, 11 * MiB);  // 12 + 4 in use, 5 seen
  EXPECT_EQ(cat(g, kHeapFree).bytes, 26 * MiB - 16 * MiB);
  EXPECT_NE(cat(g, kHeapUntracked).source.find("test state"), std::string::npos);
  expect_balanced(g);
}

TEST(Reconcile, ChunkOverheadOfTrackedObjectsIsNotUntracked) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = 5 * MiB;
  obs.live_tracked_objects = 65536;  // 1 MiB of headers at 16 B each
  AllocatorState st;
  st.allocator = "glibc";
  st.source = "test state";
  st.in_use = 6 * MiB;
  obs.allocator = st;
  auto g = reconcile(v, obs);
  EXPECT_EQ(cat(g, kHeapUntracked).bytes, 0u);
  EXPECT_EQ(cat(g, kHeapLive).bytes, 5 * MiB);
  EXPECT_NE(cat(g, kHeapUntracked).source.find("chunk overhead"), std::string::npos);
  expect_balanced(g);
}

TEST(Reconcile, NoProbesNoStateCountsHeapAsUntracked) {
  ProcessView v = sample_view();
  auto g = reconcile(v, HeapObservation{});
  EXPECT_EQ(g.profiled, 0u);
  EXPECT_EQ(cat(g, kHeapLive).bytes, 0u);
  EXPECT_EQ(cat(g, kHeapUntracked).bytes, 22 * MiB);  // brk + arena; chunk unknown
  EXPECT_EQ(cat(g, kHeapFree).bytes, 0u);
  EXPECT_EQ(cat(g, kAnonOther).bytes, 7 * MiB);
  EXPECT_NE(cat(g, kHeapUntracked).source.find("not split"), std::string::npos);
  EXPECT_NE(g.explanation.find("No probes ran"), std::string::npos);
  expect_balanced(g);
}

TEST(Reconcile, MadvFreedHeapPagesAreFreeEvenWithoutState) {
  ProcessView v = sample_view();
  v.regions[2].lazy_free = 5 * MiB;  // [heap]
  auto g = reconcile(v, HeapObservation{});
  EXPECT_EQ(cat(g, kHeapFree).bytes, 5 * MiB);
  EXPECT_EQ(cat(g, kHeapUntracked).bytes, 17 * MiB);
  EXPECT_NE(cat(g, kHeapFree).source.find("MADV_FREE"), std::string::npos);
  expect_balanced(g);
}

TEST(Reconcile, MmapTotalWithoutRangesMovesFromAnonOther) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = 6 * MiB;
  obs.live_tracked_mmap = 4 * MiB;
  auto g = reconcile(v, obs);
  EXPECT_EQ(cat(g, kAnonOther).bytes, 3 * MiB);
  EXPECT_EQ(cat(g, kHeapFree).bytes, 26 * MiB - 6 * MiB);
  expect_balanced(g);
}

TEST(Reconcile, PartialChunkCoverageIsApportioned) {
  ProcessView v = sample_view();
  HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = 0;
  obs.tracked_mmaps = {{0x7f2000000000, 0x7f2000000000 + 1 * MiB}};  // 1/4 of the mapping
  auto g = reconcile(v, obs);
  EXPECT_EQ(cat(g, kAnonOther).bytes, 3 * MiB + 3 * MiB);
  EXPECT_EQ(cat(g, kHeapFree).bytes, 22 * MiB + 1 * MiB);
}

TEST(Reconcile, RollupRssLeavesTheDifferenceUnexplained) {
  ProcessView v = sample_view();
  v.rollup_rss = total_rss(v) + 3 * MiB;
  auto g = reconcile(v, HeapObservation{});
  EXPECT_EQ(g.unexplained, static_cast<int64_t>(3 * MiB));
  expect_balanced(g);
}

TEST(Reconcile, CategoriesAlwaysPresentInOrder) {
  auto g = reconcile(ProcessView{}, HeapObservation{});
  std::vector<std::string> names;
  for (const auto& c : g.categories) {
    names.push_back(c.name);
    EXPECT_FALSE(c.meaning.empty());
    EXPECT_FALSE(c.source.empty());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"heap.live", "heap.untracked", "heap.free", "stacks.threads",
                                             "anon.other", "file.mapped", "shmem"}));
}

// The recorded composition target: without live memory there is no allocator state, so
// the heap is one undivided figure, but stacks, files and anon are checked against truth.
TEST(Reconcile, RecordedCompositionTarget) {
  std::ifstream in(std::string(MEMGAP_TEST_DATA) + "/proc/4242.truth.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto num = [&](const std::string& key) {
    auto s = ss.str();
    auto p = s.find("\"" + key + "\":");
    return std::stoull(s.substr(p + key.size() + 3));
  };
  collect::DirProcSource proc(std::string(MEMGAP_TEST_DATA) + "/proc");
  for (int pid : {4242, 4243}) {
    auto rep = pipeline::explain_rss_report(pid, proc, HeapObservation{});
    ASSERT_TRUE(rep.ok()) << rep.error().message;
    const auto& g = rep->gap;
    expect_balanced(g);
    EXPECT_EQ(rep->allocator, "glibc");
    // Truth: the threads' touched stacks; the main stack and thread TLS add a little.
    EXPECT_NEAR(cat(g, kStacksThreads).bytes, num("stack"), num("stack") / 10) << pid;
    // The mapped file plus a couple of MiB of code.
    EXPECT_GE(cat(g, kFileMapped).bytes, num("file"));
    EXPECT_LE(cat(g, kFileMapped).bytes, num("file") + 3 * MiB);
    // Heap (arenas found by shape, chunks unknown without state): live + free - big.
    uint64_t heap_truth = num("live") + num("free") - 4 * MiB;
    EXPECT_NEAR(cat(g, kHeapUntracked).bytes, heap_truth, heap_truth / 10) << pid;
    EXPECT_LT(std::abs(g.unexplained), static_cast<int64_t>(g.rss / 20));
  }
}

TEST(Reconcile, ProcessThatExitedMidwayStillReconciles) {
  collect::DirProcSource proc(std::string(MEMGAP_TEST_DATA) + "/proc");
  auto rep = pipeline::explain_rss_report(4244, proc, HeapObservation{});
  ASSERT_TRUE(rep.ok());
  expect_balanced(rep->gap);
  EXPECT_FALSE(rep->notes.empty());
  auto gone = pipeline::explain_rss(999999, proc, HeapObservation{});
  ASSERT_FALSE(gone.ok());
  EXPECT_FALSE(gone.error().hint.empty());
}

// Recorded redis-server (jemalloc): its anonymous mappings are the allocator's, so the
// heap memgap finds must be close to what redis itself reports as allocator_resident.
TEST(Reconcile, RecordedRedisHeapMatchesItsOwnFigures) {
  std::ifstream in(std::string(MEMGAP_TEST_DATA) + "/proc/4245.redis-info.txt");
  std::string line;
  uint64_t resident = 0;
  while (std::getline(in, line))
    if (line.starts_with("allocator_resident:")) resident = std::stoull(line.substr(19));
  ASSERT_GT(resident, 0u);
  collect::DirProcSource proc(std::string(MEMGAP_TEST_DATA) + "/proc");
  auto rep = pipeline::explain_rss_report(4245, proc, HeapObservation{});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->allocator, "jemalloc");
  const auto& g = rep->gap;
  uint64_t heap = cat(g, kHeapLive).bytes + cat(g, kHeapUntracked).bytes + cat(g, kHeapFree).bytes;
  EXPECT_NEAR(static_cast<double>(heap), static_cast<double>(resident), resident * 0.15);
  EXPECT_NE(cat(g, kHeapUntracked).source.find("jemalloc"), std::string::npos);
  EXPECT_EQ(rep->residency.thread_stacks, 4);  // bio threads + jemalloc's background thread
  EXPECT_LT(std::abs(g.unexplained) + static_cast<int64_t>(cat(g, kAnonOther).bytes), static_cast<int64_t>(g.rss * 15 / 100));
  expect_balanced(g);
}
