#include "analyze/gate.h"

#include <algorithm>
#include <cmath>

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
    r.failed = r.leaked_bytes > *options.max_leak;
  } else {
    uint64_t interval = std::max<uint64_t>(1, snapshot.meta.sample_bytes);
    double three_se = 3.0 * r.noise_bytes;
    // Reported as the amount the leak must exceed; "at least one interval" is > R-1.
    r.threshold_bytes = std::max(static_cast<uint64_t>(std::ceil(three_se)), interval - 1);
    r.failed = static_cast<double>(r.leaked_bytes) > three_se && r.leaked_bytes >= interval;
  }
  return r;
}

}  // namespace memgap::analyze
