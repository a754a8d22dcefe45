#include "analyze/growth.h"

namespace memgap::analyze {

double slope_per_minute(const std::vector<uint64_t>& t_ms, const std::vector<uint64_t>& values) {
  size_t n = std::min(t_ms.size(), values.size());
  if (n < 2) return 0;
  double mt = 0, mv = 0;
  for (size_t i = 0; i < n; ++i) {
    mt += static_cast<double>(t_ms[i]);
    mv += static_cast<double>(values[i]);
  }
  mt /= static_cast<double>(n);
  mv /= static_cast<double>(n);
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    double dt = static_cast<double>(t_ms[i]) - mt;
    num += dt * (static_cast<double>(values[i]) - mv);
    den += dt * dt;
  }
  if (den <= 0) return 0;
  return num / den * 60'000.0;
}

void compute_growth(model::Snapshot& snapshot) {
  std::vector<uint64_t> t;
  for (const auto& p : snapshot.series) t.push_back(p.t_ms);
  for (auto& site : snapshot.sites) {
    // A site first seen mid-window has a shorter series: align it to the newest points.
    size_t n = std::min(site.live_series.size(), t.size());
    std::vector<uint64_t> ts(t.end() - static_cast<std::ptrdiff_t>(n), t.end());
    std::vector<uint64_t> vs(site.live_series.end() - static_cast<std::ptrdiff_t>(n), site.live_series.end());
    site.growth_bytes_per_min = slope_per_minute(ts, vs);
  }
}

}  // namespace memgap::analyze
