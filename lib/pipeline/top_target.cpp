#include "pipeline/top_target.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "collect/proc_stat.h"
#include "collect/target.h"
#include "collect/smaps.h"
#include "pipeline/snapshot_builder.h"
#include "util/cpu_time.h"

namespace memgap::pipeline {
namespace {

// utime + stime of a process from /proc/PID/stat, in ms; 0 when unreadable.
double process_cpu_ms(const collect::ProcSource& proc, int pid) {
  auto text = proc.read(pid, "stat");
  if (!text) return 0;
  auto st = collect::parse_stat(*text);
  if (!st) return 0;
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(st->utime + st->stime) * 1000.0 / static_cast<double>(hz > 0 ? hz : 100);
}

}  // namespace

Result<std::unique_ptr<TargetTop>> TargetTop::start(const TargetTopOptions& options) {
  std::unique_ptr<TargetTop> t(new TargetTop());
  t->opt_ = options;
  auto target = collect::inspect_target(options.pid, t->proc_);
  if (!target) return target.error();
  t->meta_ = base_meta("top", *target);
  t->meta_.mode = "alloc";
  t->meta_.sample_bytes = options.sample_bytes;
  t->explainer_ = std::make_unique<MemoryExplainer>(options.pid, t->proc_, t->meta_);
  ProbeOptions po;
  po.sample_bytes = options.sample_bytes;
  po.unwind = options.unwind;
  po.stack_copy_bytes = options.stack_copy_bytes;
  po.target_is_go = t->explainer_->is_go();
  auto started = ProbeSession::start(*target, po, t->meta_);
  if (started) {
    t->probes_ = std::move(*started);
  } else if (t->explainer_->is_go()) {
    // A pure Go binary has no malloc to probe (as in attach): the runtime's own
    // accounting explains its memory and its own profile names the sites.
    t->meta_.mode = "rss-only";
    t->meta_.sample_bytes = 0;
    t->meta_.notes.push_back("no allocator probes: " + started.error().message +
                             "; the Go runtime's own accounting explains the heap");
  } else {
    return started.error();
  }
  if (t->explainer_->is_go()) {
    GoProbeOptions go;
    go.sample_bytes = options.sample_bytes;
    go.reader = t->explainer_->go_reader();  // the binary is read once
    auto g = GoProbeSession::start(options.pid, t->proc_, go, t->meta_);
    if (g) t->go_sites_ = std::move(*g);
    else t->meta_.notes.push_back("no Go allocation sites: " + g.error().message);
  }
  t->explainer_->window_started();
  t->t0_ = std::chrono::steady_clock::now();
  t->cost_self_ms_ = own_cpu_ms();
  t->cost_target_ms_ = process_cpu_ms(t->proc_, options.pid);
  return t;
}

TargetTop::~TargetTop() { stop(); }

uint64_t TargetTop::now_ms() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0_).count());
}

bool TargetTop::target_alive() const { return collect::process_alive(proc_, opt_.pid); }

const collect::Sampler* TargetTop::sampler() const { return probes_ ? &probes_->sampler() : nullptr; }

void TargetTop::poll(int timeout_ms) {
  const uint64_t now = now_ms();
  if (!stopped_ && now >= next_tick_ms_) {
    series_.record(now, collect::current_rss(proc_, opt_.pid), sampler());
    next_tick_ms_ = now + 1000;
  }
  if (stopped_) return;
  if (probes_) probes_->poll(timeout_ms);
  else std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));  // nothing to drain
}

void TargetTop::fill_counters(model::Meta& m) const {
  if (probes_) probes_->fill_meta(m);
  if (go_sites_) {
    m.probes_attached += go_sites_->probes_attached();
    m.probe_hits += go_sites_->probe_hits();
  }
}

model::Snapshot TargetTop::frame() {
  model::Snapshot s;
  s.meta = meta_;
  s.meta.duration_ms = now_ms();
  fill_counters(s.meta);
  // A point now, so the newest bytes are in the sparklines and the growth fit.
  uint64_t rss = 0;
  if (!stopped_) {
    rss = collect::current_rss(proc_, opt_.pid);
    series_.record(s.meta.duration_ms, rss, sampler());
    next_tick_ms_ = s.meta.duration_ms + 1000;
  }
  s.series = series_.points();
  if (probes_) s.sites = probes_->sites(series_);
  if (go_sites_ && !stopped_) {
    if (auto g = go_sites_->sites()) s.sites.insert(s.sites.end(), g->begin(), g->end());
    else s.meta.notes.push_back("Go heap profile not read: " + g.error().message);
  }
  explainer_->explain(s, sampler(), probes_ ? opt_.sample_bytes : 0);
  if (s.memory.rollup.empty() && rss) s.memory.rollup["Rss"] = rss;
  finish_snapshot(s);
  return s;
}

WatchCost TargetTop::cost() {
  WatchCost c;
  const uint64_t now = now_ms();
  model::Meta m;
  fill_counters(m);
  const double self = own_cpu_ms(), target = process_cpu_ms(proc_, opt_.pid);
  const double dt_ms = static_cast<double>(now - cost_t_ms_);
  if (dt_ms > 0) {
    c.probe_hits_per_s = static_cast<double>(m.probe_hits - cost_hits_) * 1000.0 / dt_ms;
    c.samples_per_s = static_cast<double>(m.samples - cost_samples_) * 1000.0 / dt_ms;
    c.memgap_cpu_percent = (self - cost_self_ms_) * 100.0 / dt_ms;
    c.target_cpu_percent = target > 0 ? (target - cost_target_ms_) * 100.0 / dt_ms : 0;
  }
  cost_t_ms_ = now;
  cost_hits_ = m.probe_hits;
  cost_samples_ = m.samples;
  cost_self_ms_ = self;
  if (target > 0) cost_target_ms_ = target;
  return c;
}

void TargetTop::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (go_sites_) go_sites_->stop();
  if (probes_) probes_->stop(proc_, opt_.pid, target_alive());
}

}  // namespace memgap::pipeline
