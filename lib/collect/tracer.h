// The only user of the BPF skeleton: open, configure, load, attach the planned probes,
// drain events, freeze, detach. RAII: destroying a Tracer detaches everything, so a target
// is never left probed whatever path memgap leaves by.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bpf/memgap.h"
#include "collect/probe_plan.h"
#include "util/result.h"

struct memgap_bpf;
struct ring_buffer;
struct bpf_link;

namespace memgap::collect {

struct TracerConfig {
  int pid = 0;
  uint64_t sample_bytes = 512 * 1024;  // mean sampling interval; 1 = every allocation
  uint32_t max_live = 262144;          // bound on tracked live sampled allocations
  uint32_t stack_bytes = 0;            // >0: copy this much user stack per sample (DWARF)
};

struct TracerCounters {
  uint64_t values[MG_CNT_COUNT] = {};
  uint64_t operator[](memgap_counter c) const { return values[c]; }
};

// Receives each ring-buffer record: a memgap_event or a memgap_stack_event (by `kind`).
using EventHandler = std::function<void(const void* data, size_t size)>;

class Tracer {
 public:
  static Result<std::unique_ptr<Tracer>> open(const TracerConfig& config, EventHandler on_event);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Attaches every probe of the plan; on failure nothing stays attached.
  Status attach(const ProbePlan& plan);
  size_t attached() const { return links_.size(); }

  // Waits up to timeout_ms for events and hands each to the handler. Returns events seen.
  int poll(int timeout_ms);
  // Waits up to timeout_ms until records are ready without consuming them (so that the
  // caller can refresh what handling them needs first). True when some are ready.
  bool wait(int timeout_ms);
  // Stops recording at once (a BPF global), so a slow detach cannot skew the result.
  void freeze();
  // Detaches all links (takes ~1 s for a dozen uprobes); idempotent.
  void detach();
  TracerCounters counters() const;
  // Addresses of the sampled allocations the kernel still holds as live. After freeze()
  // this is the truth a lost free event cannot corrupt.
  // Pairs of (address, size).
  std::vector<std::pair<uint64_t, uint64_t>> live_allocations() const;

 private:
  Tracer() = default;
  int pid_ = 0;
  memgap_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  std::vector<::bpf_link*> links_;
  EventHandler on_event_;
};

}  // namespace memgap::collect
