#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "collect/sampler.h"
#include "util/sampling.h"

using namespace memgap;

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

// Simulating the BPF sampler's decision with the same probabilities, the extrapolated
// total converges on the truth: the estimator is unbiased.
TEST(Sampling, ExtrapolationIsUnbiasedOverManyTrials) {
  std::mt19937_64 rng(42);
  const uint64_t rate = 4096, size = 4096;
  const int objects = 23, trials = 20000;
  double total = 0;
  std::uniform_real_distribution<double> u(0, 1);
  for (int t = 0; t < trials; ++t)
    for (int i = 0; i < objects; ++i)
      if (u(rng) < sample_probability(size, rate)) total += sample_weight(size, rate) * size;
  EXPECT_NEAR(total / trials, objects * 4096.0, objects * 4096.0 * 0.01);
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
