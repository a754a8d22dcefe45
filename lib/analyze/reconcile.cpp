#include "analyze/reconcile.h"

#include <algorithm>
#include <map>
#include <string>

#include "util/units.h"
#include "util/path.h"

namespace memgap::analyze {
namespace {

// Mean per-chunk cost beyond the requested size in glibc: an 8-byte header plus
// rounding to 16 (7.5 on average for uniformly spread sizes).
constexpr uint64_t kChunkOverhead = 16;

const char* meaning_of(const std::string& name) {
  if (name == kHeapLive) return "live allocations seen by the probes (extrapolated from samples)";
  if (name == kHeapFree) return "resident allocator memory not in live allocations: free lists, fragmentation, per-thread caches";
  if (name == kHeapUntracked) return "live heap allocated before attach (unknown sites), estimated";
  if (name == kStacksThreads) return "resident thread stacks";
  if (name == kAnonOther) return "other private anonymous memory";
  if (name == kFileMapped) return "resident file-backed pages (code, data, mapped files)";
  if (name == kShmem) return "shared memory";
  return "";
}

model::GapCategory category(const char* name, uint64_t bytes, std::string source) {
  return model::GapCategory{name, bytes, std::move(source), meaning_of(name)};
}

// Why heap.profiled differs from RSS, in one sentence naming the largest reasons.
// `heap_split` is false when heap.untracked holds the whole undivided heap.
std::string explain(const model::Gap& gap, const HeapObservation& obs, bool heap_split) {
  std::vector<const model::GapCategory*> others;
  for (const auto& c : gap.categories)
    if (c.name != kHeapLive && c.bytes > 0) others.push_back(&c);
  std::sort(others.begin(), others.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
  const char* untracked_what = !heap_split ? "heap not split into live and free"
                               : obs.probes_ran ? "heap allocated before attach"
                                                : "live heap per the allocator";
  auto phrase = [untracked_what](const model::GapCategory& c) {
    std::string what = c.name == kHeapFree        ? "allocator free space and fragmentation"
                       : c.name == kHeapUntracked ? std::string(untracked_what)
                       : c.name == kStacksThreads ? "thread stacks"
                       : c.name == kAnonOther     ? "other anonymous memory"
                       : c.name == kFileMapped    ? "code and mapped files"
                       : c.name == kShmem         ? "shared memory"
                                                  : c.name;
    return what + " (" + format_size(c.bytes) + ")";
  };
  std::string reasons;
  for (size_t i = 0; i < others.size() && i < 3; ++i) {
    if (i) reasons += i + 1 == std::min<size_t>(others.size(), 3) ? " and " : ", ";
    reasons += phrase(*others[i]);
  }
  if (reasons.empty()) reasons = "nothing else";
  std::string s;
  if (!obs.probes_ran) {
    s = "No probes ran, so nothing is profiled; RSS " + format_size(gap.rss) + " is " + reasons;
  } else {
    double pct = gap.rss ? 100.0 * static_cast<double>(gap.profiled) / static_cast<double>(gap.rss) : 0.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", pct);
    s = "The heap profile shows " + format_size(gap.profiled) + " of " + format_size(gap.rss) + " RSS (" + buf +
        "); the rest is mostly " + reasons;
  }
  if (gap.unexplained > 0 && static_cast<uint64_t>(gap.unexplained) * 20 > gap.rss)
    s += ", and " + format_size(static_cast<uint64_t>(gap.unexplained)) + " is unexplained";
  return s + ".";
}

}  // namespace

Residency measure(const ProcessView& view, const std::vector<ClassifiedRegion>& regions) {
  Residency r;
  for (const auto& c : regions) {
    const Region& reg = view.regions[c.index];
    r.total += reg.rss;
    switch (c.kind) {
      case RegionKind::Brk:
      case RegionKind::ArenaHeap:
      case RegionKind::AllocatorHeap:
        r.heap_arenas += reg.rss;
        r.heap_lazy_free += std::min(reg.lazy_free, reg.rss);
        break;
      case RegionKind::MallocMmap:
        r.heap_mmaps += c.heap_rss;
        r.anon_other += reg.rss - c.heap_rss;
        break;
      case RegionKind::ThreadStack: ++r.thread_stacks; [[fallthrough]];
      case RegionKind::MainStack: r.stacks += reg.rss; break;
      case RegionKind::Module: r.modules += reg.rss; break;
      case RegionKind::MappedFile: r.mapped_files += reg.rss; break;
      case RegionKind::Kernel: r.kernel += reg.rss; break;
      case RegionKind::Shmem: r.shmem += reg.rss; break;
      case RegionKind::Guard:
      case RegionKind::AnonOther: r.anon_other += reg.rss; break;
    }
  }
  return r;
}

std::vector<FileResidency> file_breakdown(const ProcessView& view, const std::vector<ClassifiedRegion>& regions) {
  std::map<std::string, FileResidency> by_path;
  for (const auto& c : regions) {
    if (c.kind != RegionKind::Module && c.kind != RegionKind::MappedFile) continue;
    const Region& r = view.regions[c.index];
    auto& f = by_path[r.path];
    f.path = r.path;
    f.rss += r.rss;
    f.module = c.kind == RegionKind::Module;
  }
  std::vector<FileResidency> out;
  for (auto& [_, f] : by_path) out.push_back(std::move(f));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rss > b.rss; });
  return out;
}

model::Gap reconcile(const ProcessView& view, const HeapObservation& obs) {
  const auto classes = classify(view, obs);
  Residency res = measure(view, classes);
  const std::string allocator = detect_allocator(view, obs);
  const AllocatorState* st = obs.allocator ? &*obs.allocator : nullptr;

  uint64_t heap = res.heap_arenas + res.heap_mmaps;
  std::string heap_parts = "resident " + allocator + " heap " + format_size(res.heap_arenas) + " (brk + arenas)";
  // Large chunks known only as a total (no address ranges): they are anonymous mappings,
  // so move that much from anon.other into the heap.
  uint64_t mmap_known = obs.probes_ran ? obs.live_tracked_mmap : 0;
  if (st) mmap_known = std::max(mmap_known, st->mmapped);
  if (res.heap_mmaps == 0 && mmap_known > 0) {
    uint64_t take = std::min(mmap_known, res.anon_other);
    res.anon_other -= take;
    res.heap_mmaps = take;
    heap += take;
    heap_parts += " + " + format_size(take) + " mmapped chunks (by total, not address)";
  } else if (res.heap_mmaps) {
    heap_parts += " + " + format_size(res.heap_mmaps) + " mmapped chunks";
  }

  const uint64_t live = obs.probes_ran ? std::min(obs.live_tracked, heap) : 0;
  uint64_t untracked = 0;
  bool heap_split = true;
  std::string untracked_source;
  if (st) {
    // The allocator counts whole chunks; probes count requested bytes. The difference
    // (header + rounding, ~16 B a chunk on glibc) is allocator overhead, not live data.
    const uint64_t overhead = obs.probes_ran ? obs.live_tracked_objects * kChunkOverhead : 0;
    const uint64_t in_use_all = st->in_use + st->mmapped;
    const uint64_t in_use = in_use_all > overhead ? in_use_all - overhead : 0;
    untracked = in_use > live ? std::min(in_use - live, heap - live) : 0;
    untracked_source = st->source + ": in-use " + format_size(in_use_all) +
                       (overhead ? " minus ~" + format_size(overhead) + " chunk overhead" : "") +
                       (obs.probes_ran ? " minus heap.live" : "");
  } else if (!obs.probes_ran) {
    // Pages the allocator gave back with MADV_FREE are still resident but certainly
    // free; the rest cannot be divided without the allocator's state.
    untracked = heap - std::min(res.heap_lazy_free, heap);
    heap_split = false;
    untracked_source = allocator == "glibc"
                           ? "not split: glibc state unreadable (install libc6-dbg), so all resident heap is here"
                           : "not split: " + allocator + " state not readable from outside, so all resident heap (" +
                                 allocator + "'s anonymous mappings) is here";
  } else {
    untracked_source = "unknown without allocator state; pre-attach live heap is inside heap.free";
  }
  const uint64_t free_bytes = heap - live - untracked;
  if (!heap_split && res.heap_lazy_free) heap_parts += "; " + format_size(res.heap_lazy_free) + " given back (MADV_FREE)";

  model::Gap gap;
  gap.rss = view.rollup_rss ? view.rollup_rss : res.total;
  gap.profiled = live;
  std::string live_source = obs.probes_ran ? obs.live_source : "no probes ran (--no-probes)";
  gap.categories.push_back(category(kHeapLive, live, live_source));
  gap.categories.push_back(category(kHeapUntracked, untracked, untracked_source));
  gap.categories.push_back(category(kHeapFree, free_bytes, heap_parts + " minus live and untracked"));
  gap.categories.push_back(category(kStacksThreads, res.stacks,
                                    "smaps: [stack] + " + std::to_string(res.thread_stacks) + " thread stacks of " +
                                        std::to_string(view.threads.size()) + " threads"));
  gap.categories.push_back(category(kAnonOther, res.anon_other, "smaps: private anonymous mappings not claimed above"));
  std::string largest;
  if (auto files = file_breakdown(view, classes); !files.empty() && files[0].rss > 0) {
    const std::string& p = files[0].path;
    largest = " (largest " + basename_of(p) + " " + format_size(files[0].rss) + ")";
  }
  gap.categories.push_back(category(kFileMapped, res.modules + res.mapped_files + res.kernel,
                                    "smaps: modules " + format_size(res.modules) + ", mapped files " +
                                        format_size(res.mapped_files) + largest));
  gap.categories.push_back(category(kShmem, res.shmem, "smaps: shared anonymous, memfd, SysV, /dev/shm mappings"));

  uint64_t sum = 0;
  for (const auto& c : gap.categories) sum += c.bytes;
  gap.unexplained = static_cast<int64_t>(gap.rss) - static_cast<int64_t>(sum);
  gap.explanation = explain(gap, obs, heap_split);
  return gap;
}

}  // namespace memgap::analyze
