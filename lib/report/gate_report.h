// The text `memgap run` prints on stderr when CMD ends: how it ended, the gate verdict with
// its threshold and why, the leaking sites (the attach table of what was live at exit),
// and what suppressions set aside. Stderr, because stdout belongs to CMD.
#pragma once
#include <string>

#include "analyze/gate.h"
#include "model/snapshot.h"

namespace memgap::report {

// `explicit_threshold`: --max-leak was given (else the noise rule is explained).
std::string render_gate_report(const model::Snapshot& snapshot, const analyze::GateResult& gate,
                               bool explicit_threshold, size_t top, size_t width = 80, bool all_frames = false);

}  // namespace memgap::report
