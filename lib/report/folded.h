// Folded stacks, the input of flamegraph.pl (use --colors mem) and of most flame graph
// viewers: one line per stack, frames root first separated by ';', then the value.
// A diff has two value columns, BASE then NEW (difffolded.pl's layout), which
// flamegraph.pl draws as a differential flame graph.
#pragma once
#include <string>

#include "analyze/diff.h"
#include "model/snapshot.h"

namespace memgap::report {

enum class FoldedValue { kLiveBytes, kLiveObjects, kAllocBytes, kAllocObjects };

// Lines sorted by stack; identical stacks merged; zero-valued stacks left out.
// Frames below main are folded unless `all_frames` (analyze::frames_above_startup).
std::string format_folded(const model::Snapshot& snapshot, FoldedValue value = FoldedValue::kLiveBytes,
                          bool all_frames = false);
std::string format_folded_diff(const analyze::SnapshotDiff& diff, FoldedValue value = FoldedValue::kLiveBytes,
                               bool all_frames = false);

// One stack as folded text (root first), frame names made safe for the format.
std::string folded_stack(const std::vector<model::Frame>& frames, bool all_frames = false);

}  // namespace memgap::report
