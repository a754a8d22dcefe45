#include "pipeline/go_map_session.h"

#include <algorithm>

#include "pipeline/go_probe_session.h"

namespace memgap::pipeline {

Result<std::unique_ptr<GoMapSession>> GoMapSession::start(const runtime::go::GoReader& reader, int pid,
                                                          const GoMapOptions& options) {
  collect::GoTracerConfig c;
  c.pid = pid;
  c.exe = reader.exe();
  auto grow = reader.entry_file_offset("runtime.hashGrow");
  if (!grow) return make_error("runtime.hashGrow not found in " + reader.exe());
  // At +0 (the stack-bound check, single-stepped): hashGrow runs log2(n) times for a map
  // of n entries, so the cost of the slower probe does not matter.
  c.hash_grow = {"runtime.hashGrow", *grow};
  if (options.iterations) {
    auto it = reader.entry_file_offset("runtime.mapiterinit");
    if (!it) return make_error("runtime.mapiterinit not found in " + reader.exe());
    c.map_iter_init = {"runtime.mapiterinit", *it};
  }
  auto t = collect::GoTracer::attach(c);
  if (!t) return t.error();
  return std::unique_ptr<GoMapSession>(new GoMapSession(reader, std::move(*t)));
}

void GoMapSession::stop() { tracer_->freeze(); }

void GoMapSession::fill(model::GoInfo& go) const {
  go.maps.clear();
  for (const auto& g : tracer_->map_growths()) {
    auto len = reader_.read_u64(g.hmap);  // hmap.count is the header's first word
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
