// The only user of the Go runtime probes' skeleton (bpf/memgap_go.bpf.c): attaches entry
// uprobes on the functions it is given (map growth, map iteration starts, allocation) in
// one Go executable, and reads back what they aggregated in BPF maps. Which functions,
// and which argument register each one's probe reads, is the caller's (the release
// description's) business: this file knows no Go release.
// Entry probes only, never a uretprobe: Go code runs on goroutine stacks, where a
// hijacked return address crashes the target. RAII: destruction detaches everything.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

struct memgap_go_bpf;
struct bpf_link;

namespace memgap::collect {

struct GoProbePoint {
  std::string function;      // "runtime.hashGrow"
  uint64_t file_offset = 0;  // where the probe goes in `exe` (entry, or past its stack check)
  // The argument the probe reads, by index in Go's amd64 register ABI (0 RAX, 1 RBX,
  // 2 RCX, ...; memgap_go.h): the map header for growth, the size for allocation.
  uint8_t arg = 0;
  // The probe is on the `jbe` of the function's stack check `cmp rsp, [r14+0x10]`: the
  // pass that will jump to morestack (which restarts the function) is not counted.
  bool at_stack_check = false;
};

struct GoTracerConfig {
  int pid = 0;
  std::string exe;
  // Functions that run once per growth of one map (empty: growth tracking off), and the
  // offset of the length word in the map header the probes read.
  std::vector<GoProbePoint> map_growth;
  uint32_t map_length_offset = 0;
  // Functions every range loop over a map starts with (empty: iteration heat off).
  std::vector<GoProbePoint> map_iteration;
  // --go-probe mallocgc: functions that between them see every allocation exactly once
  // (empty: off), and the mean bytes between samples (Poisson byte sampling in BPF;
  // <= 1 records every allocation).
  std::vector<GoProbePoint> allocation;
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
  uint64_t hits() const;  // probe hits (growth + iteration + allocation)
  uint64_t growth_hits() const;  // growth probes alone
  // Events whose stack was not recorded (the stack map full, or a hash collision in it):
  // their site is the probed function's caller alone.
  uint64_t stacks_lost() const;

 private:
  GoTracer() = default;
  GoStack stack(uint64_t caller, int32_t stack_id) const;
  uint64_t counter_sum(std::initializer_list<uint32_t> counters) const;
  memgap_go_bpf* skel_ = nullptr;
  std::vector<::bpf_link*> links_;
};

}  // namespace memgap::collect
