#include "analyze/gate.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "analyze/rank.h"

namespace memgap::analyze {

double site_sampling_variance(uint64_t live_bytes, uint64_t live_objects, uint64_t sample_bytes) {
  if (live_bytes == 0 || sample_bytes <= 1) return 0;  // exact tracking has no noise
  double b = static_cast<double>(live_bytes);
  double n = std::max<double>(1.0, static_cast<double>(live_objects));
  double s = b / n;
  double p = -std::expm1(-s / static_cast<double>(sample_bytes));  // 1 - exp(-s/R), accurately
  if (p <= 0) return b * static_cast<double>(sample_bytes);
  return b * s * (1.0 - p) / p;
}

bool is_ignored_at_exit(const model::GoroutineGroup& g) {
  // By start function, which names the goroutine whatever created it (os/signal's loop
  // is started from a closure whose name changes across releases).
  return g.start == "runtime.main" || g.start == "os/signal.loop";
}

model::Frame creation_frame(const model::GoroutineGroup& g) {
  model::Frame f;
  const std::string& c = g.created_by;
  auto at = c.rfind(" at ");
  if (at == std::string::npos) {
    f.function = c;
    return f;
  }
  f.function = c.substr(0, at);
  std::string where = c.substr(at + 4);
  auto colon = where.rfind(':');
  f.file = where.substr(0, colon);  // the whole of it when there is no line
  if (colon != std::string::npos) f.line = std::atoi(where.c_str() + colon + 1);
  return f;
}

namespace {

// The goroutine half of evaluate_gate.
void evaluate_goroutines(const model::Snapshot& snapshot, const GateOptions& options, GateResult& r) {
  if (!snapshot.go) {
    r.goroutines_undecided = options.max_goroutines.has_value();
    return;
  }
  r.goroutines_counted = true;
  for (const auto& g : snapshot.go->goroutine_groups) {
    if (is_ignored_at_exit(g)) {
      r.ignored_goroutines += g.count;
      r.goroutine_verdicts.push_back("ignored");
      continue;
    }
    if (options.suppressions) {
      // Matched as an allocation site would be: the creating frame, then the function
      // the goroutine runs. No module: every frame of a Go program is in the one binary.
      model::Site as_site;
      as_site.frames.push_back(creation_frame(g));
      model::Frame start;
      start.function = g.start;
      as_site.frames.push_back(start);
      if (const std::string* pattern = options.suppressions->match(as_site)) {
        r.suppressed_goroutines += g.count;
        r.goroutines_suppressed.push_back({g, *pattern});
        r.goroutine_verdicts.push_back("suppressed");
        continue;
      }
    }
    r.leaked_goroutines += g.count;
    r.goroutine_leaks.push_back(g);
    r.goroutine_verdicts.push_back("leaked");
  }
  std::stable_sort(r.goroutine_leaks.begin(), r.goroutine_leaks.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  r.goroutines_failed = options.max_goroutines && r.leaked_goroutines > *options.max_goroutines;
}

}  // namespace

GateResult evaluate_gate(const model::Snapshot& snapshot, const GateOptions& options) {
  GateResult r;
  double variance = 0;
  for (const auto& site : snapshot.sites) {
    if (site.live_bytes == 0) continue;
    if (options.suppressions) {
      if (const std::string* pattern = options.suppressions->match(site)) {
        r.suppressed_bytes += site.live_bytes;
        r.suppressed.push_back({site, *pattern});
        continue;
      }
    }
    r.leaked_bytes += site.live_bytes;
    r.leaked_objects += site.live_objects;
    variance += site_sampling_variance(site.live_bytes, site.live_objects, snapshot.meta.sample_bytes);
    r.leaks.push_back(site);
  }
  rank_sites(r.leaks);
  r.noise_bytes = std::sqrt(variance);
  if (options.max_leak) {
    r.threshold_bytes = *options.max_leak;
    r.heap_failed = r.leaked_bytes > *options.max_leak;
  } else {
    uint64_t interval = std::max<uint64_t>(1, snapshot.meta.sample_bytes);
    double three_se = 3.0 * r.noise_bytes;
    // Reported as the amount the leak must exceed; "at least one interval" is > R-1.
    r.threshold_bytes = std::max(static_cast<uint64_t>(std::ceil(three_se)), interval - 1);
    r.heap_failed = static_cast<double>(r.leaked_bytes) > three_se && r.leaked_bytes >= interval;
  }
  evaluate_goroutines(snapshot, options, r);
  r.failed = r.heap_failed || r.goroutines_failed;
  return r;
}

void record_gate(model::Snapshot& s, const GateResult& g, const GateOptions& options) {
  if (s.run) {
    s.run->leaked_bytes = g.leaked_bytes;
    s.run->suppressed_bytes = g.suppressed_bytes;
    s.run->threshold_bytes = g.threshold_bytes;
    s.run->noise_bytes = static_cast<uint64_t>(g.noise_bytes + 0.5);
    s.run->gate_failed = g.failed;
    s.run->max_goroutines = options.max_goroutines;
    if (g.goroutines_counted) {
      s.run->leaked_goroutines = g.leaked_goroutines;
      s.run->suppressed_goroutines = g.suppressed_goroutines;
    }
  }
  if (s.go && g.goroutine_verdicts.size() == s.go->goroutine_groups.size())
    for (size_t i = 0; i < g.goroutine_verdicts.size(); ++i)
      s.go->goroutine_groups[i].exit_verdict = g.goroutine_verdicts[i];
}

}  // namespace memgap::analyze
