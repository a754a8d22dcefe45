// Classification of every mapping of a process into what it holds: heap (brk, glibc
// arena heaps, jemalloc extents, large malloc'd chunks), stacks, module text/data,
// mapped files, shared memory, other anonymous memory. The gap model sums these.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "analyze/process_view.h"

namespace memgap::analyze {

enum class RegionKind {
  Brk,            // [heap]
  ArenaHeap,      // glibc non-main arena heap
  AllocatorHeap,  // jemalloc (or other non-glibc allocator) extent
  MallocMmap,     // anonymous mmap holding large malloc'd chunks (maybe partly)
  MainStack,      // [stack]
  ThreadStack,    // anonymous mapping holding a thread's stack pointer or guard-shaped
  Guard,          // no-access pages (stack guards, arena reserves); never resident
  Module,         // file-backed mapping of an executable or library
  MappedFile,     // other file-backed mapping
  Shmem,          // shared anonymous, memfd, SysV, /dev/shm
  Kernel,         // [vdso], [vvar], [vsyscall]
  AnonOther,      // anything else anonymous
};

const char* kind_name(RegionKind k);

struct ClassifiedRegion {
  size_t index = 0;  // into ProcessView::regions
  RegionKind kind = RegionKind::AnonOther;
  // For MallocMmap: resident bytes attributed to malloc'd chunks (the rest of the
  // mapping's rss is anon.other); for every other kind: the region's rss.
  uint64_t heap_rss = 0;
  std::string why;  // "sp of tid 123", "64MiB-aligned + reserve", ...
};

// The allocator the process uses, judged from what is mapped ("glibc", "jemalloc",
// "tcmalloc", "none"); an AllocatorState, when present, wins.
std::string detect_allocator(const ProcessView& view, const HeapObservation& obs);

std::vector<ClassifiedRegion> classify(const ProcessView& view, const HeapObservation& obs);

}  // namespace memgap::analyze
