// Growth of live bytes over a window: the least-squares slope, per minute. A leak is a
// site whose live bytes keep rising; churn has a flat line however much it allocates.
#pragma once
#include <cstdint>
#include <vector>

#include "model/snapshot.h"

namespace memgap::analyze {

// Slope of values over times (ms), in units per minute; 0 with fewer than two points.
double slope_per_minute(const std::vector<uint64_t>& t_ms, const std::vector<uint64_t>& values);

// Sets growth_bytes_per_min of every site from its live_series against snapshot.series.
void compute_growth(model::Snapshot& snapshot);

}  // namespace memgap::analyze
