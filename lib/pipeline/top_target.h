// `memgap top PID`: allocator probes on one process as in attach, kept running while a
// live view is refreshed: sites by live bytes with their series (sparklines, growth),
// the gap with what the probes saw, and the cost of watching (probe hits, drops, CPU).
// stop() — or the destructor, on every other exit path — freezes and detaches.
// A Go program is watched as attach watches it: its sites come from the runtime's own
// heap profile read from its memory (no probe), and a Go program without libc gets no
// allocator probes at all; its gap has the go.* rows of every Go release memgap reads.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "collect/proc_source.h"
#include "model/snapshot.h"
#include "pipeline/go_probe_session.h"
#include "pipeline/memory_explainer.h"
#include "pipeline/probe_session.h"
#include "pipeline/series_recorder.h"
#include "util/result.h"

namespace memgap::pipeline {

struct TargetTopOptions {
  int pid = 0;
  uint64_t sample_bytes = 512 * 1024;
  std::string unwind = "auto";
  uint32_t stack_copy_bytes = 16384;
};

// What watching costs, over the last refresh interval.
struct WatchCost {
  double probe_hits_per_s = 0;
  double samples_per_s = 0;
  double memgap_cpu_percent = 0;  // this process, of one core
  double target_cpu_percent = 0;  // the target, of one core (uprobe handling counts here)
};

class TargetTop {
 public:
  static Result<std::unique_ptr<TargetTop>> start(const TargetTopOptions& options);
  ~TargetTop();

  // Waits up to timeout_ms for probe records; records a series point every second.
  void poll(int timeout_ms);
  bool target_alive() const;
  // The view now: meta, memory, gap (probes' live heap included), ranked sites, series.
  model::Snapshot frame();
  // Cost since the previous call.
  WatchCost cost();
  // Freeze, drain, detach. Idempotent.
  void stop();
  const model::Meta& meta() const { return meta_; }

 private:
  TargetTop() = default;
  uint64_t now_ms() const;
  const collect::Sampler* sampler() const;  // null without allocator probes
  void fill_counters(model::Meta& m) const;  // probes attached and hit, of both kinds

  collect::RealProcSource proc_;
  TargetTopOptions opt_;
  model::Meta meta_;
  std::unique_ptr<ProbeSession> probes_;       // null for a Go program without libc
  std::unique_ptr<GoProbeSession> go_sites_;  // Go programs: the runtime's heap profile
  SeriesRecorder series_;
  std::unique_ptr<MemoryExplainer> explainer_;  // gap + Go section, as attach explains it
  std::chrono::steady_clock::time_point t0_;
  uint64_t next_tick_ms_ = 0;
  bool stopped_ = false;
  // For cost(): values at the previous call.
  uint64_t cost_t_ms_ = 0, cost_hits_ = 0, cost_samples_ = 0;
  double cost_self_ms_ = 0, cost_target_ms_ = 0;
};

}  // namespace memgap::pipeline
