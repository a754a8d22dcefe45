// The window's time series: process totals at each tick, and each stack's live bytes at
// the same ticks so that growth per site can be fitted. Bounded in memory.
#pragma once
#include <cstdint>
#include <vector>

#include "collect/sampler.h"
#include "model/snapshot.h"

namespace memgap::pipeline {

// Keeps per-stack live bytes at each series point, so that growth per site can be fitted.
// Bounded: past kMaxPoints the series is halved (every other point kept).
class SeriesRecorder {
 public:
  static constexpr size_t kMaxPoints = 512;

  // `sampler` is null when no probes run (rss-only).
  void record(uint64_t t_ms, uint64_t rss, const collect::Sampler* sampler) {
    points_.push_back(model::SeriesPoint{t_ms, rss, sampler ? to_u64(sampler->live_bytes()) : 0,
                                         sampler ? to_u64(sampler->live_objects()) : 0});
    if (sampler) {
      const auto& stats = sampler->stats();
      if (per_stack_.size() < stats.size()) per_stack_.resize(stats.size());
      for (size_t i = 0; i < stats.size(); ++i) {
        auto& v = per_stack_[i];
        // A stack first seen now gets zeros for the points before it existed.
        v.resize(points_.size() - 1, 0);
        v.push_back(to_u64(stats[i].live_bytes));
      }
    }
    if (points_.size() > kMaxPoints) halve();
  }
  const std::vector<model::SeriesPoint>& points() const { return points_; }
  std::vector<uint64_t> stack_series(size_t id) const {
    if (id >= per_stack_.size()) return {};
    auto v = per_stack_[id];
    v.resize(points_.size(), v.empty() ? 0 : v.back());
    return v;
  }
  static uint64_t to_u64(double d) { return d <= 0 ? 0 : static_cast<uint64_t>(d + 0.5); }

 private:
  void halve() {
    auto keep_even = [](auto& v) {
      size_t j = 0;
      for (size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
      v.resize(j);
    };
    keep_even(points_);
    for (auto& v : per_stack_) keep_even(v);
  }
  std::vector<model::SeriesPoint> points_;
  std::vector<std::vector<uint64_t>> per_stack_;
};


}  // namespace memgap::pipeline
