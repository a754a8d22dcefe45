// What `memgap top` shows, as data first and text last: the machine-wide process list
// and the per-process view (gap header, sites with growth and sparklines, cost line).
// The batch mode prints these lines; the terminal UI draws the same lines with ncurses,
// so both front ends always agree.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/snapshot.h"
#include "model/top.h"

namespace memgap::report {

// Short IEC cells for narrow columns: "0", "812", "4.0Ki", "37Mi", "1.5Gi".
std::string compact_size(uint64_t bytes);
// Signed per-minute rates: "+1.2Mi", "-37Ki", "0".
std::string compact_rate(double bytes_per_min);
// Values scaled between their own min and max, one cell per value (the newest `width`
// values); Unicode blocks when utf8, else " .:-=+*#".
std::string sparkline(const std::vector<uint64_t>& values, size_t width, bool utf8);

// ---- machine-wide list ----
struct TopColumn {
  std::string title;
  size_t width = 0;
  bool left = false;  // text columns are left-aligned, numbers right-aligned
};
// Columns that fit `width` (>= 60): at 80 the Go figures share one GO column; from 100
// on they are split into GO.HEAP, GO.IDLE, GO.META. COMMAND takes what is left.
std::vector<TopColumn> process_columns(size_t width);
// One cell per column for a process; "-" where the full split is not known yet.
std::vector<std::string> process_cells(const model::TopProcess& p, const std::vector<TopColumn>& cols);
std::string format_cells(const std::vector<std::string>& cells, const std::vector<TopColumn>& cols);
// "memgap top 14:02:11  312 processes  RSS 11Gi  cpu 3.1ms  sort growth  filter nginx" (cpu:
// what memgap spent on the refresh)
std::string machine_header(const model::TopFrame& f, size_t width);
// Header, blank line, column titles, then up to max_rows processes (0: all).
std::string render_machine_frame(const model::TopFrame& f, size_t width = 80, size_t max_rows = 0);

// ---- one process with probes ----
struct TargetSiteRow {
  uint64_t live_bytes = 0;
  double growth_bytes_per_min = 0;
  std::vector<uint64_t> series;
  std::string site;  // "leak_site (leak.c:42)"
};
std::vector<TargetSiteRow> target_site_rows(const model::Snapshot& s, size_t top);
struct WatchLine {
  double probe_hits_per_s = 0, samples_per_s = 0, memgap_cpu_percent = 0, target_cpu_percent = 0;
};
// "hits 1200/s  samples 3/s  drops 0  memgap 0.4% CPU  target 2.1% CPU", the kinds of drop
// appended when there are some
std::string watch_status(const model::Snapshot& s, const WatchLine& cost);
std::string render_sites_lines(const std::vector<TargetSiteRow>& rows, size_t width, bool utf8);
// The gap table; `compact` keeps the waterfall rows only (the terminal UI's header).
std::string gap_header(const model::Gap& gap, size_t width, bool compact);
// Target line, gap table, status line, sites table.
std::string render_target_frame(const model::Snapshot& s, const WatchLine& cost, size_t width = 80,
                                size_t top = 10, bool utf8 = false, bool compact_gap = false);

}  // namespace memgap::report
