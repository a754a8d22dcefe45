// The plain input of the gap model: what procfs said about a process (mappings with
// residency, thread stack pointers) and what the probes and the allocator's own state
// said about its heap. analyze/ never reads /proc or memory itself; the pipeline fills
// these from collect/ and runtime/ so that reconciliation is unit-tested on plain data.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memgap::analyze {

struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

struct Region {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string perms;       // "rw-p"
  std::string path;        // "" anonymous, "[heap]", "/usr/lib/...", "/memfd:x"
  bool deleted = false;
  uint64_t inode = 0;
  uint64_t rss = 0;        // bytes resident
  uint64_t anonymous = 0;  // resident anonymous bytes (COW pages of file mappings too)
  uint64_t swap = 0;
  uint64_t lazy_free = 0;  // resident pages given back with MADV_FREE (reclaimable)

  uint64_t size() const { return end - start; }
  bool readable() const { return perms.size() > 0 && perms[0] == 'r'; }
  bool writable() const { return perms.size() > 1 && perms[1] == 'w'; }
  bool executable() const { return perms.size() > 2 && perms[2] == 'x'; }
  bool shared() const { return perms.size() > 3 && perms[3] == 's'; }
  bool no_access() const { return perms.size() >= 3 && perms.compare(0, 3, "---") == 0; }
  bool anonymous_path() const { return path.empty(); }
};

struct ThreadStackPointer {
  int tid = 0;
  uint64_t sp = 0;  // 0 when unknown (thread was running)
};

struct ProcessView {
  int pid = 0;
  std::vector<Region> regions;  // sorted by address, as smaps lists them
  uint64_t rollup_rss = 0;      // smaps_rollup Rss (0 = use the sum of regions)
  uint64_t status_rss_shmem = 0;
  std::vector<ThreadStackPointer> threads;
};

// The allocator's own accounting, read from the target's memory (glibc arenas, jemalloc
// stats). Figures are chunk sizes, so they include per-chunk headers.
struct AllocatorState {
  std::string allocator;      // "glibc", "jemalloc"
  std::string source;         // how it was read, shown in the gap table
  uint64_t in_use = 0;        // bytes in allocated chunks inside arenas
  uint64_t free = 0;          // bytes in free chunks (bins, fastbins, top) inside arenas
  uint64_t system = 0;        // bytes the arenas obtained from the OS
  uint64_t mmapped = 0;       // bytes in live chunks that have their own mmap
  uint64_t mmapped_count = 0;
  int arenas = 0;
  std::vector<AddressRange> arena_heaps;     // non-main arena heaps (64 MiB-aligned)
  std::vector<AddressRange> mmapped_chunks;  // large chunks with their own mmap
};

// What the probes saw. probes_ran=false is --no-probes: nothing tracked, only state.
struct HeapObservation {
  bool probes_ran = false;
  uint64_t live_tracked = 0;       // live bytes seen by probes (extrapolated), all kinds
  uint64_t live_tracked_mmap = 0;  // the part of live_tracked in chunks with their own mmap
  uint64_t live_tracked_objects = 0;  // live allocations behind live_tracked (0 = unknown)
  std::vector<AddressRange> tracked_mmaps;  // those chunks' ranges, when known
  std::string live_source = "allocator probes";  // e.g. "uprobes, sampled every 512KiB"
  std::optional<AllocatorState> allocator;
};

}  // namespace memgap::analyze
