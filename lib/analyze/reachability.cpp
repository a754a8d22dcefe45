#include "analyze/reachability.h"

#include <algorithm>
#include <cstring>

namespace memgap::analyze {

const char* reach_name(Reach r) {
  switch (r) {
    case Reach::Reachable: return "reachable";
    case Reach::Indirect: return "indirect";
    case Reach::Direct: return "direct";
  }
  return "?";
}

bool blocks_well_formed(const std::vector<HeapBlock>& blocks) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].size == 0 || blocks[i].addr + blocks[i].size < blocks[i].addr) return false;
    if (i && blocks[i - 1].addr + blocks[i - 1].size > blocks[i].addr) return false;
  }
  return true;
}

namespace {

// Finds the block a word points into. Blocks are sorted; a first filter on the heap's
// overall bounds rejects most words (integers, code addresses) before any search.
class BlockIndex {
 public:
  explicit BlockIndex(const std::vector<HeapBlock>& b) : b_(b) {
    starts_.reserve(b.size());
    for (const auto& x : b) starts_.push_back(x.addr);
    if (!b.empty()) {
      lo_ = b.front().addr;
      hi_ = b.back().addr + b.back().size;
    }
  }
  // Index of the block containing `p`, or -1.
  int64_t find(uint64_t p) const {
    if (p < lo_ || p >= hi_) return -1;
    auto it = std::upper_bound(starts_.begin(), starts_.end(), p);
    size_t i = static_cast<size_t>(it - starts_.begin()) - 1;
    return p < b_[i].addr + b_[i].size ? static_cast<int64_t>(i) : -1;
  }

 private:
  const std::vector<HeapBlock>& b_;
  std::vector<uint64_t> starts_;
  uint64_t lo_ = 0, hi_ = 0;
};

// Reads a range in 1 MiB pieces and calls fn(word) for every aligned word.
template <typename Fn>
bool for_each_word(const TargetMemory& mem, uint64_t start, uint64_t end, std::vector<uint64_t>& buf, Fn fn) {
  start = (start + 7) & ~7ull;
  constexpr uint64_t kPiece = 1 << 20;
  bool ok = true;
  for (uint64_t a = start; a + 8 <= end; a += kPiece) {
    uint64_t len = std::min<uint64_t>(kPiece, (end - a) & ~7ull);
    if (const uint64_t* w = mem.view(a, len)) {
      for (size_t i = 0; i < len / 8; ++i) fn(w[i]);
      continue;
    }
    buf.resize(len / 8);
    if (!mem.read(a, buf.data(), len)) {
      ok = false;
      continue;
    }
    for (uint64_t w : buf) fn(w);
  }
  return ok;
}

}  // namespace

ReachResult mark_reachable(const std::vector<HeapBlock>& blocks, const Roots& roots, const TargetMemory& mem) {
  ReachResult r;
  if (!blocks_well_formed(blocks)) return r;
  BlockIndex index(blocks);
  enum : uint8_t { kUnseen = 0, kReached = 1, kIndirect = 2 };
  std::vector<uint8_t> tag(blocks.size(), kUnseen);
  std::vector<size_t> frontier;
  std::vector<uint64_t> buf;
  auto reach = [&](uint64_t w) {
    int64_t i = index.find(w);
    if (i >= 0 && tag[static_cast<size_t>(i)] != kReached) {
      tag[static_cast<size_t>(i)] = kReached;
      frontier.push_back(static_cast<size_t>(i));
    }
  };
  for (uint64_t w : roots.words) reach(w);
  for (const auto& range : roots.ranges) {
    if (range.end <= range.start) continue;
    if (!for_each_word(mem, range.start, range.end, buf, reach)) ++r.unreadable_roots;
    r.root_bytes_scanned += range.end - range.start;
  }
  // Flood: every reached block's words reach further blocks.
  while (!frontier.empty()) {
    size_t i = frontier.back();
    frontier.pop_back();
    if (!for_each_word(mem, blocks[i].addr, blocks[i].addr + blocks[i].size, buf, reach)) ++r.unreadable_blocks;
    r.heap_bytes_scanned += blocks[i].size;
  }
  // Indirect: what unreachable blocks point to (one level per block, as LSan does; a
  // chain is covered because every unreachable block is scanned).
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (tag[i] == kReached) continue;
    bool read = for_each_word(mem, blocks[i].addr, blocks[i].addr + blocks[i].size, buf, [&](uint64_t w) {
      int64_t j = index.find(w);
      if (j >= 0 && static_cast<size_t>(j) != i && tag[static_cast<size_t>(j)] == kUnseen)
        tag[static_cast<size_t>(j)] = kIndirect;
    });
    if (!read) ++r.unreadable_blocks;
    r.heap_bytes_scanned += blocks[i].size;
  }
  r.verdict.resize(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i)
    r.verdict[i] = tag[i] == kReached ? Reach::Reachable : tag[i] == kIndirect ? Reach::Indirect : Reach::Direct;
  return r;
}

}  // namespace memgap::analyze
