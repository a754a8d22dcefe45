// "Where did the RSS go" for one live process at one instant, from every source memgap
// has: procfs and the allocator's own state (the gap model), what the probes saw, and a
// Go runtime read from outside. attach, run and top call it at the end of a window.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "collect/proc_source.h"
#include "collect/sampler.h"
#include "model/snapshot.h"
#include "runtime/go/go_state.h"

namespace memgap::pipeline {

class MemoryExplainer {
 public:
  // Detects a Go runtime and opens its reader; what cannot be read becomes a note
  // (an unsupported Go version is named there), never an error.
  MemoryExplainer(int pid, const collect::ProcSource& proc, model::Meta& meta,
                  const runtime::go::GoOpenOptions& go_options = {});

  bool is_go() const { return is_go_; }
  // The opened Go reader (null when not Go or unreadable), shared with the Go probes so
  // that the executable is read once per attach.
  const runtime::go::GoReader* go_reader() const { return go_ ? &*go_ : nullptr; }
  // The goroutine census at the window's start, to find groups that grow.
  void window_started();
  // Fills s.gap, s.memory, s.go and notes. `sampler` is null without probes.
  void explain(model::Snapshot& s, const collect::Sampler* sampler, uint64_t sample_bytes) const;

 private:
  int pid_;
  const collect::ProcSource& proc_;
  bool is_go_ = false;
  std::optional<runtime::go::GoReader> go_;
  std::optional<model::GoInfo> go_at_start_;
};

}  // namespace memgap::pipeline
