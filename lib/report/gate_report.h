// The text `memgap run` prints on stderr when CMD ends: how it ended, the gate verdict with
// its threshold and why, the leaking sites (the attach table of what was live at exit),
// and what suppressions set aside; for a Go command, the goroutines it left at exit,
// grouped by creation site and wait reason, and their verdict. Stderr, because stdout
// belongs to CMD.
#pragma once
#include <string>
#include <vector>

#include "analyze/gate.h"
#include "model/snapshot.h"

namespace memgap::report {

// One group of goroutines left at exit, as the report shows it.
struct GoroutineRow {
  size_t rank = 0;
  uint64_t count = 0;
  std::string wait_reason;  // "chan receive"; "running" when it was not parked
  std::string created_by;   // "pkg.StartWorkers (workers.go:21)"
  std::string start;        // the function the goroutine runs
  std::string blocked_at;   // its innermost frame outside package runtime, "" unknown
};

// The counted groups, largest first, at most `top`.
std::vector<GoroutineRow> goroutine_rows(const analyze::GateResult& gate, size_t top);

// `explicit_threshold`: --max-leak was given (else the noise rule is explained).
std::string render_gate_report(const model::Snapshot& snapshot, const analyze::GateResult& gate,
                               bool explicit_threshold, size_t top, size_t width = 80, bool all_frames = false);

}  // namespace memgap::report
