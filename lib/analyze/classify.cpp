#include "analyze/classify.h"

#include <algorithm>
#include <set>

namespace memgap::analyze {
namespace {

// glibc reserves HEAP_MAX_SIZE (2 * DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB on 64-bit) per
// non-main arena heap, aligned to that size, and makes the used prefix read-write.
constexpr uint64_t kArenaHeapMax = 64ull << 20;

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

bool is_shmem(const Region& r) {
  if (contains(r.path, "/memfd:") || r.path.starts_with("/dev/shm/") || r.path.starts_with("/SYSV") ||
      r.path == "/dev/zero" || r.path.starts_with("[anon_shmem"))
    return true;
  // MAP_SHARED|MAP_ANONYMOUS shows as "/dev/zero (deleted)"; shared with no path too.
  return r.shared() && r.path.empty();
}

uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
  uint64_t s = std::max(a0, b0), e = std::min(a1, b1);
  return e > s ? e - s : 0;
}

// Bytes of [r.start, r.end) covered by `ranges`, which must be sorted by start and not
// overlap each other (chunks and heaps never do). Binary search keeps 10,000 mappings
// against 10,000 chunks cheap.
uint64_t covered(const Region& r, const std::vector<AddressRange>& ranges) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), r.start,
                             [](uint64_t a, const AddressRange& x) { return a < x.start; });
  if (it != ranges.begin()) --it;
  uint64_t sum = 0;
  for (; it != ranges.end() && it->start < r.end; ++it) sum += overlap(r.start, r.end, it->start, it->end);
  return std::min(sum, r.size());
}

std::vector<AddressRange> sorted(std::vector<AddressRange> v) {
  std::sort(v.begin(), v.end(), [](const AddressRange& a, const AddressRange& b) { return a.start < b.start; });
  return v;
}

}  // namespace

const char* kind_name(RegionKind k) {
  switch (k) {
    case RegionKind::Brk: return "brk heap";
    case RegionKind::ArenaHeap: return "arena heap";
    case RegionKind::AllocatorHeap: return "allocator heap";
    case RegionKind::MallocMmap: return "malloc mmap";
    case RegionKind::MainStack: return "main stack";
    case RegionKind::ThreadStack: return "thread stack";
    case RegionKind::Guard: return "guard";
    case RegionKind::Module: return "module";
    case RegionKind::MappedFile: return "mapped file";
    case RegionKind::Shmem: return "shmem";
    case RegionKind::Kernel: return "kernel";
    case RegionKind::AnonOther: return "anonymous";
  }
  return "?";
}

std::string detect_allocator(const ProcessView& view, const HeapObservation& obs) {
  if (obs.allocator && !obs.allocator->allocator.empty()) return obs.allocator->allocator;
  bool libc = false;
  for (const auto& r : view.regions) {
    if (contains(r.path, "libjemalloc")) return "jemalloc";
    if (contains(r.path, "libtcmalloc")) return "tcmalloc";
    if (contains(r.path, "/libc.so") || contains(r.path, "/libc-")) libc = true;
  }
  return libc ? "glibc" : "none";
}

std::vector<ClassifiedRegion> classify(const ProcessView& view, const HeapObservation& obs) {
  const auto& regs = view.regions;
  const std::string allocator = detect_allocator(view, obs);
  std::vector<ClassifiedRegion> out(regs.size());

  // Modules: any file with an executable mapping is code; all its mappings are module.
  std::set<std::string> modules;
  for (const auto& r : regs)
    if (r.executable() && !r.path.empty() && r.path[0] == '/') modules.insert(r.path);

  // Chunks known to the allocator and to the probes are mostly the same ones; merge
  // them so none is counted twice.
  std::vector<AddressRange> chunks;
  if (obs.allocator) chunks = obs.allocator->mmapped_chunks;
  chunks.insert(chunks.end(), obs.tracked_mmaps.begin(), obs.tracked_mmaps.end());
  chunks = sorted(std::move(chunks));
  std::vector<AddressRange> merged;
  for (const auto& c : chunks) {
    if (!merged.empty() && c.start < merged.back().end) merged.back().end = std::max(merged.back().end, c.end);
    else merged.push_back(c);
  }
  chunks = std::move(merged);
  const std::vector<AddressRange> arena_heaps = obs.allocator ? sorted(obs.allocator->arena_heaps) : std::vector<AddressRange>{};

  // Which regions hold a known thread stack pointer.
  std::vector<int> sp_tid(regs.size(), 0);
  int unknown_sp = 0;
  for (const auto& t : view.threads) {
    if (!t.sp) {
      // The main thread's stack is [stack]; only other threads need a guard-shaped match.
      if (t.tid != view.pid) ++unknown_sp;
      continue;
    }
    auto it = std::upper_bound(regs.begin(), regs.end(), t.sp, [](uint64_t sp, const Region& r) { return sp < r.end; });
    if (it != regs.end() && it->start <= t.sp) sp_tid[it - regs.begin()] = t.tid;
  }

  for (size_t i = 0; i < regs.size(); ++i) {
    const Region& r = regs[i];
    ClassifiedRegion& c = out[i];
    c.index = i;
    c.heap_rss = r.rss;
    const bool anon = r.path.empty();
    if (r.path == "[heap]") {
      c.kind = RegionKind::Brk;
    } else if (r.path == "[stack]") {
      c.kind = RegionKind::MainStack;
    } else if (r.path == "[vdso]" || r.path == "[vvar]" || r.path == "[vsyscall]" || r.path.starts_with("[vvar")) {
      c.kind = RegionKind::Kernel;
    } else if (is_shmem(r)) {
      c.kind = RegionKind::Shmem;
    } else if (!r.path.empty() && r.path[0] == '/') {
      c.kind = modules.count(r.path) ? RegionKind::Module : RegionKind::MappedFile;
    } else if (r.no_access()) {
      c.kind = RegionKind::Guard;
    } else if (sp_tid[i]) {
      c.kind = RegionKind::ThreadStack;
      c.why = "holds sp of tid " + std::to_string(sp_tid[i]);
    } else if (anon && !arena_heaps.empty() && covered(r, arena_heaps) * 2 > r.size()) {
      c.kind = RegionKind::ArenaHeap;
      c.why = "arena heap from allocator state";
    } else if (anon && allocator == "glibc" && !(obs.allocator && !obs.allocator->arena_heaps.empty()) &&
               r.start % kArenaHeapMax == 0 && r.size() <= kArenaHeapMax &&
               (r.size() == kArenaHeapMax ||
                (i + 1 < regs.size() && regs[i + 1].start == r.end && regs[i + 1].no_access() &&
                 regs[i + 1].end <= r.start + kArenaHeapMax))) {
      c.kind = RegionKind::ArenaHeap;
      c.why = "64MiB-aligned with no-access reserve";
    } else if (anon && !chunks.empty() && covered(r, chunks) > 0) {
      c.kind = RegionKind::MallocMmap;
      // Residency is per mapping, not per chunk: attribute it in proportion to size.
      long double share = static_cast<long double>(covered(r, chunks)) / static_cast<long double>(r.size());
      c.heap_rss = static_cast<uint64_t>(share * r.rss);
      c.why = "holds malloc'd chunks";
    } else if (anon && (allocator == "jemalloc" || allocator == "tcmalloc")) {
      // These allocators obtain all their memory with mmap; in a process using one,
      // unclaimed private anonymous memory is overwhelmingly allocator memory.
      c.kind = RegionKind::AllocatorHeap;
      c.why = allocator + " process: private anonymous mapping";
    } else {
      c.kind = RegionKind::AnonOther;
    }
  }

  // Threads whose stack pointer could not be read (they were running): glibc stacks are
  // an anonymous read-write mapping directly above a no-access guard. Claim that many
  // guard-shaped regions, largest resident first, among those not yet classified.
  if (unknown_sp > 0) {
    std::vector<size_t> cand;
    for (size_t i = 1; i < regs.size(); ++i) {
      const Region& g = regs[i - 1];
      const Region& r = regs[i];
      // In a jemalloc process unclaimed anonymous memory was presumed allocator heap;
      // a guard-shaped region is still a stack.
      const bool unclaimed = out[i].kind == RegionKind::AnonOther || out[i].kind == RegionKind::AllocatorHeap;
      if (!unclaimed || !r.writable() || !r.path.empty()) continue;
      if (g.no_access() && g.path.empty() && g.end == r.start && g.size() <= (1u << 20) && r.size() <= (64ull << 20)) cand.push_back(i);
    }
    std::sort(cand.begin(), cand.end(), [&](size_t a, size_t b) { return regs[a].rss > regs[b].rss; });
    for (size_t k = 0; k < cand.size() && static_cast<int>(k) < unknown_sp; ++k) {
      out[cand[k]].kind = RegionKind::ThreadStack;
      out[cand[k]].why = "guard page below, thread sp unknown";
    }
  }
  return out;
}

}  // namespace memgap::analyze
