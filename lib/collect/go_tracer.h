// The only user of the Go runtime probes' skeleton (bpf/memgap_go.bpf.c): attaches entry
// uprobes on runtime.hashGrow (map growth) and, on request, runtime.mapiterinit (map
// iteration heat) in one Go executable, and reads back what they aggregated in BPF maps.
// Entry probes only, never a uretprobe: Go code runs on goroutine stacks, where a
// hijacked return address crashes the target. RAII: destruction detaches everything.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

struct memgap_go_bpf;
struct bpf_link;

namespace memgap::collect {

struct GoProbePoint {
  std::string function;  // "runtime.hashGrow"
  uint64_t file_offset = 0;  // of the function's entry in `exe`
};

struct GoTracerConfig {
  int pid = 0;
  std::string exe;
  GoProbePoint hash_grow;
  GoProbePoint map_iter_init;  // file_offset 0: iteration heat off
  // --go-probe mallocgc: runtime.mallocgc (file_offset 0: off) and the mean bytes
  // between samples (Poisson byte sampling in BPF; <= 1 records every allocation).
  GoProbePoint mallocgc;
  uint64_t sample_bytes = 512 * 1024;
};

// A stack as the probes saw it: [rsp] caller first, then the frame-pointer walk from the
// probed function's caller's caller outward (the probed function itself is dropped).
using GoStack = std::vector<uint64_t>;

struct GoMapGrowth {
  uint64_t hmap = 0;
  GoStack stack;
  uint32_t growths = 0;
  uint64_t count_first = 0, count_last = 0;
  uint8_t log2_buckets = 0;
};

// Sampled allocations by stack (--go-probe mallocgc): count and Σ sizes of the samples.
struct GoSampledAllocs {
  GoStack stack;
  uint64_t samples = 0, bytes = 0;
};

struct GoMapIteration {
  GoStack stack;
  uint64_t calls = 0;
};

class GoTracer {
 public:
  static Result<std::unique_ptr<GoTracer>> attach(const GoTracerConfig& config);
  ~GoTracer();
  GoTracer(const GoTracer&) = delete;
  GoTracer& operator=(const GoTracer&) = delete;

  size_t attached() const { return links_.size(); }
  void freeze();
  void detach();
  std::vector<GoMapGrowth> map_growths() const;
  std::vector<GoMapIteration> map_iterations() const;
  std::vector<GoSampledAllocs> sampled_allocs() const;
  uint64_t hits() const;  // probe hits (growth + iteration + mallocgc)

 private:
  GoTracer() = default;
  GoStack stack(uint64_t caller, int32_t stack_id) const;
  memgap_go_bpf* skel_ = nullptr;
  std::vector<::bpf_link*> links_;
};

}  // namespace memgap::collect
