#include "report/gate_report.h"

#include <map>
#include <sstream>

#include "report/table.h"
#include "util/units.h"
#include "util/path.h"

namespace memgap::report {

std::string render_gate_report(const model::Snapshot& s, const analyze::GateResult& g, bool explicit_threshold,
                               size_t top, size_t width, bool all_frames) {
  std::ostringstream out;
  const auto& m = s.meta;
  int status = s.run ? s.run->exit_status : 0;
  // The executable's name: comm is cut at 15 characters.
  std::string name = m.exe.empty() ? m.comm : basename_of(m.exe);
  out << "memgap: " << name << " (PID " << m.pid << ") exited with status " << status
      << " after " << format_duration_ms(m.duration_ms);
  if (s.run && s.run->processes > 1) out << "; " << s.run->processes << " programs probed";
  out << "\n";
  out << "sampling " << (m.sample_bytes <= 1 ? std::string("every allocation") : "1 per " + format_size(m.sample_bytes))
      << "   allocator " << (m.allocator.empty() ? "-" : m.allocator) << "   probe hits " << m.probe_hits
      << "   samples " << m.samples << "\n";
  const auto& d = m.drops;
  if (d.live_map_full + d.events_lost + d.stacks_lost)
    out << "drops: live map full " << d.live_map_full << ", events lost " << d.events_lost << ", stacks lost "
        << d.stacks_lost << "\n";
  for (const auto& note : m.notes) out << "note: " << note << "\n";

  std::string threshold = explicit_threshold
                              ? format_size(g.threshold_bytes) + " (--max-leak)"
                              : format_size(g.threshold_bytes) + " (sampling noise: 3 x " +
                                    format_size(static_cast<uint64_t>(g.noise_bytes + 0.5)) + ", at least 1 interval)";
  if (g.failed) {
    out << "LEAK GATE FAILED: " << format_size(g.leaked_bytes) << " leaked in " << g.leaks.size()
        << (g.leaks.size() == 1 ? " site" : " sites") << ", above " << threshold << "\n\n";
  } else {
    out << "leak gate passed: " << format_size(g.leaked_bytes) << " leaked";
    if (!g.leaks.empty()) out << " in " << g.leaks.size() << (g.leaks.size() == 1 ? " site" : " sites");
    out << ", limit " << threshold << "\n";
    if (!g.leaks.empty()) out << "\n";
  }
  if (!g.leaks.empty()) {
    model::Snapshot leaks;
    leaks.meta = m;
    leaks.sites = g.leaks;
    out << render_sites_table(build_sites_table(leaks, top, 3, all_frames), width);
  }
  if (!g.suppressed.empty()) {
    out << "suppressed: " << format_size(g.suppressed_bytes) << " in " << g.suppressed.size()
        << (g.suppressed.size() == 1 ? " site" : " sites") << "\n";
    // One line per pattern: built-in glibc patterns alone can match a dozen sites.
    std::map<std::string, std::pair<uint64_t, size_t>> by_pattern;
    for (const auto& sup : g.suppressed) {
      auto& [bytes, sites] = by_pattern[sup.pattern];
      bytes += sup.site.live_bytes;
      ++sites;
    }
    for (const auto& [pattern, v] : by_pattern)
      out << "  leak:" << pattern << "  " << format_size(v.first) << " in " << v.second
          << (v.second == 1 ? " site" : " sites") << "\n";
  }
  return out.str();
}

}  // namespace memgap::report
