// glibc malloc's own accounting, read from a live target without stopping it: walks
// main_arena and every thread arena (free bins, fastbins, top) like mallinfo2() does,
// collects non-main arena heaps, and finds anonymous mappings that hold mmapped chunks.
// The target keeps running, so figures are a racy but close snapshot.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/maps.h"
#include "util/result.h"

namespace memgap::runtime::glibc {

struct Range {
  uint64_t start = 0;
  uint64_t end = 0;
};

struct ArenaState {
  std::string source;       // "glibc 3 arenas via <debug file>"
  int arenas = 0;
  uint64_t system = 0;      // Σ system_mem
  uint64_t free = 0;        // Σ free chunks (bins + fastbins + top)
  uint64_t in_use = 0;      // system - free (includes tcache'd chunks, like mallinfo)
  uint64_t mmapped = 0;     // mp_.mmapped_mem
  uint64_t mmapped_count = 0;  // mp_.n_mmaps
  uint64_t free_chunks = 0;
  // Chunks parked in per-thread caches (tcache). mallinfo counts them as in use; they
  // are free memory. Found only for caches that are the first chunk of an arena (the
  // thread that created the arena, and the main thread); threads sharing an arena
  // keep theirs elsewhere.
  uint64_t tcache_free = 0;
  int tcaches = 0;
  bool truncated = false;
  bool linear = true;       // heaps walked chunk by chunk (false: some via bin lists)   // a bin walk hit its limit or a torn pointer
  std::vector<Range> arena_heaps;
  std::vector<Range> mmapped_chunks;
};

// `maps` is the target's /proc/PID/maps (to find libc and candidate mmapped chunks).
// `resident` optionally lists the anonymous mappings worth scanning for mmapped chunks
// (a live chunk's header page has been written, so it is resident): with smaps at hand
// the caller skips untouched mappings, which keeps 10,000-mapping processes fast.
// Fails with a hint when libc is not mapped or its debug info is missing.
Result<ArenaState> read_glibc_arenas(int pid, const std::vector<collect::Mapping>& maps,
                                     const std::vector<Range>* resident = nullptr);

// Every block the program holds in glibc's heap, for a reachability scan of a target
// that is stopped: in-use chunks of every arena (walked header by header) and mmapped
// chunks, less what only looks in use — chunks on fastbin and tcache lists and the
// tcaches themselves. Each block is its chunk's payload [chunk + 16, next chunk), the
// bytes a program pointer may point into.
struct HeapChunks {
  std::vector<Range> chunks;   // sorted by start
  std::vector<Range> regions;  // where they lie: arena heaps, the brk heap, mmapped chunks
  uint64_t mmapped = 0;        // how many of the blocks are mmapped chunks
  uint64_t internal = 0;       // chunks set aside as free (fastbins, tcaches) or malloc's own
  int arenas = 0;
};

// Fails, saying why, when a heap cannot be walked whole (a non-contiguous brk heap, a
// torn list): a partial block list would turn reachable blocks into leaks.
Result<HeapChunks> read_glibc_heap_chunks(int pid, const std::vector<collect::Mapping>& maps);

}  // namespace memgap::runtime::glibc
