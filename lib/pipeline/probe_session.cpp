#include "pipeline/probe_session.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "collect/elf_symbols.h"
#include "collect/maps.h"
#include "collect/probe_plan.h"
#include "util/path.h"

namespace memgap::pipeline {
namespace {

uint64_t to_u64(double d) { return d <= 0 ? 0 : static_cast<uint64_t>(d + 0.5); }

}  // namespace

Result<std::unique_ptr<ProbeSession>> ProbeSession::start(const collect::Target& target, const ProbeOptions& options,
                                                          model::Meta& meta) {
  if (auto priv = collect::check_bpf_privileges(); !priv) return priv.error();
  auto plan = collect::plan_allocator_probes(target);
  if (!plan) return plan.error();
  std::unique_ptr<ProbeSession> s(new ProbeSession(options));
  meta.allocator = plan->allocator;
  collect::TracerConfig cfg;
  cfg.pid = target.pid;
  cfg.sample_bytes = options.sample_bytes;
  // Frame pointers suffice for Go (which keeps them); C and C++ code from Debian and most
  // -O2 builds has none, so sampled stacks are copied and unwound with CFI.
  meta.unwind = options.unwind == "auto" ? (options.target_is_go ? "fp" : "dwarf") : options.unwind;
  if (meta.unwind == "dwarf") cfg.stack_bytes = options.stack_copy_bytes;
  ProbeSession* self = s.get();
  auto tracer = collect::Tracer::open(cfg, [self](const void* d, size_t n) { self->on_record(d, n); });
  if (!tracer) return tracer.error();
  s->tracer_ = std::move(*tracer);
  s->add_modules(target.modules);
  if (auto st = s->tracer_->attach(*plan); !st) return st.error();
  meta.probes_attached = s->tracer_->attached();
  for (const auto& alias : plan->aliases_skipped) spdlog::debug("alias probed once: {}", alias);
  return s;
}

// An allocation record with a stack copy is unwound with CFI; without one (or when CFI
// fails at once) the frame-pointer frames the record carries are used.
void ProbeSession::on_record(const void* data, size_t size) {
  if (size < offsetof(memgap_event, frames)) return;
  const auto& e = *static_cast<const memgap_event*>(data);
  if (e.kind == MG_EV_ALLOC && size >= sizeof(memgap_alloc_stack_event)) {
    const auto& r = *static_cast<const memgap_alloc_stack_event*>(data);
    symbolize::StackCopy copy{e.tid, reinterpret_cast<const uint64_t*>(r.regs), r.data, r.len};
    auto t0 = std::chrono::steady_clock::now();
    symbolize::Unwound u = unwinder_.unwind(copy);
    auto ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    (u.cached ? unwind_cached_ns_ : unwind_full_ns_) += ns;
    unwind_stops_[static_cast<int>(u.stop)]++;
    if (u.pcs.size() >= 2 || e.nframes <= 2) {
      sampler_.on_event(e, &u.pcs);
      return;
    }
  }
  sampler_.on_event(e);
}

// Modules not mapped yet (planned from a loader's list before it ran) have no address;
// reporting them to libdw at 0 would shadow their real load address later.
void ProbeSession::add_modules(const std::vector<collect::Module>& modules) {
  std::vector<collect::Module> mapped;
  for (const auto& m : modules) {
    if (m.end <= m.start) continue;
    host_paths_.emplace(basename_of(m.path), m.host_path);
    mapped.push_back(m);
  }
  symbolizer_.add_modules(mapped);
}

void ProbeSession::refresh_modules(const collect::ProcSource& proc, int pid) {
  if (auto maps = collect::read_maps(proc, pid)) add_modules(collect::modules_from_maps(pid, *maps));
}

std::vector<model::Module> ProbeSession::modules(const std::vector<model::Site>& sites) const {
  std::set<std::string> named;
  for (const auto& site : sites)
    for (const auto& f : site.frames)
      if (!f.module.empty()) named.insert(f.module);
  std::vector<model::Module> out;
  for (const auto& name : named) {
    auto it = host_paths_.find(name);
    if (it == host_paths_.end()) continue;
    model::Module m;
    m.name = name;
    // host_path is /proc/PID/root/<path>: the path as the target saw it follows "root".
    auto root = it->second.find("/root/");
    m.path = root == std::string::npos ? it->second : it->second.substr(root + 5);
    if (auto syms = collect::ElfSymbols::load(it->second)) m.build_id = syms->build_id();
    out.push_back(std::move(m));
  }
  return out;
}

void ProbeSession::stop(const collect::ProcSource& proc, int pid, bool target_alive) {
  if (stopped_) return;
  finish(proc, pid, target_alive);
  tracer_->detach();
}

void ProbeSession::finish(const collect::ProcSource& proc, int pid, bool target_alive) {
  if (stopped_) return;
  stopped_ = true;
  // Freeze first so the slow detach cannot skew the result, drain what is buffered.
  tracer_->freeze();
  while (tracer_->poll(0) > 0) {
  }
  // A free whose event was lost (ring buffer full) would leave a phantom live object:
  // the kernel's live map, frozen now, says which sampled allocations really are live.
  // The other way round, an allocation whose event was lost is live without a stack: it
  // is counted on a site of its own (no frames) rather than not at all.
  auto kernel_live = tracer_->live_allocations();
  std::unordered_set<uint64_t> still;
  for (const auto& [addr, size] : kernel_live) {
    still.insert(addr);
    if (sampler_.live().count(addr)) continue;
    memgap_event e{};
    e.kind = MG_EV_ALLOC;
    e.fn = MG_FN_MALLOC;
    e.addr = addr;
    e.size = size;
    sampler_.on_event(e);
    ++allocs_recovered_;
  }
  std::vector<uint64_t> gone;
  for (const auto& [addr, sample] : sampler_.live())
    if (!still.count(addr)) gone.push_back(addr);
  for (uint64_t addr : gone) {
    memgap_event e{};
    e.kind = MG_EV_FREE;
    e.fn = MG_FN_FREE;
    e.addr = addr;
    sampler_.on_event(e);
  }
  frees_recovered_ = gone.size();
  if (target_alive) refresh_modules(proc, pid);
}

void ProbeSession::fill_meta(model::Meta& meta) const {
  auto c = tracer_->counters();
  meta.probe_hits = c[MG_CNT_CALLS] + c[MG_CNT_FREE_CALLS];
  meta.samples = sampler_.samples();
  meta.drops.live_map_full = c[MG_CNT_LIVE_MAP_FULL];
  meta.drops.events_lost = c[MG_CNT_EVENTS_LOST];
  meta.drops.stacks_lost = c[MG_CNT_STACKS_LOST];
  meta.drops.unmatched_returns = c[MG_CNT_UNMATCHED_RETURNS];
  using symbolize::UnwindStop;
  meta.drops.stacks_truncated = unwind_stops_[static_cast<int>(UnwindStop::CopyTooShort)] +
                                unwind_stops_[static_cast<int>(UnwindStop::NoCfi)];
  if (!stopped_) return;
  for (UnwindStop why : {UnwindStop::CopyTooShort, UnwindStop::NoCfi, UnwindStop::MaxFrames})
    if (uint64_t n = unwind_stops_[static_cast<int>(why)])
      meta.notes.push_back(std::to_string(n) + " stacks truncated: " + symbolize::unwind_stop_name(why));
  if (allocs_recovered_)
    meta.notes.push_back(std::to_string(allocs_recovered_) +
                         " live allocations whose events were lost are counted without a stack");
  if (frees_recovered_)
    meta.notes.push_back(std::to_string(frees_recovered_) +
                         " frees whose events were lost were taken from the kernel's live map");
  if (sampler_.stacks_dropped())
    meta.notes.push_back(std::to_string(sampler_.stacks_dropped()) + " samples of stacks past the limit counted as one site");
}

std::vector<model::Site> ProbeSession::sites(const SeriesRecorder& series, const std::vector<std::optional<model::LeakKinds>>* kinds) {
  std::vector<model::Site> out;
  const auto& stats = sampler_.stats();
  const auto& stacks = sampler_.stacks();
  for (size_t i = 0; i < stats.size(); ++i) {
    model::Site site;
    site.live_bytes = to_u64(stats[i].live_bytes);
    site.live_objects = to_u64(stats[i].live_objects);
    site.alloc_bytes = to_u64(stats[i].alloc_bytes);
    site.alloc_objects = to_u64(stats[i].alloc_objects);
    if (site.live_bytes == 0 && site.alloc_bytes == 0) continue;
    auto t0 = std::chrono::steady_clock::now();
    site.frames = symbolizer_.resolve_stack(stacks[i].pcs);
    symbolize_ns_ += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    frames_symbolized_ += site.frames.size();
    site.live_series = series.stack_series(i);
    if (kinds && i < kinds->size()) site.leak_kinds = (*kinds)[i];
    out.push_back(std::move(site));
  }
  return out;
}

std::string ProbeSession::cost_summary() const {
  uint64_t full = unwinder_.unwinds(), cached = unwinder_.cache_hits();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "unwound %llu stacks with libdw (%.1f us each) and %llu from the unwind cache (%.2f us each); "
                "symbolized %llu frames in %.1f ms",
                static_cast<unsigned long long>(full), full ? unwind_full_ns_ / 1000.0 / static_cast<double>(full) : 0.0,
                static_cast<unsigned long long>(cached),
                cached ? unwind_cached_ns_ / 1000.0 / static_cast<double>(cached) : 0.0,
                static_cast<unsigned long long>(frames_symbolized_), symbolize_ns_ / 1e6);
  return buf;
}

}  // namespace memgap::pipeline
