#include "pipeline/attach_session.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <unordered_map>
#include <memory>
#include <thread>

#include "analyze/growth.h"
#include "analyze/rank.h"
#include "collect/probe_plan.h"
#include "collect/proc_source.h"
#include "collect/sampler.h"
#include "collect/target.h"
#include "collect/tracer.h"
#include "pipeline/memory_rollup.h"
#include "symbolize/symbolizer.h"
#include "symbolize/unwinder.h"

namespace memgap::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

bool process_alive(int pid, const collect::ProcSource& proc) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  auto stat = proc.read(pid, "stat");
  if (!stat) return false;
  auto close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || ((*stat)[close + 2] != 'Z' && (*stat)[close + 2] != 'X');
}

// Keeps per-stack live bytes at each series point, so that growth per site can be fitted.
// Bounded: past kMaxPoints the series is halved (every other point kept).
class SeriesRecorder {
 public:
  static constexpr size_t kMaxPoints = 512;

  void record(uint64_t t_ms, uint64_t rss, const collect::Sampler& sampler) {
    points_.push_back(model::SeriesPoint{t_ms, rss, to_u64(sampler.live_bytes()), to_u64(sampler.live_objects())});
    const auto& stats = sampler.stats();
    if (per_stack_.size() < stats.size()) per_stack_.resize(stats.size());
    for (size_t i = 0; i < stats.size(); ++i) {
      auto& v = per_stack_[i];
      // A stack first seen now gets zeros for the points before it existed.
      v.resize(points_.size() - 1, 0);
      v.push_back(to_u64(stats[i].live_bytes));
    }
    if (points_.size() > kMaxPoints) halve();
  }
  const std::vector<model::SeriesPoint>& points() const { return points_; }
  std::vector<uint64_t> stack_series(size_t id) const {
    if (id >= per_stack_.size()) return {};
    auto v = per_stack_[id];
    v.resize(points_.size(), v.empty() ? 0 : v.back());
    return v;
  }
  static uint64_t to_u64(double d) { return d <= 0 ? 0 : static_cast<uint64_t>(d + 0.5); }

 private:
  void halve() {
    auto keep_even = [](auto& v) {
      size_t j = 0;
      for (size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
      v.resize(j);
    };
    keep_even(points_);
    for (auto& v : per_stack_) keep_even(v);
  }
  std::vector<model::SeriesPoint> points_;
  std::vector<std::vector<uint64_t>> per_stack_;
};

struct Session {
  const AttachOptions& opt;
  collect::RealProcSource proc;
  collect::Target target;
  bool target_is_go = false;
  model::Meta meta;
  std::unique_ptr<collect::Sampler> sampler;
  std::unique_ptr<collect::Tracer> tracer;
  symbolize::Symbolizer symbolizer;
  symbolize::Unwinder unwinder{symbolizer};
  // Stack copies wait here (by tid) for the allocation event of the same call.
  std::unordered_map<uint32_t, std::vector<uint8_t>> pending_stacks;
  uint64_t unwind_stops[4] = {};  // by symbolize::UnwindStop
  SeriesRecorder series;
  Clock::time_point t0;

  explicit Session(const AttachOptions& o) : opt(o) {}

  // Ring-buffer records arrive here: a stack copy is kept until its allocation arrives
  // (same tid and seq), then unwound; without one, the frame-pointer frames are used.
  void on_record(const void* data, size_t size) {
    uint32_t kind = *static_cast<const uint32_t*>(data);
    if (kind == MG_EV_STACK && size >= sizeof(memgap_stack_event)) {
      const auto* se = static_cast<const memgap_stack_event*>(data);
      if (pending_stacks.size() > 4096) pending_stacks.clear();  // orphans of failed calls
      auto& buf = pending_stacks[se->tid];
      buf.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + sizeof(memgap_stack_event));
      return;
    }
    if (size < offsetof(memgap_event, frames)) return;
    const auto& e = *static_cast<const memgap_event*>(data);
    if (e.kind == MG_EV_ALLOC) {
      auto it = pending_stacks.find(e.tid);
      if (it != pending_stacks.end()) {
        const auto* se = reinterpret_cast<const memgap_stack_event*>(it->second.data());
        if (se->seq == e.seq) {
          symbolize::Unwound u = unwinder.unwind(*se);
          unwind_stops[static_cast<int>(u.stop)]++;
          pending_stacks.erase(it);
          // A one-frame result means CFI failed at once: the frame-pointer walk may do better.
          if (u.pcs.size() >= 2 || e.nframes <= 2) {
            sampler->on_event(e, &u.pcs);
            return;
          }
        }
      }
    }
    sampler->on_event(e);
  }

  void fill_counters() {
    if (!tracer) return;
    auto c = tracer->counters();
    meta.probe_hits = c[MG_CNT_CALLS] + c[MG_CNT_FREE_CALLS];
    meta.drops.live_map_full = c[MG_CNT_LIVE_MAP_FULL];
    meta.drops.events_lost = c[MG_CNT_EVENTS_LOST];
    meta.drops.stacks_lost = c[MG_CNT_STACKS_LOST];
    meta.drops.unmatched_returns = c[MG_CNT_UNMATCHED_RETURNS];
    using symbolize::UnwindStop;
    meta.drops.stacks_truncated = unwind_stops[static_cast<int>(UnwindStop::CopyTooShort)] +
                                  unwind_stops[static_cast<int>(UnwindStop::NoCfi)];
  }

  // Why DWARF unwinds stopped early, for the report's notes.
  void note_truncations() {
    using symbolize::UnwindStop;
    for (UnwindStop why : {UnwindStop::CopyTooShort, UnwindStop::NoCfi, UnwindStop::MaxFrames})
      if (uint64_t n = unwind_stops[static_cast<int>(why)])
        meta.notes.push_back(std::to_string(n) + " stacks truncated: " + symbolize::unwind_stop_name(why));
  }

  model::Snapshot build(bool alive) {
    model::Snapshot s;
    s.meta = meta;
    s.meta.duration_ms = ms_since(t0);
    if (alive) {
      if (auto mem = read_memory_rollup(proc, opt.pid)) s.memory = *mem;
    }
    s.series = series.points();
    if (s.memory.rollup.empty() && !s.series.empty()) s.memory.rollup["Rss"] = s.series.back().rss;
    if (sampler) {
      s.meta.samples = sampler->samples();
      const auto& stats = sampler->stats();
      const auto& stacks = sampler->stacks();
      for (size_t i = 0; i < stats.size(); ++i) {
        model::Site site;
        site.live_bytes = SeriesRecorder::to_u64(stats[i].live_bytes);
        site.live_objects = SeriesRecorder::to_u64(stats[i].live_objects);
        site.alloc_bytes = SeriesRecorder::to_u64(stats[i].alloc_bytes);
        site.alloc_objects = SeriesRecorder::to_u64(stats[i].alloc_objects);
        if (site.live_bytes == 0 && site.alloc_bytes == 0) continue;
        site.frames = symbolizer.resolve_stack(stacks[i].pcs);
        site.live_series = series.stack_series(i);
        s.sites.push_back(std::move(site));
      }
    }
    s.gap.rss = s.memory.rss();
    for (const auto& site : s.sites) s.gap.profiled += site.live_bytes;
    s.gap.unexplained = static_cast<int64_t>(s.gap.rss);
    analyze::merge_same_source_sites(s.sites);
    analyze::compute_growth(s);
    analyze::rank_sites(s.sites);
    return s;
  }
};

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string kernel_release() {
  utsname u{};
  uname(&u);
  return u.release;
}

}  // namespace

Result<model::Snapshot> run_attach(const AttachOptions& opt) {
  Session s(opt);
  auto target = collect::inspect_target(opt.pid, s.proc);
  if (!target) return target.error();
  s.target = std::move(*target);

  auto& m = s.meta;
  m.tool_version = MEMGAP_VERSION_STRING;
  m.command = opt.command;
  m.pid = opt.pid;
  m.exe = s.target.exe;
  m.comm = s.target.comm;
  m.hostname = hostname();
  m.kernel = kernel_release();
  m.mode = opt.no_probes ? "rss-only" : "alloc";
  m.unwind = "";
  m.sample_bytes = opt.no_probes ? 0 : opt.sample_bytes;
  m.started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();

  if (!opt.no_probes) {
    if (auto priv = collect::check_bpf_privileges(); !priv) return priv.error();
    auto plan = collect::plan_allocator_probes(s.target);
    if (!plan) return plan.error();
    m.allocator = plan->allocator;
    s.sampler = std::make_unique<collect::Sampler>(opt.sample_bytes);
    collect::TracerConfig cfg;
    cfg.pid = opt.pid;
    cfg.sample_bytes = opt.sample_bytes;
    // Frame pointers suffice for Go (which keeps them); C and C++ code from Debian and
    // most -O2 builds has none, so sampled stacks are copied and unwound with CFI.
    m.unwind = opt.unwind == "auto" ? (s.target_is_go ? "fp" : "dwarf") : opt.unwind;
    if (m.unwind == "dwarf") cfg.stack_bytes = opt.stack_copy_bytes;
    Session* session = &s;
    auto tracer = collect::Tracer::open(cfg, [session](const void* d, size_t n) { session->on_record(d, n); });
    if (!tracer) return tracer.error();
    s.tracer = std::move(*tracer);
    // Open the modules before attaching: they must be readable even if the target dies.
    s.symbolizer.add_modules(s.target.modules);
    if (auto st = s.tracer->attach(*plan); !st) return st.error();
    m.probes_attached = s.tracer->attached();
    for (const auto& alias : plan->aliases_skipped) spdlog::debug("alias probed once: {}", alias);
  }

  s.t0 = Clock::now();
  if (opt.on_attached) {
    model::Snapshot hello;
    hello.meta = m;
    opt.on_attached(hello);
  }

  bool alive = true;
  uint64_t next_tick = 0, next_interval = opt.interval_ms;
  constexpr uint64_t kTickMs = 1000;
  for (;;) {
    uint64_t now = ms_since(s.t0);
    if (now >= next_tick) {
      uint64_t rss = 0;
      if (auto mem = read_memory_rollup(s.proc, opt.pid)) rss = mem->rss();
      if (s.sampler) s.series.record(now, rss, *s.sampler);
      else s.series.record(now, rss, collect::Sampler(1));
      next_tick = now + kTickMs;
    }
    if (opt.stop && opt.stop->load()) break;
    if (opt.duration_ms && now >= opt.duration_ms) break;
    if (!process_alive(opt.pid, s.proc)) {
      alive = false;
      break;
    }
    if (opt.interval_ms && now >= next_interval && opt.on_interval) {
      s.fill_counters();
      opt.on_interval(s.build(true));
      next_interval += opt.interval_ms;
    }
    if (s.tracer) s.tracer->poll(100);
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  uint64_t end_ms = ms_since(s.t0);
  if (s.tracer) {
    // Freeze first so the slow detach cannot skew the result, drain what is buffered,
    // re-read the maps for modules loaded during the window while the target lives.
    s.tracer->freeze();
    while (s.tracer->poll(0) > 0) {
    }
    s.fill_counters();
    if (alive) {
      if (auto maps = collect::read_maps(s.proc, opt.pid))
        s.symbolizer.add_modules(collect::modules_from_maps(opt.pid, *maps));
    }
    s.tracer->detach();
    s.note_truncations();
  }
  if (alive) alive = process_alive(opt.pid, s.proc);
  if (!alive) {
    m.target_exited = true;
    m.notes.push_back("target exited after " + std::to_string(end_ms) + "ms; report covers what was seen until then");
  }
  {
    uint64_t rss = 0;
    if (alive) {
      if (auto mem = read_memory_rollup(s.proc, opt.pid)) rss = mem->rss();
    } else if (!s.series.points().empty()) {
      rss = s.series.points().back().rss;
    }
    if (s.sampler) s.series.record(end_ms, rss, *s.sampler);
  }
  model::Snapshot snap = s.build(alive);
  snap.meta.duration_ms = end_ms;
  return snap;
}

}  // namespace memgap::pipeline
