// The attach/run text report: rows are computed first (testable structures), formatted
// last, within 80 columns, IEC units, "[N others]" and a TOTAL row (bloaty's habits).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace memgap::report {

struct SiteRow {
  size_t rank = 0;
  uint64_t live_bytes = 0;
  uint64_t live_objects = 0;
  uint64_t alloc_bytes = 0;
  double growth_bytes_per_min = 0;
  std::string site;                  // "leak_site (leak.c:42)"
  std::vector<std::string> callers;  // the next frames, outermost last
};

struct SitesTable {
  std::vector<SiteRow> rows;
  size_t others = 0;  // sites beyond --top
  uint64_t others_live_bytes = 0;
  uint64_t others_live_objects = 0;
  uint64_t total_live_bytes = 0;
  uint64_t total_live_objects = 0;
};

// "function (file.c:42)", "function [module+0x1f]" or "?? [module+0x1234]".
std::string frame_label(const model::Frame& frame);

// Callers stop at main unless `all_frames` (analyze::frames_above_startup).
SitesTable build_sites_table(const model::Snapshot& snapshot, size_t top, size_t callers = 3, bool all_frames = false);
std::string render_sites_table(const SitesTable& table, size_t width = 80);
// Header lines (target, window, RSS, sampling, drops) + the sites table.
std::string render_attach_report(const model::Snapshot& snapshot, size_t top, size_t width = 80, bool all_frames = false);

}  // namespace memgap::report
