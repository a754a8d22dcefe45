// The Go runtime's own heap profile, read from outside: the bucket list behind
// runtime.MemProfile (runtime.mbuckets, mprof.go; bucket layout per release). The runtime samples about one
// allocation per MemProfileRate bytes and records its stack at allocation time, so
// reading these buckets gives in-use bytes by allocation stack at no cost to the target.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/go/layout.h"
#include "runtime/go/remote_memory.h"
#include "util/result.h"

namespace memgap::runtime::go {

// One memProfile bucket: its stack (return pcs, runtime addresses, the allocating
// function's caller chain as runtime.callers(4) saw it) and the published counts.
struct HeapRecord {
  std::vector<uint64_t> stack;
  uint64_t allocs = 0, frees = 0, alloc_bytes = 0, free_bytes = 0;
  uint64_t in_use_objects() const { return allocs >= frees ? allocs - frees : 0; }
  uint64_t in_use_bytes() const { return alloc_bytes >= free_bytes ? alloc_bytes - free_bytes : 0; }
};

struct HeapProfile {
  std::vector<HeapRecord> records;
  uint64_t buckets = 0;     // memProfile buckets walked
  bool unpublished = false; // no GC published a cycle yet: all cycles summed, as MemProfile does
};

// Walks mbuckets → allnext and returns what runtime.MemProfile would publish now:
// `active` plus the cycle MemProfile flushes first (future[cycle % 3]) when the
// profile cycle `cycle` (mProfCycle.read()) is known; when every active record is empty
// (no GC yet) all three future cycles are summed, like MemProfile's `clear` case.
// `mbuckets_var` is the address of runtime.mbuckets (a pointer variable); `l` gives the
// release's bucket and memRecord layout.
Result<HeapProfile> read_heap_profile(const RemoteMemory& mem, const GoLayout& l, uint64_t mbuckets_var,
                                      std::optional<uint32_t> cycle);

// pprof's scaleHeapSample: a sampled count/size pair stands for count*scale objects,
// where scale = 1 / (1 - exp(-avg/rate)) undoes Poisson sampling at mean `rate` bytes.
struct Scaled {
  double objects = 0, bytes = 0;
};
Scaled scale_heap_sample(uint64_t count, uint64_t size, int64_t rate);

// The runtime's default rate (runtime.MemProfileRate = 512 KiB) for --go-enable-profiling.
inline constexpr int64_t kDefaultMemProfileRate = 512 * 1024;

// Writes `rate` into the target's runtime.MemProfileRate (ProcessMemory::write). This
// changes the target (opt-in only): the runtime reads the variable on its next
// allocation-sampling decision, so sampling starts at once.
Status write_mem_profile_rate(const ProcessMemory& mem, uint64_t addr, int64_t rate);

}  // namespace memgap::runtime::go
