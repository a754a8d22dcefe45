#include "report/gate_report.h"

#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "report/reachability_text.h"
#include "report/table.h"
#include "util/units.h"
#include "util/path.h"

namespace memgap::report {

namespace {

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The first frame, leaf first, that is not the runtime's own parking code, of a stack
// walked to its end (runtime.goexit): a goroutine that has not run yet has no stack of
// its own to show.
std::string blocked_at(const model::GoroutineGroup& g) {
  if (g.stack.empty() || g.stack.back().function != "runtime.goexit") return {};
  for (const auto& f : g.stack)
    if (f.function.rfind("runtime.", 0) != 0 && f.function.rfind("internal/", 0) != 0) return frame_label(f);
  return {};
}

// "memgap.test/goleaks.worker (workers.go:27)" → "goleaks.worker (workers.go:27)": the
// import path up to the package's own name goes, as Go's own short names drop it (the
// snapshot keeps the full names); cut with "..." if it still does not fit.
std::string short_label(const std::string& label, size_t room) {
  std::string l = label;
  auto paren = l.find(" (");
  auto slash = l.rfind('/', paren == std::string::npos ? l.size() : paren);
  if (slash != std::string::npos) l = l.substr(slash + 1);
  if (l.size() > room && room > 3) l = l.substr(0, room - 3) + "...";
  return l;
}

void render_goroutines(std::ostringstream& out, const analyze::GateResult& g, const model::RunInfo* run,
                       size_t top, size_t width) {
  if (!g.goroutines_counted) return;
  const bool has_limit = run && run->max_goroutines.has_value();
  const uint64_t limit = has_limit ? *run->max_goroutines : 0;
  const uint64_t n = g.leaked_goroutines;
  const std::string what = plural(n, "goroutine", "goroutines") + " left at exit";
  out << "\n";
  if (n == 0) {
    out << "goroutines left at exit: none";
    if (has_limit) out << ", limit " << limit << " (--max-goroutines)";
    out << "\n";
  } else if (g.goroutines_failed) {
    out << "GOROUTINE GATE FAILED: " << what << ", above " << limit << " (--max-goroutines)\n";
  } else if (has_limit) {
    out << "goroutine gate passed: " << what << ", limit " << limit << " (--max-goroutines)\n";
  } else {
    out << "goroutines left at exit: " << n << " (not gated: --max-goroutines N fails above N)\n";
  }
  auto rows = goroutine_rows(g, top);
  if (!rows.empty()) {
    // Column of the creation site and, below it, where the group waits.
    constexpr size_t kSite = 33;
    const size_t room = width > kSite + 3 ? width - kSite - 3 : 20;
    const std::string pad(kSite, ' ');
    out << "\n   #   COUNT  WAIT REASON        CREATED BY, then WAITING IN\n";
    char buf[64];
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, "  %2zu  %6llu  %-17s  ", r.rank, static_cast<unsigned long long>(r.count),
                    r.wait_reason.c_str());
      std::string lead = buf;
      if (lead.size() > kSite) lead = lead.substr(0, kSite);  // a wait reason of 18 characters or more
      out << lead << short_label(r.created_by, width - kSite) << "\n";
      // The start function too when the group waits deeper down than it.
      if (r.blocked_at.rfind(r.start + " ", 0) != 0) out << pad << "runs " << short_label(r.start, room) << "\n";
      if (!r.blocked_at.empty()) out << pad << "in " << short_label(r.blocked_at, room) << "\n";
    }
    if (g.goroutine_leaks.size() > rows.size())
      out << "  [" << plural(g.goroutine_leaks.size() - rows.size(), "other group", "other groups") << "]\n";
  }
  if (!g.goroutines_suppressed.empty()) {
    out << "suppressed: " << plural(g.suppressed_goroutines, "goroutine", "goroutines") << " in "
        << plural(g.goroutines_suppressed.size(), "group", "groups") << "\n";
    std::map<std::string, std::pair<uint64_t, size_t>> by_pattern;
    for (const auto& sup : g.goroutines_suppressed) {
      auto& [count, groups_of] = by_pattern[sup.pattern];
      count += sup.group.count;
      ++groups_of;
    }
    for (const auto& [pattern, v] : by_pattern)
      out << "  leak:" << pattern << "  " << plural(v.first, "goroutine", "goroutines") << " in "
          << plural(v.second, "group", "groups") << "\n";
  }
}

}  // namespace

std::vector<GoroutineRow> goroutine_rows(const analyze::GateResult& gate, size_t top) {
  std::vector<GoroutineRow> rows;
  for (const auto& grp : gate.goroutine_leaks) {
    if (rows.size() == top) break;
    GoroutineRow r;
    r.rank = rows.size() + 1;
    r.count = grp.count;
    r.wait_reason = grp.wait_reason;
    r.created_by = frame_label(analyze::creation_frame(grp));
    r.start = grp.start;
    r.blocked_at = blocked_at(grp);
    rows.push_back(std::move(r));
  }
  return rows;
}

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
  const model::Reachability* reach = s.reachability ? &*s.reachability : nullptr;
  if (reach) out << render_reachability(*reach);
  std::string counted;
  if (reach) {
    counted = " (";
    for (size_t i = 0; i < reach->leak_kinds.size(); ++i) counted += (i ? " + " : "") + reach->leak_kinds[i];
    counted += ")";
  }

  std::string threshold = explicit_threshold ? format_size(g.threshold_bytes) + " (--max-leak)"
                          : g.exact_total
                              ? format_size(g.threshold_bytes) + " (heap walk: exact total; split from suppressed sites by samples, noise 3 x " +
                                    format_size(static_cast<uint64_t>(g.noise_bytes + 0.5)) + ")"
                              : format_size(g.threshold_bytes) + " (sampling noise: 3 x " +
                                    format_size(static_cast<uint64_t>(g.noise_bytes + 0.5)) + ", at least 1 interval)";
  if (g.heap_failed) {
    out << "LEAK GATE FAILED: " << format_size(g.leaked_bytes) << " leaked" << counted << " in " << g.leaks.size()
        << (g.leaks.size() == 1 ? " site" : " sites") << ", above " << threshold << "\n";
    if (g.leaks.empty()) out << "  (no block of them was sampled: --sample-bytes 1 names every site)\n";
    out << "\n";
  } else {
    out << "leak gate passed: " << format_size(g.leaked_bytes) << " leaked" << counted;
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
  if (g.unjudged_bytes)
    out << "not judged: " << format_size(g.unjudged_bytes)
        << " in anonymous mappings still mapped at exit (no heap blocks; LeakSanitizer does not judge them either)\n";
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
  render_goroutines(out, g, s.run ? &*s.run : nullptr, top, width);
  return out.str();
}

}  // namespace memgap::report
