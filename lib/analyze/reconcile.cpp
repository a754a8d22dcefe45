#include "analyze/reconcile.h"

#include <algorithm>
#include <string>

#include "util/units.h"

namespace memgap::analyze {
namespace {

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
std::string explain(const model::Gap& gap, const HeapObservation& obs) {
  std::vector<const model::GapCategory*> others;
  for (const auto& c : gap.categories)
    if (c.name != kHeapLive && c.bytes > 0) others.push_back(&c);
  std::sort(others.begin(), others.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
  auto phrase = [](const model::GapCategory& c) {
    std::string what = c.name == kHeapFree        ? "allocator free space and fragmentation"
                       : c.name == kHeapUntracked ? "heap allocated before attach"
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
      case RegionKind::AllocatorHeap: r.heap_arenas += reg.rss; break;
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
  std::string untracked_source;
  if (st) {
    const uint64_t in_use = st->in_use + st->mmapped;
    untracked = in_use > live ? std::min(in_use - live, heap - live) : 0;
    untracked_source = st->source + ": in-use " + format_size(in_use) + (obs.probes_ran ? " minus heap.live" : "");
  } else if (!obs.probes_ran) {
    untracked = heap;
    untracked_source = "not split: allocator state unavailable, so all resident heap is counted here";
  } else {
    untracked_source = "unknown without allocator state; pre-attach live heap is inside heap.free";
  }
  const uint64_t free_bytes = heap - live - untracked;

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
  gap.categories.push_back(category(kFileMapped, res.modules + res.mapped_files + res.kernel,
                                    "smaps: modules " + format_size(res.modules) + ", mapped files " +
                                        format_size(res.mapped_files)));
  gap.categories.push_back(category(kShmem, res.shmem, "smaps: shared anonymous, memfd, SysV, /dev/shm mappings"));

  uint64_t sum = 0;
  for (const auto& c : gap.categories) sum += c.bytes;
  gap.unexplained = static_cast<int64_t>(gap.rss) - static_cast<int64_t>(sum);
  gap.explanation = explain(gap, obs);
  return gap;
}

}  // namespace memgap::analyze
