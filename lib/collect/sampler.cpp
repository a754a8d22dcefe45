#include "collect/sampler.h"

#include <algorithm>

#include "util/sampling.h"

namespace memgap::collect {
namespace {

uint64_t hash_pcs(const uint64_t* pcs, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= pcs[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

// Event frames follow the contract in bpf/memgap.h: [caller at [rsp], the probed
// function's own IP, FP chain...]; the IP says nothing about the site, so it is dropped.
uint32_t Sampler::intern(const memgap_event& e, const std::vector<uint64_t>* unwound) {
  uint64_t pcs[MEMGAP_MAX_FRAMES];
  size_t n = 0;
  if (unwound) {
    for (uint64_t pc : *unwound)
      if (n < MEMGAP_MAX_FRAMES) pcs[n++] = pc;
  } else {
    uint32_t nframes = e.nframes > MEMGAP_MAX_FRAMES ? MEMGAP_MAX_FRAMES : e.nframes;
    for (uint32_t i = 0; i < nframes; ++i) {
      if (i == 1) continue;
      if (e.frames[i] == 0) break;
      pcs[n++] = e.frames[i];
    }
  }
  uint64_t h = hash_pcs(pcs, n);
  auto it = stack_index_.find(h);
  // Collisions of a 64-bit hash are checked, and resolved by linear probing on the hash.
  while (it != stack_index_.end()) {
    const auto& s = stacks_[it->second].pcs;
    if (s.size() == n && std::equal(s.begin(), s.end(), pcs)) return it->second;
    it = stack_index_.find(++h);
  }
  if (stacks_.size() >= max_stacks_) {
    // Bounded memory: further new stacks are folded into one empty "other" stack.
    ++stacks_dropped_;
    if (overflow_stack_ < 0) {
      overflow_stack_ = static_cast<int64_t>(stacks_.size());
      stacks_.push_back(RawStack{});
      stats_.push_back(StackStats{});
    }
    return static_cast<uint32_t>(overflow_stack_);
  }
  uint32_t id = static_cast<uint32_t>(stacks_.size());
  stacks_.push_back(RawStack{std::vector<uint64_t>(pcs, pcs + n)});
  stats_.push_back(StackStats{});
  stats_.back().fn = e.fn;
  stack_index_.emplace(h, id);
  return id;
}

void Sampler::on_event(const memgap_event& e, const std::vector<uint64_t>* unwound) {
  if (e.kind == MG_EV_ALLOC) {
    ++samples_;
    double w = sample_weight(e.size, sample_bytes_);
    // An address reused without us seeing its free (lost event) replaces the old sample.
    if (auto old = live_.find(e.addr); old != live_.end()) {
      StackStats& os = stats_[old->second.stack];
      os.live_bytes -= old->second.weight * static_cast<double>(old->second.size);
      os.live_objects -= old->second.weight;
      os.sampled_live--;
      live_bytes_ -= old->second.weight * static_cast<double>(old->second.size);
      live_objects_ -= old->second.weight;
      live_.erase(old);
    }
    uint32_t id = intern(e, unwound);
    StackStats& s = stats_[id];
    double bytes = w * static_cast<double>(e.size);
    s.alloc_bytes += bytes;
    s.alloc_objects += w;
    s.live_bytes += bytes;
    s.live_objects += w;
    s.sampled_allocs++;
    s.sampled_live++;
    live_bytes_ += bytes;
    live_objects_ += w;
    live_.emplace(e.addr, LiveSample{id, e.size, w, e.ts_ns});
  } else if (e.kind == MG_EV_FREE) {
    auto it = live_.find(e.addr);
    if (it == live_.end()) return;
    StackStats& s = stats_[it->second.stack];
    double bytes = it->second.weight * static_cast<double>(it->second.size);
    s.live_bytes -= bytes;
    s.live_objects -= it->second.weight;
    s.sampled_live--;
    live_bytes_ -= bytes;
    live_objects_ -= it->second.weight;
    live_.erase(it);
  }
}

}  // namespace memgap::collect
