// Text rendering of a SnapshotDiff (bloaty style): one row per site with a status tag
// ([ + ] [ - ] [ = ] [NEW] [DEL]), signed IEC deltas, "[N others]" and a TOTAL row, then
// the gap categories of both snapshots side by side. Fits 80 columns. All numbers come
// from the SnapshotDiff; this file only lays them out.
#pragma once
#include <string>

#include "analyze/diff.h"
#include "model/snapshot.h"

namespace memgap::report {

// What the header names each side by (a path, usually).
struct DiffSides {
  std::string base_name;
  std::string new_name;
  const model::Snapshot* base = nullptr;  // optional: pid/exe/RSS in the header
  const model::Snapshot* now = nullptr;
};

std::string format_diff_text(const analyze::SnapshotDiff& diff, const DiffSides& sides);

// Terminal-safe text: control characters become '?'.
std::string printable(const std::string& text);

}  // namespace memgap::report
