// Go maps during attach's window: entry uprobes on the functions that run once per map
// growth in the target's Go release (go1.19: runtime.hashGrow; Swiss tables: growToTable
// and (*table).rehash; go_release_probes.h) find maps that grow and the site that grows
// them; at the end each map's length is read from its header (hmap.count, Map.used), and
// maps that shrank since their last growth are left out — what stays is maps that only
// grow. With iteration heat on (--go-maps), the callers of the function each range loop
// starts with (mapiterinit, mapIterStart) are counted by stack too. No uretprobe anywhere
// (Go code, goroutine stacks).
#pragma once
#include <memory>

#include "collect/go_tracer.h"
#include "model/snapshot.h"
#include "runtime/go/go_state.h"
#include "util/result.h"

namespace memgap::pipeline {

struct GoMapOptions {
  bool iterations = false;  // --go-maps
};

class GoMapSession {
 public:
  // `reader` must outlive the session.
  static Result<std::unique_ptr<GoMapSession>> start(const runtime::go::GoReader& reader, int pid,
                                                     const GoMapOptions& options);
  // Stops recording (what was aggregated stays readable).
  void stop();
  // go.maps (largest first) and go.map_iterations (most calls first); reads lengths from
  // the target, so call it while the target lives.
  void fill(model::GoInfo& go) const;
  size_t attached() const { return tracer_->attached(); }
  uint64_t hits() const { return tracer_->hits(); }
  uint64_t growth_hits() const { return tracer_->growth_hits(); }
  uint64_t stacks_lost() const { return tracer_->stacks_lost(); }

 private:
  GoMapSession(const runtime::go::GoReader& reader, std::unique_ptr<collect::GoTracer> t, uint32_t length_offset)
      : reader_(reader), tracer_(std::move(t)), length_offset_(length_offset) {}
  const runtime::go::GoReader& reader_;
  std::unique_ptr<collect::GoTracer> tracer_;
  uint32_t length_offset_ = 0;
};

}  // namespace memgap::pipeline
