#include "report/top_frame.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "report/gap_table.h"
#include "report/table.h"
#include "util/units.h"

namespace memgap::report {

std::string compact_size(uint64_t bytes) {
  static const char* units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
  if (bytes < 1024) return std::to_string(bytes);
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  // One decimal below 10 keeps every cell within six characters ("1023Mi").
  if (v < 9.95) std::snprintf(buf, sizeof buf, "%.1f%s", v, units[u]);
  else std::snprintf(buf, sizeof buf, "%.0f%s", v, units[u]);
  return buf;
}

std::string compact_rate(double r) {
  // Below a page a minute is noise from page-granular RSS, not growth.
  if (std::fabs(r) < 4096) return "0";
  return (r > 0 ? "+" : "-") + compact_size(static_cast<uint64_t>(std::fabs(r)));
}

std::string sparkline(const std::vector<uint64_t>& values, size_t width, bool utf8) {
  static const char* blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  static const char ascii[] = " .:-=+*#";
  if (values.empty() || width == 0) return {};
  const size_t from = values.size() > width ? values.size() - width : 0;
  const auto [lo_it, hi_it] = std::minmax_element(values.begin() + static_cast<long>(from), values.end());
  const uint64_t lo = *lo_it, hi = *hi_it;
  std::string out;
  for (size_t i = from; i < values.size(); ++i) {
    // A flat series draws at the lowest level: nothing changed.
    size_t level = hi == lo ? 0 : static_cast<size_t>((values[i] - lo) * 7 / (hi - lo));
    if (utf8) out += blocks[level];
    else out += ascii[level];
  }
  return out;
}

std::vector<TopColumn> process_columns(size_t width) {
  const bool wide = width >= 100, narrow = width < 72;
  std::vector<TopColumn> cols{{"PID", 7, false}, {"COMMAND", 0, true}, {"RSS", 6, false}, {"GROW/m", 7, false},
                              {"HEAP", 6, false}};
  // Below 72 columns the least telling figures go, so that COMMAND stays readable.
  if (!narrow) cols.push_back({"STACK", 6, false});
  if (narrow) {
  } else if (wide) {
    cols.push_back({"GO.HEAP", 7, false});
    cols.push_back({"GO.IDLE", 7, false});
    cols.push_back({"GO.META", 7, false});
  } else {
    cols.push_back({"GO", 6, false});
  }
  cols.push_back({"FILE", 6, false});
  cols.push_back({"OTHER", 6, false});
  size_t used = cols.size() - 1;  // separators
  for (const auto& c : cols) used += c.width;
  const size_t room = width > used ? width - used : 0;
  cols[1].width = std::clamp<size_t>(room, 8, wide ? 32 : 24);
  return cols;
}

std::vector<std::string> process_cells(const model::TopProcess& p, const std::vector<TopColumn>& cols) {
  const auto& s = p.split;
  auto known = [&](uint64_t v) { return s.detailed ? compact_size(v) : std::string("-"); };
  auto go = [&](uint64_t v) { return !s.detailed ? std::string("-") : p.go ? compact_size(v) : std::string("."); };
  std::vector<std::string> out;
  for (const auto& c : cols) {
    if (c.title == "PID") out.push_back(std::to_string(p.pid));
    else if (c.title == "COMMAND") out.push_back(p.comm);
    else if (c.title == "RSS") out.push_back(compact_size(p.rss));
    else if (c.title == "GROW/m") out.push_back(p.growth_window_ms ? compact_rate(p.growth_bytes_per_min) : "-");
    else if (c.title == "HEAP") out.push_back(known(s.heap));
    else if (c.title == "STACK") out.push_back(known(s.stacks));
    else if (c.title == "GO") out.push_back(go(s.go_heap + s.go_idle + s.go_meta));
    else if (c.title == "GO.HEAP") out.push_back(go(s.go_heap));
    else if (c.title == "GO.IDLE") out.push_back(go(s.go_idle));
    else if (c.title == "GO.META") out.push_back(go(s.go_meta));
    else if (c.title == "FILE") out.push_back(compact_size(s.file));
    else if (c.title == "OTHER") out.push_back(compact_size(s.other));
    else out.push_back("");
  }
  return out;
}

std::string format_cells(const std::vector<std::string>& cells, const std::vector<TopColumn>& cols) {
  std::string line;
  for (size_t i = 0; i < cols.size() && i < cells.size(); ++i) {
    if (i) line += ' ';
    std::string c = cells[i].substr(0, cols[i].width);
    const std::string pad(cols[i].width - c.size(), ' ');
    line += cols[i].left ? c + pad : pad + c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string machine_header(const model::TopFrame& f, size_t width) {
  char clock[16] = "";
  const time_t secs = static_cast<time_t>(f.unix_ms / 1000);
  tm local{};
  if (localtime_r(&secs, &local)) std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
  char buf[256];
  // The filter goes last: on a narrow terminal it is what gets cut.
  std::snprintf(buf, sizeof buf, "memgap top %s  %zu processes  RSS %s  cpu %.1fms  sort %s%s%s", clock,
                f.processes_total, compact_size(f.rss_total).c_str(), f.refresh_cpu_ms, f.sort.c_str(),
                f.filter.empty() ? "" : "  filter ", f.filter.c_str());
  std::string s = buf;
  return s.substr(0, width);
}

std::string render_machine_frame(const model::TopFrame& f, size_t width, size_t max_rows) {
  const auto cols = process_columns(width);
  std::vector<std::string> titles;
  for (const auto& c : cols) titles.push_back(c.title);
  std::string out = machine_header(f, width) + "\n\n" + format_cells(titles, cols) + "\n";
  size_t n = 0;
  for (const auto& p : f.processes) {
    if (max_rows && n++ >= max_rows) break;
    out += format_cells(process_cells(p, cols), cols) + "\n";
  }
  return out;
}

std::vector<TargetSiteRow> target_site_rows(const model::Snapshot& s, size_t top) {
  std::vector<TargetSiteRow> rows;
  for (const auto& site : s.sites) {
    if (rows.size() >= top) break;
    TargetSiteRow r;
    r.live_bytes = site.live_bytes;
    r.growth_bytes_per_min = site.growth_bytes_per_min;
    r.series = site.live_series;
    r.site = site.frames.empty() ? "[unknown stack]" : frame_label(site.frames[0]);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string watch_status(const model::Snapshot& s, const WatchLine& c) {
  const auto& d = s.meta.drops;
  const uint64_t drops = d.live_map_full + d.events_lost + d.stacks_lost;
  char buf[256];
  std::snprintf(buf, sizeof buf, "hits %.0f/s  samples %.0f/s  drops %llu  memgap %.1f%% CPU  target %.1f%% CPU",
                c.probe_hits_per_s, c.samples_per_s, static_cast<unsigned long long>(drops), c.memgap_cpu_percent,
                c.target_cpu_percent);
  std::string out = buf;
  // Which kind of drop, only when there are some: it says what to change.
  if (drops) {
    std::snprintf(buf, sizeof buf, " (map full %llu, ring %llu, stack %llu)",
                  static_cast<unsigned long long>(d.live_map_full), static_cast<unsigned long long>(d.events_lost),
                  static_cast<unsigned long long>(d.stacks_lost));
    out += buf;
  }
  return out;
}

std::string render_sites_lines(const std::vector<TargetSiteRow>& rows, size_t width, bool utf8) {
  constexpr size_t kSpark = 16;
  char head[128];
  std::snprintf(head, sizeof head, "%7s %7s %-*s %s", "LIVE", "GROW/m", static_cast<int>(kSpark), "TREND", "SITE");
  std::string out = std::string(head).substr(0, width) + "\n";
  for (const auto& r : rows) {
    std::string spark = sparkline(r.series, kSpark, utf8);
    const size_t cells = std::min(r.series.size(), kSpark);
    spark += std::string(kSpark - cells, ' ');  // pad by cells: a block is 3 bytes in UTF-8
    char num[64];
    std::snprintf(num, sizeof num, "%7s %7s ", compact_size(r.live_bytes).c_str(),
                  compact_rate(r.growth_bytes_per_min).c_str());
    const size_t fixed = 16 + kSpark + 1;
    std::string site = width > fixed ? r.site.substr(0, width - fixed) : std::string();
    out += num + spark + " " + site + "\n";
  }
  if (rows.empty()) out += "(no sampled allocations yet)\n";
  return out;
}

std::string gap_header(const model::Gap& gap, size_t width, bool compact) {
  std::string table = format_gap_table(gap, static_cast<int>(std::max<size_t>(width, 60)));
  if (!compact) return table;
  // The waterfall rows only: the per-row sources and the explanation follow a blank line.
  const auto blank = table.find("\n\n");
  return blank == std::string::npos ? table : table.substr(0, blank + 1);
}

std::string render_target_frame(const model::Snapshot& s, const WatchLine& cost, size_t width, size_t top,
                                bool utf8, bool compact_gap) {
  char head[256];
  std::snprintf(head, sizeof head, "memgap top - PID %d (%s)  %s  RSS %s  sampled every %s", s.meta.pid,
                s.meta.comm.c_str(), format_duration_ms(s.meta.duration_ms).c_str(),
                format_size(s.memory.rss()).c_str(), format_size(s.meta.sample_bytes).c_str());
  std::string out = std::string(head).substr(0, width) + "\n";
  out += gap_header(s.gap, width, compact_gap);
  out += watch_status(s, cost).substr(0, width) + "\n\n";
  out += render_sites_lines(target_site_rows(s, top), width, utf8);
  return out;
}

}  // namespace memgap::report
