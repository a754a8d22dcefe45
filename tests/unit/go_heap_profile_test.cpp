// The Go heap-profile reader over a fake address space laid out as go1.19's mprof.go
// lays out buckets, pprof's scaling, and go.maps in snapshots and the text report.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "model/snapshot_json.h"
#include "report/go_maps_table.h"
#include "runtime/go/heap_profile.h"
#include "runtime/go/release.h"

using namespace memgap;
using namespace memgap::runtime::go;

namespace {

class BucketMemory : public RemoteMemory {
 public:
  Status read(uint64_t addr, void* out, size_t len) const override {
    if (addr < 0x1000) return make_error("unmapped");
    for (size_t i = 0; i < len; ++i) {
      auto it = bytes_.find(addr + i);
      static_cast<uint8_t*>(out)[i] = it == bytes_.end() ? 0 : it->second;
    }
    return Ok{};
  }
  void put64(uint64_t addr, uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  // bucket{next, allnext, typ, hash, size, nstk}, stk[nstk], memRecord{active, future[3]}
  // with cycles[c] = {allocs, frees, alloc_bytes, free_bytes}.
  void bucket(uint64_t at, uint64_t allnext, std::vector<uint64_t> stk, const uint64_t (&cycles)[4][4],
              uint64_t typ = 1) {
    put64(at + 8, allnext);
    put64(at + 16, typ);
    put64(at + 40, stk.size());
    for (size_t i = 0; i < stk.size(); ++i) put64(at + 48 + 8 * i, stk[i]);
    uint64_t rec = at + 48 + 8 * stk.size();
    for (int c = 0; c < 4; ++c)
      for (int w = 0; w < 4; ++w) put64(rec + 32 * c + 8 * w, cycles[c][w]);
  }

 private:
  std::map<uint64_t, uint8_t> bytes_;
};

constexpr uint64_t kVar = 0x5000, kB1 = 0x10000, kB2 = 0x20000;
const ReleaseSpec& go119() { return *known_release(*parse_go_version("go1.19.8")); }

}  // namespace

TEST(GoHeapProfile, ReadsActivePlusTheCycleMemProfileFlushes) {
  BucketMemory m;
  m.put64(kVar, kB1);
  // b1: active 3 allocs / 1 free of 1 MiB; future[1] holds one more alloc (cycle 4 → 4%3=1).
  m.bucket(kB1, kB2, {0x401000, 0x402000}, {{3, 1, 3 << 20, 1 << 20}, {0, 0, 0, 0}, {1, 0, 1 << 20, 0}, {9, 0, 9, 0}});
  m.bucket(kB2, 0, {0x403000}, {{10, 10, 640, 640}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}});
  auto p = read_heap_profile(m, go119().layout, kVar, 4u);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->records.size(), 2u);
  EXPECT_EQ(p->records[0].stack, (std::vector<uint64_t>{0x401000, 0x402000}));
  EXPECT_EQ(p->records[0].allocs, 4u);  // future[2] (C+1) and future[0] (C+2) stay unpublished
  EXPECT_EQ(p->records[0].in_use_bytes(), 3u << 20);
  EXPECT_EQ(p->records[1].in_use_bytes(), 0u);
  EXPECT_FALSE(p->unpublished);
}

// go1.27's memRecordCycle is {allocs, frees}: bytes are counts times the bucket's object
// size (bucket.size), as runtime.MemProfile computes them there.
TEST(GoHeapProfile, Go127CyclesCountObjectsOfTheBucketsSize) {
  const GoLayout& l = known_release(*parse_go_version("go1.27.3"))->layout;
  ASSERT_EQ(l.sizeof_memRecordCycle, 16u);
  BucketMemory m;
  m.put64(kVar, kB1);
  m.put64(kB1 + l.bucket_allnext, 0);
  m.put64(kB1 + l.bucket_typ, 1);
  m.put64(kB1 + l.bucket_size, 4096);
  m.put64(kB1 + l.bucket_nstk, 1);
  m.put64(kB1 + l.sizeof_bucket, 0x401000);
  uint64_t rec = kB1 + l.sizeof_bucket + 8;
  m.put64(rec + l.mrc_allocs, 5);  // active: 5 allocated, 2 freed
  m.put64(rec + l.mrc_frees, 2);
  m.put64(rec + l.mr_future + 16 * 1 + l.mrc_allocs, 1);  // future[1], flushed at cycle 4
  auto p = read_heap_profile(m, l, kVar, 4u);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->records.size(), 1u);
  EXPECT_EQ(p->records[0].allocs, 6u);
  EXPECT_EQ(p->records[0].alloc_bytes, 6u * 4096);
  EXPECT_EQ(p->records[0].in_use_bytes(), 4u * 4096);
}

TEST(GoHeapProfile, NoGcYetSumsEveryCycleLikeMemProfile) {
  BucketMemory m;
  m.put64(kVar, kB1);
  m.bucket(kB1, 0, {0x401000}, {{0, 0, 0, 0}, {2, 0, 200, 0}, {0, 0, 0, 0}, {1, 0, 100, 0}});
  auto p = read_heap_profile(m, go119().layout, kVar, std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->unpublished);
  EXPECT_EQ(p->records[0].allocs, 3u);
  EXPECT_EQ(p->records[0].alloc_bytes, 300u);
}

TEST(GoHeapProfile, RefusesWhatIsNotAMemoryBucket) {
  BucketMemory m;
  m.put64(kVar, kB1);
  m.bucket(kB1, 0, {0x401000}, {{1, 0, 8, 0}, {}, {}, {}}, /*typ blockProfile*/ 2);
  EXPECT_FALSE(read_heap_profile(m, go119().layout, kVar, 0u));
  BucketMemory loop;  // a list that points back at itself must end, not spin
  loop.put64(kVar, kB1);
  loop.bucket(kB1, kB1, {0x401000}, {{1, 0, 8, 0}, {}, {}, {}});
  EXPECT_FALSE(read_heap_profile(loop, go119().layout, kVar, 0u));
}

TEST(GoHeapProfile, ScalesAsPprof) {
  // One sampled 1 MiB object at rate 512 KiB: scale = 1/(1-e^-2).
  auto s = scale_heap_sample(1, 1 << 20, 512 * 1024);
  EXPECT_NEAR(s.bytes, double(1 << 20) / (1 - std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(s.objects, 1 / (1 - std::exp(-2.0)), 1e-9);
  EXPECT_EQ(scale_heap_sample(5, 500, 1).bytes, 500);
  EXPECT_EQ(scale_heap_sample(0, 0, 512 * 1024).bytes, 0);
}

TEST(GoMapsSnapshot, RoundTripsAndRendersTheGrowingMapFirst) {
  model::Snapshot s;
  s.meta.mode = "go";
  s.go = model::GoInfo{};
  model::GoMap m;
  m.frames.push_back({"main.growCache", "/src/main.go", 61, "go_heapprof", 0x20, 0x4a0000});
  m.length = 102345;
  m.growths = 11;
  m.length_at_first_growth = 8;
  s.go->maps.push_back(m);
  s.go->map_iterations.push_back({{{"main.scanCache", "/src/main.go", 70, "go_heapprof", 0x10, 0x4a1000}}, 7});
  auto back = model::from_json(model::to_json(s));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(back->go);
  ASSERT_EQ(back->go->maps.size(), 1u);
  EXPECT_EQ(back->go->maps[0].length, 102345u);
  EXPECT_EQ(back->go->maps[0].growths, 11u);
  EXPECT_EQ(back->go->maps[0].frames[0].function, "main.growCache");
  ASSERT_EQ(back->go->map_iterations.size(), 1u);
  EXPECT_EQ(back->go->map_iterations[0].calls, 7u);
  std::string text = report::render_go_maps(*back, 10);
  EXPECT_NE(text.find("102345"), std::string::npos);
  EXPECT_NE(text.find("growCache"), std::string::npos);
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) EXPECT_LE(nl - at, 80u);

  auto bad = model::from_json(R"({"schema":"memgap.snapshot/1","meta":{},"sites":[],"go":{"maps":[{"frames":[],"length":-1,"growths":1}]}})");
  EXPECT_FALSE(bad);
}
