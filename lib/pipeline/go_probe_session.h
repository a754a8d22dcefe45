// Allocation sites of a Go process for `attach` (mode "go"). By default it uses the Go
// runtime's own allocation sampling (one sample per runtime.MemProfileRate bytes, stacks
// recorded by the runtime itself) and reads the resulting heap profile from the target's
// memory: no probe is placed, so the target pays nothing it did not already pay.
//
//   auto s = GoProbeSession::start(pid, proc, options, meta);  // checks the rate
//   ... window ...
//   auto sites = (*s)->sites();                                 // in-use by stack, now
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collect/go_tracer.h"
#include "collect/proc_source.h"
#include "model/snapshot.h"
#include "runtime/go/go_state.h"
#include "util/result.h"

namespace memgap::pipeline {

struct GoProbeOptions {
  // --go-enable-profiling: when the runtime's sampling is off (MemProfileRate 0), write
  // the default rate into the target. Off by default: it changes the target.
  bool enable_profiling = false;
  // --go-probe: "" uses the runtime's sampling; "mallocgc" samples in BPF (Poisson
  // byte sampling at `sample_bytes`), for when the runtime's is off and writing is not
  // allowed. It sees allocations only: frees would need a return probe on Go code.
  std::string probe;
  uint64_t sample_bytes = 512 * 1024;
  // The target's opened Go reader, when the caller has one (MemoryExplainer's): reused
  // rather than opening the executable again.
  const runtime::go::GoReader* reader = nullptr;
};

class GoProbeSession {
 public:
  // Opens the runtime reader, reads MemProfileRate (enabling it when asked) and the
  // profile at the start of the window. Sets meta.mode "go", meta.sample_bytes to the
  // runtime's rate, and adds a note when sampling is off and how to turn it on.
  static Result<std::unique_ptr<GoProbeSession>> start(int pid, const collect::ProcSource& proc,
                                                       const GoProbeOptions& options, model::Meta& meta);

  // Sites from the runtime's heap profile as published now, scaled like pprof's
  // inuse_space: live_* are in use, alloc_* were allocated since start(). Frames are
  // leaf first, with the runtime's own allocation frames hidden as pprof hides them.
  Result<std::vector<model::Site>> sites() const;

  int64_t rate() const { return rate_; }
  size_t probes_attached() const { return tracer_ ? tracer_->attached() : 0; }
  uint64_t probe_hits() const { return tracer_ ? tracer_->hits() : 0; }
  uint64_t probe_stacks_lost() const { return tracer_ ? tracer_->stacks_lost() : 0; }
  void stop() {
    if (tracer_) tracer_->freeze();
  }
  const runtime::go::GoReader& reader() const { return reader_; }

 private:
  explicit GoProbeSession(runtime::go::GoReader reader) : reader_(std::move(reader)) {}

  Result<std::vector<model::Site>> probed_sites() const;

  runtime::go::GoReader reader_;
  int64_t rate_ = 0;
  std::unique_ptr<collect::GoTracer> tracer_;  // --go-probe mallocgc only
  // Cumulative alloc counts per stack at start(), to report what the window allocated.
  std::map<std::vector<uint64_t>, std::pair<uint64_t, uint64_t>> start_allocs_;
};

// Frames of one heap-profile stack, leaf first, without the leading runtime.* frames
// (runtime/pprof's writeHeapProto does the same; a stack of runtime frames only is kept).
std::vector<model::Frame> go_site_frames(const runtime::go::GoReader& reader, const std::vector<uint64_t>& stack);

}  // namespace memgap::pipeline
