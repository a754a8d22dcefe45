#include <gtest/gtest.h>
#include <linux/types.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "collect/sampler.h"
#include "util/sampling.h"

// The BPF programs' sampling code itself (bpf/poisson_sampling.h), compiled here with a
// fixed-seed generator in place of bpf_get_prandom_u32().
namespace {
std::mt19937 g_bpf_rand;
__u32 test_rand_u32() { return static_cast<__u32>(g_bpf_rand()); }
}  // namespace
#define MEMGAP_RAND_U32() test_rand_u32()
#include "poisson_sampling.h"

using namespace memgap;

namespace {
struct Log2Table {
  __u32 t[MEMGAP_LOG2_TABLE_SIZE];
  Log2Table() { memgap_fill_log2_table(t); }
};
const Log2Table kTable;
constexpr __u64 kRate = 512 * 1024;
}  // namespace

TEST(Sampling, ProbabilityFollowsPoissonByteSampling) {
  EXPECT_DOUBLE_EQ(sample_probability(4096, 1), 1.0);
  EXPECT_DOUBLE_EQ(sample_probability(0, 4096), 0.0);
  EXPECT_NEAR(sample_probability(4096, 4096), 1 - std::exp(-1.0), 1e-12);
  EXPECT_NEAR(sample_probability(1, 512 * 1024), 1.0 / (512 * 1024), 1e-9);
  EXPECT_NEAR(sample_probability(64ull << 20, 512 * 1024), 1.0, 1e-12);
}

TEST(Sampling, WeightIsTheInverseProbability) {
  EXPECT_DOUBLE_EQ(sample_weight(4096, 1), 1.0);
  EXPECT_NEAR(sample_weight(4096, 4096), 1 / (1 - std::exp(-1.0)), 1e-9);
  EXPECT_DOUBLE_EQ(sample_weight(0, 4096), 0.0);
}

// Every draw lies within a few parts in 2^16 of the mean of the exact -ln(u / 2^32) * mean:
// linear interpolation in the log2 table is within 3e-6 of log2, the 16.16 fixed point and
// the table's rounding add a few units of 2^-16, ln 2 as 45426/2^16 is 2e-6 off. 2^20
// values of u over the whole range, and its ends.
TEST(BpfExpInterval, EachDrawIsWithinTheTableErrorOfTheExactOne) {
  const double m = static_cast<double>(kRate);
  std::vector<__u32> us{0u, 1u, 2u, 3u, 255u, 256u, 257u, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  for (uint64_t k = 0; k < (1u << 20); ++k) us.push_back(static_cast<__u32>(k * 4096 + (k * 2654435761u) % 4096));
  for (__u32 u : us) {
    double exact = -std::log(static_cast<double>(u | 1u) / 4294967296.0) * m;
    double got = static_cast<double>(memgap_exp_interval_of(u, kRate, kTable.t));
    ASSERT_GE(got, exact * (1 - 1e-5) - m * 4 / 65536) << "u=" << u;
    ASSERT_LE(got, exact * (1 + 1e-5) + m * 4 / 65536 + 2)
        << "u=" << u;
    ASSERT_GE(got, 1.0);
  }
}

// Goodness of fit: 200,000 draws (fixed seed) in 20 bins of equal probability under the
// exponential with the mean asked for. The chi-square statistic has 19 degrees of
// freedom; P(X > 65) = 6e-7. (The draw before interpolation, 0.13% long on average and
// never below 1.4 KiB, scored 82.)
TEST(BpfExpInterval, DrawsFollowTheExponentialDistribution) {
  g_bpf_rand.seed(20261203);
  constexpr int kBins = 20, kDraws = 200000;
  std::vector<double> edges;  // upper edges: F(x) = i / kBins
  for (int i = 1; i < kBins; ++i) edges.push_back(-std::log(1 - static_cast<double>(i) / kBins) * kRate);
  std::vector<int> count(kBins, 0);
  double sum = 0, short_ones = 0;
  for (int i = 0; i < kDraws; ++i) {
    double x = static_cast<double>(memgap_exp_interval_of(test_rand_u32(), kRate, kTable.t));
    sum += x;
    short_ones += x < 1024;
    count[std::upper_bound(edges.begin(), edges.end(), x) - edges.begin()]++;
  }
  const double expected = static_cast<double>(kDraws) / kBins;
  double chi2 = 0;
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 65.0);
  // The mean: standard error 1/sqrt(n) = 0.22%.
  EXPECT_NEAR(sum / kDraws / kRate, 1.0, 5 / std::sqrt(static_cast<double>(kDraws)));
  // The shortest intervals exist: P(X < 1 KiB) = 0.195% at a 512 KiB mean, 390 of 200,000
  // expected (standard deviation 20).
  EXPECT_NEAR(short_ones, kDraws * -std::expm1(-1024.0 / kRate), 5 * 20);
}

// The countdown samples each allocation of s bytes independently with probability
// 1 - exp(-s / mean), the probability user space weights by (util/sampling.h). One million
// allocations of each of four sizes, interleaved (fixed seed): each size's sampled count
// must lie within 5 standard deviations of its binomial mean (two-sided p = 6e-7), and so
// must the number of consecutive 1 MiB pairs both sampled (independence: p^2 each). The
// 48 B block follows the 1 MiB one, which is sampled 86% of the time: it is the
// countdown's restart that is tested there (before interpolation: 0 of an expected 92).
TEST(BpfCountdown, SamplesEachAllocationWithItsPoissonProbability) {
  g_bpf_rand.seed(7);
  const std::vector<__u64> sizes{48, 4096, 65536, 1u << 20};
  constexpr int kRounds = 1000000;
  std::vector<double> sampled(sizes.size(), 0);
  double pairs = 0;
  memgap_countdown st{};
  bool last_big = false;
  for (int r = 0; r < kRounds; ++r)
    for (size_t i = 0; i < sizes.size(); ++i) {
      bool s = memgap_countdown_sample(&st, sizes[i], kRate, kTable.t);
      sampled[i] += s;
      if (i + 1 == sizes.size()) {
        if (r > 0 && s && last_big) ++pairs;
        last_big = s;
      }
    }
  for (size_t i = 0; i < sizes.size(); ++i) {
    double p = sample_probability(sizes[i], kRate), n = kRounds;
    double z = (sampled[i] - n * p) / std::sqrt(n * p * (1 - p));
    EXPECT_LT(std::abs(z), 5.0) << sizes[i] << " B: " << sampled[i] << " sampled, expected " << n * p;
  }
  double q = sample_probability(1u << 20, kRate) * sample_probability(1u << 20, kRate), n = kRounds - 1;
  EXPECT_LT(std::abs((pairs - n * q) / std::sqrt(n * q * (1 - q))), 5.0) << pairs << " pairs, expected " << n * q;
  // mean <= 1: every allocation.
  memgap_countdown all{};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(memgap_countdown_sample(&all, 1, 1, kTable.t));
}

// The BPF countdown's samples, scaled by user space's weights, estimate the truth without
// bias: 23 x 4 KiB at a 4 KiB mean, 20,000 trials. Per trial the estimate's standard
// deviation is s * sqrt(n (1 - p) / p) = 15.0 KB; the mean of 20,000 trials is within
// 5 x 106 B of 94,208 B unless the estimator is biased.
TEST(BpfCountdown, WeightedSamplesEstimateTheTruth) {
  g_bpf_rand.seed(42);
  const __u64 rate = 4096, size = 4096;
  const int objects = 23, trials = 20000;
  memgap_countdown st{};
  double total = 0;
  for (int t = 0; t < trials; ++t)
    for (int i = 0; i < objects; ++i)
      if (memgap_countdown_sample(&st, size, rate, kTable.t)) total += sample_weight(size, rate) * size;
  const double p = sample_probability(size, rate);
  const double se = size * std::sqrt(objects * (1 - p) / p) / std::sqrt(static_cast<double>(trials));
  EXPECT_NEAR(total / trials, objects * 4096.0, 5 * se);
}

namespace {
memgap_event alloc_event(uint64_t addr, uint64_t size, std::initializer_list<uint64_t> frames) {
  memgap_event e{};
  e.kind = MG_EV_ALLOC;
  e.addr = addr;
  e.size = size;
  for (auto f : frames) e.frames[e.nframes++] = f;
  return e;
}
memgap_event free_event(uint64_t addr) {
  memgap_event e{};
  e.kind = MG_EV_FREE;
  e.addr = addr;
  return e;
}
}  // namespace

TEST(Sampler, TracksLiveSetPerStackAndDropsTheProbedFunctionsOwnIp) {
  collect::Sampler s(1);
  // frames: [caller, probed fn ip, fp chain...]; the ip (0x999) is not part of the site.
  s.on_event(alloc_event(0x1000, 4096, {0x10, 0x999, 0x20}));
  s.on_event(alloc_event(0x2000, 4096, {0x10, 0x998, 0x20}));
  s.on_event(alloc_event(0x3000, 100, {0x30, 0x999, 0x20}));
  s.on_event(free_event(0x2000));
  s.on_event(free_event(0x7777));  // unknown address: ignored
  ASSERT_EQ(s.stacks().size(), 2u);
  EXPECT_EQ(s.stacks()[0].pcs, (std::vector<uint64_t>{0x10, 0x20}));
  EXPECT_DOUBLE_EQ(s.stats()[0].live_bytes, 4096);
  EXPECT_DOUBLE_EQ(s.stats()[0].alloc_bytes, 8192);
  EXPECT_DOUBLE_EQ(s.stats()[0].live_objects, 1);
  EXPECT_DOUBLE_EQ(s.stats()[1].live_bytes, 100);
  EXPECT_DOUBLE_EQ(s.live_bytes(), 4196);
  EXPECT_EQ(s.live().size(), 2u);
}

TEST(Sampler, ScalesSampledEventsByTheirWeight) {
  collect::Sampler s(4096);
  s.on_event(alloc_event(0x1000, 4096, {0x10, 0x1}));
  EXPECT_NEAR(s.stats()[0].live_bytes, 4096 / (1 - std::exp(-1.0)), 1e-6);
}

TEST(Sampler, AddressReuseWithoutAFreeReplacesTheOldSample) {
  collect::Sampler s(1);
  s.on_event(alloc_event(0x1000, 4096, {0x10, 0x1}));
  s.on_event(alloc_event(0x1000, 64, {0x30, 0x1}));
  EXPECT_DOUBLE_EQ(s.live_bytes(), 64);
  EXPECT_DOUBLE_EQ(s.stats()[0].live_bytes, 0);
}

TEST(Sampler, BoundsTheNumberOfStacks) {
  collect::Sampler s(1, 3);
  for (uint64_t i = 0; i < 10; ++i) s.on_event(alloc_event(0x1000 + i * 16, 16, {0x100 + i, 0x1}));
  EXPECT_LE(s.stacks().size(), 4u);  // 3 + one "other"
  EXPECT_EQ(s.stacks_dropped(), 7u);
  EXPECT_DOUBLE_EQ(s.live_bytes(), 160);
}
