#include "pipeline/gap.h"

#include <algorithm>

#include "analyze/classify.h"
#include "runtime/glibc/arena_reader.h"

namespace memgap::pipeline {
namespace {

std::optional<analyze::AllocatorState> glibc_state(int pid, const collect::ProcessMemory& pm,
                                                   std::vector<std::string>& notes) {
  std::vector<collect::Mapping> maps;
  std::vector<runtime::glibc::Range> resident;
  maps.reserve(pm.mappings.size());
  for (const auto& e : pm.mappings) {
    maps.push_back(e.map);
    if (e.map.path.empty() && e.get("Rss") > 0) resident.push_back({e.map.start, e.map.end});
  }
  auto st = runtime::glibc::read_glibc_arenas(pid, maps, &resident);
  if (!st) {
    notes.push_back("glibc heap state unavailable: " + st.error().message +
                    (st.error().hint.empty() ? "" : " (" + st.error().hint + ")"));
    return std::nullopt;
  }
  if (st->truncated) notes.push_back("glibc bin walk incomplete (heap changed while reading); free figure is a lower bound");
  analyze::AllocatorState a;
  a.allocator = "glibc";
  a.source = st->source;
  // Chunks in per-thread caches are free memory, though malloc counts them as in use.
  const uint64_t cached = std::min(st->tcache_free, st->in_use);
  a.in_use = st->in_use - cached;
  a.free = st->free + cached;
  a.system = st->system;
  a.mmapped = st->mmapped;
  a.mmapped_count = st->mmapped_count;
  a.arenas = st->arenas;
  for (const auto& r : st->arena_heaps) a.arena_heaps.push_back({r.start, r.end});
  for (const auto& r : st->mmapped_chunks) a.mmapped_chunks.push_back({r.start, r.end});
  return a;
}

}  // namespace

analyze::ProcessView to_view(const collect::ProcessMemory& pm) {
  analyze::ProcessView v;
  v.pid = pm.pid;
  v.regions.reserve(pm.mappings.size());
  for (const auto& e : pm.mappings) {
    analyze::Region r;
    r.start = e.map.start;
    r.end = e.map.end;
    r.perms = e.map.perms;
    r.path = e.map.path;
    r.deleted = e.map.deleted;
    r.inode = e.map.inode;
    r.rss = e.get("Rss");
    r.anonymous = e.get("Anonymous");
    r.swap = e.get("Swap");
    r.lazy_free = e.get("LazyFree");
    v.regions.push_back(std::move(r));
  }
  auto it = pm.rollup.find("Rss");
  v.rollup_rss = it == pm.rollup.end() ? 0 : it->second;
  v.status_rss_shmem = pm.status.get("RssShmem");
  for (const auto& t : pm.threads) v.threads.push_back({t.tid, t.sp});
  return v;
}

Result<GapReport> explain_rss_report(int pid, const collect::ProcSource& proc, const analyze::HeapObservation& obs,
                                     const GapOptions& opts) {
  auto pm = collect::read_process_memory(proc, pid);
  if (!pm) return pm.error();
  GapReport rep;
  rep.notes = pm->notes;
  rep.memory.rollup = pm->rollup;
  analyze::ProcessView view = to_view(*pm);
  analyze::HeapObservation o = obs;
  rep.allocator = analyze::detect_allocator(view, o);
  // Only the live /proc describes a process whose memory can be read now.
  const bool read_state =
      opts.read_allocator_state.value_or(dynamic_cast<const collect::RealProcSource*>(&proc) != nullptr);
  if (!o.allocator && read_state && rep.allocator == "glibc")
    o.allocator = glibc_state(pid, *pm, rep.notes);
  rep.gap = analyze::reconcile(view, o);
  const auto classes = analyze::classify(view, o);
  rep.residency = analyze::measure(view, classes);
  rep.files = analyze::file_breakdown(view, classes);
  return rep;
}

Result<model::Gap> explain_rss(int pid, const collect::ProcSource& proc, const analyze::HeapObservation& obs,
                               const GapOptions& opts) {
  auto r = explain_rss_report(pid, proc, obs, opts);
  if (!r) return r.error();
  return std::move(r->gap);
}

}  // namespace memgap::pipeline
