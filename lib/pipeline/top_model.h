// `memgap top` without a PID: every process, refreshed on demand. Each refresh reads
// /proc/PID/status of every process (cheap), records RSS history for growth, and runs
// the full procfs+runtime gap model only for the first rows of the current view, within
// a time budget, caching the result while the process's RSS stays put — smaps for every
// process every refresh would cost far more than the list is worth.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyze/top_rows.h"
#include "collect/proc_source.h"
#include "model/top.h"
#include "pipeline/process_gap.h"

namespace memgap::pipeline {

struct MachineTopOptions {
  analyze::TopSort sort = analyze::TopSort::Growth;
  bool reverse = false;
  std::string filter;
  size_t detail_rows = 16;          // rows of the view that get the full split
  double detail_budget_ms = 40;     // wall time per refresh spent on full splits
  uint64_t detail_max_age_ms = 30'000;
  uint64_t interval_ms = 2000;      // recorded in frames only
};

class MachineTop {
 public:
  explicit MachineTop(const collect::ProcSource& proc, MachineTopOptions options = {})
      : proc_(proc), opt_(std::move(options)) {}

  // Reads every process at time t_ms (monotonic, caller's clock) and returns the view.
  model::TopFrame refresh(uint64_t t_ms);
  // The last refresh again, under the current sort and filter (keys while paused).
  model::TopFrame view() const;

  MachineTopOptions& options() { return opt_; }
  // Full gap of one process (allocator state read too), for the selected process.
  Result<ProcessGap> detail(int pid);

 private:
  struct Detail {
    model::ProcessSplit split;
    uint64_t t_ms = 0;
    std::string name;
  };
  bool needs_detail(const model::TopProcess& p, uint64_t t_ms) const;
  void apply_detail(model::TopProcess& p, uint64_t t_ms) const;

  const collect::ProcSource& proc_;
  MachineTopOptions opt_;
  analyze::RssHistory history_;
  std::unordered_map<int, Detail> details_;
  std::unordered_map<int, GoProbe> go_;
  std::vector<model::TopProcess> rows_;  // unsorted, last refresh
  model::TopFrame last_;                 // header fields of the last refresh
  uint64_t last_t_ms_ = 0;
};

}  // namespace memgap::pipeline
