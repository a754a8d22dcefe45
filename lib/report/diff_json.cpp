#include "report/diff_json.h"

#include <nlohmann/json.hpp>

namespace memgap::report {
namespace {

using nlohmann::json;

json amounts(const analyze::Amounts& a) {
  return json{{"live_bytes", a.live_bytes},
              {"live_objects", a.live_objects},
              {"alloc_bytes", a.alloc_bytes},
              {"alloc_objects", a.alloc_objects}};
}

json deltas(const analyze::SiteDiff& d) {
  return json{{"live_bytes", d.delta_live_bytes()},
              {"live_objects", d.delta_live_objects()},
              {"alloc_bytes", d.delta_alloc_bytes()},
              {"alloc_objects", d.delta_alloc_objects()}};
}

json side(const std::string& name, const model::Snapshot* s) {
  json j{{"path", name}};
  if (s) {
    j["pid"] = s->meta.pid;
    j["exe"] = s->meta.exe;
    j["rss"] = s->gap.rss;
  }
  return j;
}

}  // namespace

std::string format_diff_json(const analyze::SnapshotDiff& diff, const DiffSides& sides, int indent) {
  json rows = json::array();
  for (const auto& r : diff.all) {
    json frames = json::array();
    for (const auto& f : r.frames)
      frames.push_back(json{{"function", f.function}, {"module", f.module}, {"offset", f.offset}, {"file", f.file}, {"line", f.line}});
    rows.push_back(json{{"status", analyze::status_name(r.status)},
                        {"site", analyze::to_string(r.key)},
                        {"label", analyze::site_label(r.frames)},
                        {"frames", frames},
                        {"base", amounts(r.base)},
                        {"new", amounts(r.now)},
                        {"delta", deltas(r)}});
  }
  json cats = json::array();
  for (const auto& c : diff.categories) {
    json cj{{"name", c.name}, {"delta", c.delta()}};
    cj["base"] = c.in_base ? json(c.base) : json(nullptr);
    cj["new"] = c.in_new ? json(c.now) : json(nullptr);
    cats.push_back(cj);
  }
  json j{{"schema", "memgap.diff/1"},
         {"base", side(sides.base_name, sides.base)},
         {"new", side(sides.new_name, sides.now)},
         {"changed", diff.changed},
         {"live_growth_bytes", diff.live_growth()},
         {"total", json{{"base", amounts(diff.total.base)}, {"new", amounts(diff.total.now)}, {"delta", deltas(diff.total)}}},
         {"sites", rows},
         {"categories", cats}};
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace memgap::report
