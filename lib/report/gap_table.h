// The gap table as text: a waterfall that starts at RSS and takes each category away,
// top-down, ending at the named residual "unexplained". Rows are computed first (and
// tested as data); formatting is a separate last step that fits in 80 columns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace memgap::report {

struct GapRow {
  enum class Kind { Total, Category, Residual };
  Kind kind = Kind::Category;
  std::string name;
  int64_t bytes = 0;
  double share = 0;       // of RSS, 0..1 (negative residual possible)
  double from = 0;        // waterfall segment start, as a share of RSS
  double to = 0;          // waterfall segment end
  std::string source;
};

// RSS row, then categories with bytes > 0 largest first (zero rows kept at the end only
// when show_zero), then unexplained.
std::vector<GapRow> gap_rows(const model::Gap& gap, bool show_zero = false);

// Plain text, every line at most `width` columns (>= 60).
std::string format_gap_table(const model::Gap& gap, int width = 80);

}  // namespace memgap::report
