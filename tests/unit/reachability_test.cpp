// The mark of analyze/reachability on a made-up address space whose pointers are known
// exactly: every verdict LSan gives for the same shapes (globals, lists, cycles,
// interior pointers, registers).
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "analyze/reachability.h"

using namespace memgap::analyze;

namespace {
// Memory made of words at chosen addresses; everything else reads as zero within the
// regions declared, and as unreadable outside them.
class WordMemory : public TargetMemory {
 public:
  void region(uint64_t start, uint64_t len) { regions_.push_back({start, start + len, ""}); }
  void put(uint64_t addr, uint64_t value) { words_[addr] = value; }
  bool read(uint64_t addr, void* out, size_t len) const override {
    bool inside = false;
    for (const auto& r : regions_) inside |= addr >= r.start && addr + len <= r.end;
    if (!inside) return false;
    auto* o = static_cast<unsigned char*>(out);
    std::memset(o, 0, len);
    for (auto it = words_.lower_bound(addr); it != words_.end() && it->first + 8 <= addr + len; ++it)
      std::memcpy(o + (it->first - addr), &it->second, 8);
    return true;
  }

 private:
  std::vector<ScanRange> regions_;
  std::map<uint64_t, uint64_t> words_;
};

constexpr uint64_t kGlobals = 0x1000, kHeap = 0x100000;
uint64_t block_addr(int i) { return kHeap + 0x100 * static_cast<uint64_t>(i); }

struct World {
  WordMemory mem;
  std::vector<HeapBlock> blocks;
  Roots roots;
  explicit World(int nblocks) {
    mem.region(kGlobals, 0x1000);
    mem.region(kHeap, 0x100 * static_cast<uint64_t>(nblocks));
    for (int i = 0; i < nblocks; ++i) blocks.push_back({block_addr(i), 0x80});
    roots.ranges.push_back({kGlobals, kGlobals + 0x1000, "globals"});
  }
  std::vector<Reach> run() { return mark_reachable(blocks, roots, mem).verdict; }
};
}  // namespace

TEST(Reachability, NothingPointsAnywhereEverythingIsDirect) {
  World w(3);
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Direct, Reach::Direct, Reach::Direct}));
}

TEST(Reachability, GlobalHoldsABlockAndItsList) {
  World w(4);
  w.mem.put(kGlobals + 8, block_addr(0));          // global -> 0
  w.mem.put(block_addr(0) + 16, block_addr(1));    // 0 -> 1
  w.mem.put(block_addr(1) + 16, block_addr(2));    // 1 -> 2; 3 is lost
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Reachable, Reach::Reachable, Reach::Reachable, Reach::Direct}));
}

TEST(Reachability, LostListIsOneDirectHeadAndIndirectNodes) {
  World w(5);
  for (int i = 0; i < 4; ++i) w.mem.put(block_addr(i), block_addr(i + 1));
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Direct, Reach::Indirect, Reach::Indirect, Reach::Indirect,
                                         Reach::Indirect}));
}

TEST(Reachability, LeakedCycleIsAllIndirectAndSelfPointerDoesNotCount) {
  World w(3);
  w.mem.put(block_addr(0), block_addr(1));
  w.mem.put(block_addr(1), block_addr(0));
  w.mem.put(block_addr(2), block_addr(2) + 8);  // points into itself only
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Indirect, Reach::Indirect, Reach::Direct}));
}

TEST(Reachability, InteriorPointerReachesButOnePastTheEndDoesNot) {
  World w(2);
  w.mem.put(kGlobals, block_addr(0) + 0x7f);   // last byte of block 0
  w.mem.put(kGlobals + 8, block_addr(1) + 0x80);  // one past block 1's end
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Reachable, Reach::Direct}));
}

TEST(Reachability, RegisterValueIsARoot) {
  World w(2);
  w.roots.words.push_back(block_addr(1) + 4);
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Direct, Reach::Reachable}));
}

TEST(Reachability, MisalignedWordsAreNotPointers) {
  World w(1);
  // The pointer straddles two aligned words: LSan scans aligned words only.
  uint64_t p = block_addr(0);
  w.mem.put(kGlobals + 16, p << 32);
  w.mem.put(kGlobals + 24, p >> 32);
  EXPECT_EQ(w.run(), (std::vector<Reach>{Reach::Direct}));
}

TEST(Reachability, UnreadableRootIsCountedNotFatal) {
  World w(1);
  w.roots.ranges.push_back({0x900000, 0x901000, "gone"});
  w.mem.put(kGlobals, block_addr(0));
  auto r = mark_reachable(w.blocks, w.roots, w.mem);
  EXPECT_EQ(r.unreadable_roots, 1u);
  EXPECT_EQ(r.verdict, (std::vector<Reach>{Reach::Reachable}));
}

TEST(Reachability, UnreadableBlockIsCountedSoTheCallerCanRefuse) {
  World w(2);
  w.blocks.push_back({0x800000, 0x80});  // a block outside every readable region
  w.mem.put(kGlobals, 0x800000);
  auto r = mark_reachable(w.blocks, w.roots, w.mem);
  EXPECT_EQ(r.unreadable_blocks, 1u);
}

TEST(Reachability, OverlappingBlocksAreRefused) {
  World w(2);
  w.blocks[1].addr = w.blocks[0].addr + 8;
  EXPECT_FALSE(blocks_well_formed(w.blocks));
  EXPECT_TRUE(mark_reachable(w.blocks, w.roots, w.mem).verdict.empty());
}
