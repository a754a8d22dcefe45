// Allocator probes on one process, from attach to detach: plans and attaches the probes,
// turns ring-buffer records into samples (unwinding copied stacks), and at the end
// symbolizes the stacks into sites. Shared by `attach`, `run` and `top PID`.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/proc_source.h"
#include "collect/sampler.h"
#include "collect/target.h"
#include "collect/tracer.h"
#include "model/snapshot.h"
#include "pipeline/series_recorder.h"
#include "symbolize/symbolizer.h"
#include "symbolize/unwinder.h"
#include "util/result.h"

namespace memgap::pipeline {

struct ProbeOptions {
  uint64_t sample_bytes = 512 * 1024;
  std::string unwind = "auto";  // fp, dwarf, auto
  uint32_t stack_copy_bytes = 16384;
  bool target_is_go = false;
};

class ProbeSession {
 public:
  // Plans the allocator probes of `target`, opens its modules (so they stay readable if
  // it exits), attaches. Sets meta.allocator, meta.unwind, meta.probes_attached.
  static Result<std::unique_ptr<ProbeSession>> start(const collect::Target& target, const ProbeOptions& options,
                                                     model::Meta& meta);

  // Waits up to timeout_ms for records and processes them.
  void poll(int timeout_ms) { tracer_->poll(timeout_ms); }
  // Waits for records without handling them (see Tracer::wait).
  bool wait(int timeout_ms) { return tracer_->wait(timeout_ms); }
  const collect::Sampler& sampler() const { return sampler_; }

  // Ends recording: freeze, drain, read the maps again for modules loaded during the
  // window (only while the target lives), detach.
  void stop(const collect::ProcSource& proc, int pid, bool target_alive);
  // stop() in two halves, for `run`: finish() while the target is held at its exit (fast),
  // detach() once it has been let go (~1 s for a dozen uprobes).
  void finish(const collect::ProcSource& proc, int pid, bool target_alive);
  void detach() { tracer_->detach(); }

  // Reads the maps and reports modules mapped since (a process started at its exec maps
  // its libraries after the probes are attached; their samples need them to unwind).
  void refresh_modules(const collect::ProcSource& proc, int pid);

  // Probe counters and drop reasons into meta (and notes once stopped).
  void fill_meta(model::Meta& meta) const;
  // Sites with symbolized frames and their live series; unranked. `kinds`, when given,
  // holds the leak kinds of each of the sampler's stacks (a reachability scan at exit).
  std::vector<model::Site> sites(const SeriesRecorder& series, const std::vector<std::optional<model::LeakKinds>>* kinds = nullptr);
  // The modules that frames of `sites` name, with their ELF build ids (for pprof and for
  // finding debug files later).
  std::vector<model::Module> modules(const std::vector<model::Site>& sites) const;

  // "unwound N stacks: X us each (Y% cached); symbolized M frames in Z ms" (debug log).
  std::string cost_summary() const;

 private:
  explicit ProbeSession(const ProbeOptions& options) : options_(options), sampler_(options.sample_bytes) {}
  void on_record(const void* data, size_t size);
  void add_modules(const std::vector<collect::Module>& modules);

  ProbeOptions options_;
  collect::Sampler sampler_;
  symbolize::Symbolizer symbolizer_;
  symbolize::Unwinder unwinder_{symbolizer_};
  std::unique_ptr<collect::Tracer> tracer_;
  uint64_t symbolize_ns_ = 0;
  uint64_t frames_symbolized_ = 0;
  uint64_t unwind_stops_[4] = {};  // by symbolize::UnwindStop
  uint64_t unwind_full_ns_ = 0;    // user-space time unwinding with libdw, for the cost log
  uint64_t unwind_cached_ns_ = 0;  // ... and answering from the unwind cache
  bool stopped_ = false;
  uint64_t frees_recovered_ = 0;
  uint64_t allocs_recovered_ = 0;  // frees whose events were lost, taken from the live map
  std::unordered_map<std::string, std::string> host_paths_;  // module basename → readable path
};

}  // namespace memgap::pipeline
