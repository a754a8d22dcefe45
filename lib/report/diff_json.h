// Machine-readable diff ("schema": "memgap.diff/1"): every site row (not only those a
// table would show), the TOTAL, live growth and the gap categories side by side.
#pragma once
#include <string>

#include "analyze/diff.h"
#include "report/diff_table.h"

namespace memgap::report {

std::string format_diff_json(const analyze::SnapshotDiff& diff, const DiffSides& sides, int indent = 2);

}  // namespace memgap::report
