// Turns the tracer's events into raw samples: which sampled allocations are still live
// (by address), and per stack how much was allocated and is live, extrapolated with the
// sampling weight. Addresses stay raw here; symbolization happens later, once per stack.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/memgap.h"

namespace memgap::collect {

struct RawStack {
  std::vector<uint64_t> pcs;  // pcs[0] is the allocating call site's return address
};

struct StackStats {
  double alloc_bytes = 0;  // extrapolated
  double alloc_objects = 0;
  double live_bytes = 0;
  double live_objects = 0;
  uint64_t sampled_allocs = 0;
  uint64_t sampled_live = 0;
  uint32_t fn = 0;  // allocator entry point of the first sample (memgap_fn)
};

struct LiveSample {
  uint32_t stack = 0;
  uint64_t size = 0;
  double weight = 0;
  uint64_t ts_ns = 0;
};

class Sampler {
 public:
  explicit Sampler(uint64_t sample_bytes, size_t max_stacks = 100000)
      : sample_bytes_(sample_bytes), max_stacks_(max_stacks) {}

  // `unwound`, when given, replaces the event's frame-pointer frames (DWARF unwinding):
  // return addresses, the allocation's caller first.
  void on_event(const memgap_event& e, const std::vector<uint64_t>* unwound = nullptr);

  const std::vector<RawStack>& stacks() const { return stacks_; }
  const std::vector<StackStats>& stats() const { return stats_; }
  const std::unordered_map<uint64_t, LiveSample>& live() const { return live_; }
  double live_bytes() const { return live_bytes_; }
  double live_objects() const { return live_objects_; }
  uint64_t samples() const { return samples_; }
  uint64_t stacks_dropped() const { return stacks_dropped_; }

 private:
  uint32_t intern(const memgap_event& e, const std::vector<uint64_t>* unwound);

  uint64_t sample_bytes_;
  size_t max_stacks_;
  std::vector<RawStack> stacks_;
  std::vector<StackStats> stats_;
  std::unordered_map<uint64_t, uint32_t> stack_index_;  // hash of pcs → first stack id
  std::unordered_map<uint64_t, LiveSample> live_;
  double live_bytes_ = 0;
  double live_objects_ = 0;
  uint64_t samples_ = 0;
  uint64_t stacks_dropped_ = 0;
  int64_t overflow_stack_ = -1;  // one empty stack standing for every stack past the bound
};

}  // namespace memgap::collect
