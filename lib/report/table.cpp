#include "report/table.h"

#include "report/reachability_text.h"

#include <cstdio>
#include <sstream>

#include "analyze/site_key.h"
#include "report/gap_table.h"
#include "report/go_maps_table.h"
#include "util/units.h"
#include "util/path.h"

namespace memgap::report {
namespace {


std::string fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  if (width < 4) return s.substr(0, width);
  return s.substr(0, width - 3) + "...";
}

std::string growth_cell(double per_min) {
  if (per_min > -1 && per_min < 1) return "0B";
  return format_size_delta(static_cast<int64_t>(per_min));
}

// For an 80-column table: "(anonymous namespace)::open_session(int)" reads as
// "open_session"; JSON keeps the full demangled name.
std::string short_function(const std::string& fn) {
  std::string s = fn;
  const std::string anon = "(anonymous namespace)::";
  for (size_t at; (at = s.find(anon)) != std::string::npos;) s.erase(at, anon.size());
  // GCC's specialised copies ("f(int) [clone .isra.0]") are the same source function.
  if (auto clone = s.find(" [clone "); clone != std::string::npos) s.resize(clone);
  // Drop the parameter list: the last top-level "(...)" unless the name is an operator().
  if (!s.empty() && s.back() == ')' && s.rfind("operator()", 0) != 0) {
    int depth = 0;
    for (size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      else if (s[i] == '(' && --depth == 0) {
        if (i > 0) s.resize(i);
        break;
      }
    }
  }
  return s;
}

}  // namespace

std::string frame_label(const model::Frame& f) {
  char off[32];
  std::snprintf(off, sizeof off, "+0x%llx", static_cast<unsigned long long>(f.offset));
  if (f.function != "??" && !f.function.empty()) {
    std::string fn = short_function(f.function);
    if (!f.file.empty() && f.line > 0) return fn + " (" + basename_of(f.file) + ":" + std::to_string(f.line) + ")";
    return fn + " [" + f.module + "]";
  }
  return "?? [" + (f.module.empty() ? std::string("?") : f.module) + off + "]";
}

SitesTable build_sites_table(const model::Snapshot& snapshot, size_t top, size_t callers, bool all_frames) {
  SitesTable t;
  for (size_t i = 0; i < snapshot.sites.size(); ++i) {
    const auto& s = snapshot.sites[i];
    t.total_live_bytes += s.live_bytes;
    t.total_live_objects += s.live_objects;
    if (i >= top) {
      ++t.others;
      t.others_live_bytes += s.live_bytes;
      t.others_live_objects += s.live_objects;
      continue;
    }
    SiteRow r;
    r.rank = i + 1;
    r.live_bytes = s.live_bytes;
    r.live_objects = s.live_objects;
    r.alloc_bytes = s.alloc_bytes;
    r.growth_bytes_per_min = s.growth_bytes_per_min;
    r.site = s.frames.empty() ? "[unknown stack]" : frame_label(s.frames[0]);
    const size_t depth = analyze::reported_depth(s.frames, all_frames);
    for (size_t k = 1; k < depth && r.callers.size() < callers; ++k) r.callers.push_back(frame_label(s.frames[k]));
    t.rows.push_back(std::move(r));
  }
  return t;
}

std::string render_sites_table(const SitesTable& t, size_t width) {
  std::ostringstream out;
  char buf[256];
  // #  LIVE  OBJECTS  GROWTH/MIN  ALLOCATED  SITE
  const size_t fixed = 3 + 1 + 9 + 1 + 8 + 1 + 11 + 1 + 9 + 2;
  size_t site_w = width > fixed + 10 ? width - fixed : 10;
  std::snprintf(buf, sizeof buf, "%3s %9s %8s %11s %9s  %s\n", "#", "LIVE", "OBJECTS", "GROWTH/MIN", "ALLOCATED", "SITE");
  out << buf;
  for (const auto& r : t.rows) {
    std::snprintf(buf, sizeof buf, "%3zu %9s %8llu %11s %9s  %s\n", r.rank, format_size(r.live_bytes).c_str(),
                  static_cast<unsigned long long>(r.live_objects), growth_cell(r.growth_bytes_per_min).c_str(),
                  format_size(r.alloc_bytes).c_str(), fit(r.site, site_w).c_str());
    out << buf;
    for (const auto& c : r.callers) out << std::string(fixed, ' ') << fit("<- " + c, site_w) << "\n";
  }
  if (t.others) {
    std::snprintf(buf, sizeof buf, "%3s %9s %8llu %11s %9s  [%zu others]\n", "", format_size(t.others_live_bytes).c_str(),
                  static_cast<unsigned long long>(t.others_live_objects), "", "", t.others);
    out << buf;
  }
  std::snprintf(buf, sizeof buf, "%3s %9s %8llu %11s %9s  TOTAL\n", "", format_size(t.total_live_bytes).c_str(),
                static_cast<unsigned long long>(t.total_live_objects), "", "");
  out << buf;
  return out.str();
}

std::string render_attach_report(const model::Snapshot& s, size_t top, size_t width, bool all_frames) {
  std::ostringstream out;
  const auto& m = s.meta;
  out << "memgap: PID " << m.pid << " (" << m.comm << ")  " << fit(m.exe, width > 30 ? width - 30 : 10) << "\n";
  out << "window " << format_duration_ms(m.duration_ms) << "   allocator " << (m.allocator.empty() ? "-" : m.allocator)
      << "   sampling "
      << (m.mode == "rss-only"  ? std::string("off (no probes)")
          : m.sample_bytes <= 1 ? std::string("every allocation")
                                : "1 per " + format_size(m.sample_bytes) + " (mean)")
      << "\n";
  uint64_t live = 0, objs = 0;
  for (const auto& site : s.sites) {
    live += site.live_bytes;
    objs += site.live_objects;
  }
  out << "RSS " << format_size(s.memory.rss()) << "   live heap tracked " << format_size(live) << " in " << objs
      << " objects   samples " << m.samples << "\n";
  const auto& d = m.drops;
  uint64_t drops = d.live_map_full + d.events_lost + d.stacks_lost + d.stacks_truncated;
  if (drops)
    out << "drops: live map full " << d.live_map_full << ", events lost " << d.events_lost << ", stacks lost "
        << d.stacks_lost << ", stacks truncated " << d.stacks_truncated << "\n";
  for (const auto& note : m.notes) out << "note: " << note << "\n";
  if (s.reachability) out << render_reachability(*s.reachability);
  out << "\n";
  if (!s.gap.categories.empty()) out << format_gap_table(s.gap, static_cast<int>(width)) << "\n";
  if (s.sites.empty()) {
    out << (m.mode == "rss-only" ? "no allocation sites (probes not attached)\n"
                                 : "no live sampled allocations in the window\n");
  } else {
    out << render_sites_table(build_sites_table(s, top, 3, all_frames), width);
  }
  out << render_go_maps(s, top, width);
  return out.str();
}

}  // namespace memgap::report
