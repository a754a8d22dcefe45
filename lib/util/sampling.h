// Poisson byte sampling arithmetic (the scheme of tcmalloc and Go's MemProfileRate). An
// allocation of s bytes is sampled with probability 1 - exp(-s/R); each sample therefore
// stands for 1/(1 - exp(-s/R)) allocations of its size. This is pprof's unbiased scaling.
#pragma once
#include <cmath>
#include <cstdint>

namespace memgap {

inline double sample_probability(uint64_t size, uint64_t rate) {
  if (rate <= 1) return 1.0;
  if (size == 0) return 0.0;
  return -std::expm1(-static_cast<double>(size) / static_cast<double>(rate));
}

// How many allocations one sampled allocation of `size` bytes represents.
inline double sample_weight(uint64_t size, uint64_t rate) {
  double p = sample_probability(size, rate);
  return p > 0 ? 1.0 / p : 0.0;
}

}  // namespace memgap
