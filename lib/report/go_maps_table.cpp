#include "report/go_maps_table.h"

#include <cstdio>
#include <sstream>

#include "report/table.h"

namespace memgap::report {
namespace {
std::string fit(std::string s, size_t width) {
  if (s.size() > width && width > 3) s = s.substr(0, width - 3) + "...";
  return s;
}

std::string site_label(const std::vector<model::Frame>& frames) {
  if (frames.empty()) return "??";
  std::string s = frame_label(frames[0]);
  if (frames.size() > 1) s += " < " + frame_label(frames[1]);
  return s;
}
}  // namespace

std::string render_go_maps(const model::Snapshot& s, size_t top, size_t width) {
  if (!s.go || (s.go->maps.empty() && s.go->map_iterations.empty())) return "";
  std::ostringstream out;
  char buf[64];
  size_t label_width = width > 24 ? width - 24 : 20;
  if (!s.go->maps.empty()) {
    out << "\nGo maps that only grow (by the site that grows them)\n";
    out << "      LENGTH  GROWTHS  SITE\n";
    for (size_t i = 0; i < s.go->maps.size() && i < top; ++i) {
      const auto& m = s.go->maps[i];
      std::snprintf(buf, sizeof buf, "%12llu  %7llu  ", static_cast<unsigned long long>(m.length),
                    static_cast<unsigned long long>(m.growths));
      out << buf << fit(site_label(m.frames), label_width) << "\n";
    }
    if (s.go->maps.size() > top) out << "  [" << s.go->maps.size() - top << " others]\n";
  }
  if (!s.go->map_iterations.empty()) {
    out << "\nGo map iteration heat (range loops over maps)\n";
    out << "       CALLS           SITE\n";
    for (size_t i = 0; i < s.go->map_iterations.size() && i < top; ++i) {
      const auto& m = s.go->map_iterations[i];
      std::snprintf(buf, sizeof buf, "%12llu           ", static_cast<unsigned long long>(m.calls));
      out << buf << fit(site_label(m.frames), label_width) << "\n";
    }
  }
  return out.str();
}

}  // namespace memgap::report
