#include "pipeline/attach_session.h"

#include "collect/probe_plan.h"
#include "pipeline/exit_reachability.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <thread>

#include "collect/proc_source.h"
#include "collect/proc_stat.h"
#include "collect/target.h"
#include "pipeline/memory_explainer.h"
#include "collect/smaps.h"
#include "pipeline/go_map_session.h"
#include "pipeline/go_probe_session.h"
#include "pipeline/probe_session.h"
#include "pipeline/series_recorder.h"
#include "pipeline/snapshot_builder.h"

namespace memgap::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

}  // namespace

Result<model::Snapshot> run_attach(const AttachOptions& opt) {
  collect::RealProcSource proc;
  auto target = collect::inspect_target(opt.pid, proc);
  if (!target) return target.error();

  model::Meta meta = base_meta(opt.command, *target);
  runtime::go::GoOpenOptions go_open;
  go_open.layout_from = opt.go_layout_from;
  MemoryExplainer explainer(opt.pid, proc, meta, go_open);
  bool no_probes = opt.no_probes;
  std::unique_ptr<ProbeSession> probes;
  if (!no_probes) {
    ProbeOptions po;
    po.sample_bytes = opt.sample_bytes;
    po.unwind = opt.unwind;
    po.stack_copy_bytes = opt.stack_copy_bytes;
    po.target_is_go = explainer.is_go();
    auto started = ProbeSession::start(*target, po, meta);
    if (started) {
      probes = std::move(*started);
    } else if (explainer.is_go() && started.error().kind != ErrorKind::kPermission) {
      // A pure Go binary has no malloc to probe: its memory is explained from the
      // runtime's own state instead. Missing privileges are an error for any target.
      no_probes = true;
      meta.notes.push_back("no allocator probes: " + started.error().message +
                           "; the Go runtime's own accounting explains the heap");
    } else {
      return started.error();
    }
  }
  meta.mode = no_probes ? "rss-only" : "alloc";
  meta.sample_bytes = no_probes ? 0 : opt.sample_bytes;
  const uint64_t probe_sample_bytes = probes ? opt.sample_bytes : 0;
  // Go allocation sites come from the runtime's own sampling (no probe); libc probes, if
  // any, stay on for cgo memory. Failing to read the profile is a note, not an error.
  std::unique_ptr<GoProbeSession> go_sites;
  if (explainer.is_go() && !opt.no_probes) {
    GoProbeOptions go;
    go.enable_profiling = opt.go_enable_profiling;
    go.probe = opt.go_probe;
    go.sample_bytes = opt.sample_bytes;
    go.reader = explainer.go_reader();
    auto started = GoProbeSession::start(opt.pid, proc, go, meta);
    if (started) go_sites = std::move(*started);
    else if (!opt.go_probe.empty() || started.error().kind == ErrorKind::kPermission) return started.error();
    else meta.notes.push_back("no Go allocation sites: " + started.error().message);
  }
  std::unique_ptr<GoMapSession> go_maps;
  if (go_sites) {
    auto started = GoMapSession::start(go_sites->reader(), opt.pid, GoMapOptions{opt.go_maps});
    if (started) go_maps = std::move(*started);
    else meta.notes.push_back("no Go map probes: " + started.error().message);
  }
  explainer.window_started();

  const auto t0 = Clock::now();
  if (opt.on_attached) {
    model::Snapshot hello;
    hello.meta = meta;
    opt.on_attached(hello);
  }

  SeriesRecorder series;
  const collect::Sampler* sampler = probes ? &probes->sampler() : nullptr;
  std::vector<std::optional<model::LeakKinds>> kinds;  // per sampler stack, once the reachability scan ran
  std::optional<model::Reachability> reach;
  auto snapshot_now = [&](bool alive) {
    model::Snapshot s;
    s.meta = meta;
    s.meta.duration_ms = ms_since(t0);
    if (probes) probes->fill_meta(s.meta);
    if (go_sites) {
      s.meta.probes_attached += go_sites->probes_attached();
      s.meta.probe_hits += go_sites->probe_hits();
      s.meta.drops.stacks_lost += go_sites->probe_stacks_lost();
    }
    if (go_maps) {
      s.meta.probes_attached += go_maps->attached();
      s.meta.probe_hits += go_maps->hits();
      s.meta.drops.stacks_lost += go_maps->stacks_lost();
    }
    s.series = series.points();
    if (probes) {
      s.sites = probes->sites(series, reach ? &kinds : nullptr);
      s.modules = probes->modules(s.sites);  // build ids, for pprof and matching builds
    }
    if (go_sites && alive) {
      if (auto g = go_sites->sites()) s.sites.insert(s.sites.end(), g->begin(), g->end());
      else s.meta.notes.push_back("Go heap profile not read: " + g.error().message);
    }
    if (alive) explainer.explain(s, sampler, probe_sample_bytes);
    if (go_maps && alive && s.go) go_maps->fill(*s.go);
    if (s.memory.rollup.empty() && !s.series.empty()) s.memory.rollup["Rss"] = s.series.back().rss;
    s.reachability = reach;
    finish_snapshot(s);
    if (!alive && s.gap.categories.empty())
      s.gap.unexplained = static_cast<int64_t>(s.gap.rss);  // nothing left to read: all unexplained
    return s;
  };

  bool alive = true;
  uint64_t next_tick = 0, next_interval = opt.interval_ms;
  constexpr uint64_t kTickMs = 1000;
  for (;;) {
    uint64_t now = ms_since(t0);
    if (now >= next_tick) {
      series.record(now, collect::current_rss(proc, opt.pid), sampler);
      next_tick = now + kTickMs;
    }
    if (opt.stop && opt.stop->load()) break;
    if (opt.duration_ms && now >= opt.duration_ms) break;
    if (!collect::process_alive(proc, opt.pid)) {
      alive = false;
      break;
    }
    if (opt.interval_ms && now >= next_interval && opt.on_interval) {
      opt.on_interval(snapshot_now(true));
      next_interval += opt.interval_ms;
    }
    if (probes) probes->poll(100);
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  uint64_t end_ms = ms_since(t0);
  // The window ends here. An exit during the ~1 s detach that follows is after the window
  // and does not make the report partial.
  uint64_t end_rss = alive ? collect::current_rss(proc, opt.pid) : (series.points().empty() ? 0 : series.points().back().rss);
  if (probes) probes->stop(proc, opt.pid, alive);
  if (go_maps) go_maps->stop();
  if (go_sites) go_sites->stop();
  if (!alive) {
    meta.target_exited = true;
    meta.notes.push_back("target exited after " + std::to_string(end_ms) + "ms; report covers what was seen until then");
  }
  series.record(end_ms, end_rss, sampler);
  if (opt.reachability && alive) {
    collect::Sampler none(opt.sample_bytes);
    // The allocator the probes would use (with --no-probes nothing has named it yet).
    std::string allocator = meta.allocator;
    if (allocator.empty())
      if (auto plan = collect::plan_allocator_probes(*target)) allocator = plan->allocator;
    auto scan = scan_live(opt.pid, proc, allocator, sampler ? *sampler : none,
                          std::chrono::milliseconds(opt.max_pause_ms));
    if (scan) {
      reach = scan->summary;
      reach->leak_kinds = {"direct", "indirect"};
      if (sampler) kinds = leak_kinds_by_stack(*scan, *sampler);
      for (auto& n : scan->notes) meta.notes.push_back(std::move(n));
    } else {
      meta.notes.push_back("no reachability scan: " + scan.error().message +
                           (scan.error().hint.empty() ? "" : " (" + scan.error().hint + ")"));
    }
  }
  model::Snapshot snap = snapshot_now(alive && collect::process_alive(proc, opt.pid));
  if (probes) spdlog::debug("{}", probes->cost_summary());
  snap.meta.duration_ms = end_ms;
  if (snap.memory.rollup.empty()) snap.memory.rollup["Rss"] = end_rss;
  return snap;
}

}  // namespace memgap::pipeline
