#include "pipeline/go_map_session.h"

#include <algorithm>

#include "pipeline/go_probe_session.h"
#include "pipeline/go_probe_plan.h"

namespace memgap::pipeline {

Result<std::unique_ptr<GoMapSession>> GoMapSession::start(const runtime::go::GoReader& reader, int pid,
                                                          const GoMapOptions& options) {
  auto plan = plan_go_maps(reader, options.iterations);
  if (!plan) return plan.error();
  collect::GoTracerConfig c;
  c.pid = pid;
  c.exe = reader.exe();
  // Growth functions run once per doubling or table split (log2(n) to n/500 times for a
  // map of n entries), so even the slower single-stepped probe would not matter.
  c.map_growth = std::move(plan->growth);
  c.map_length_offset = plan->length_offset;
  c.map_iteration = std::move(plan->iteration);
  auto t = collect::GoTracer::attach(c);
  if (!t) return t.error();
  return std::unique_ptr<GoMapSession>(new GoMapSession(reader, std::move(*t), c.map_length_offset));
}

void GoMapSession::stop() { tracer_->freeze(); }

void GoMapSession::fill(model::GoInfo& go) const {
  go.maps.clear();
  for (const auto& g : tracer_->map_growths()) {
    auto len = reader_.read_u64(g.hmap + length_offset_);  // hmap.count / Map.used
    if (!len || *len < g.count_last) continue;  // gone or shrank: not a map that only grows
    model::GoMap m;
    m.frames = go_site_frames(reader_, g.stack);
    m.length = *len;
    m.growths = g.growths;
    m.length_at_first_growth = g.count_first;
    go.maps.push_back(std::move(m));
  }
  std::sort(go.maps.begin(), go.maps.end(), [](const auto& a, const auto& b) { return a.length > b.length; });
  go.map_iterations.clear();
  for (const auto& it : tracer_->map_iterations())
    go.map_iterations.push_back({go_site_frames(reader_, it.stack), it.calls});
  std::sort(go.map_iterations.begin(), go.map_iterations.end(),
            [](const auto& a, const auto& b) { return a.calls > b.calls; });
}

}  // namespace memgap::pipeline
