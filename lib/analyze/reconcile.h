// The gap model: RSS = Σ categories + unexplained. Classifies every resident mapping,
// splits the heap into live (probes), untracked (allocator state minus what the probes
// saw) and free (the rest of resident heap), and says why the profile and RSS differ.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "analyze/classify.h"
#include "analyze/process_view.h"
#include "model/snapshot.h"

namespace memgap::analyze {

// Stable category names (DESIGN.md, "The gap model"); tools and CI parse them.
inline constexpr const char* kHeapLive = "heap.live";
inline constexpr const char* kHeapFree = "heap.free";
inline constexpr const char* kHeapUntracked = "heap.untracked";
inline constexpr const char* kStacksThreads = "stacks.threads";
inline constexpr const char* kAnonOther = "anon.other";
inline constexpr const char* kFileMapped = "file.mapped";
inline constexpr const char* kShmem = "shmem";

// Resident bytes per kind of mapping, before the heap is split.
struct Residency {
  uint64_t total = 0;         // Σ rss over regions
  uint64_t heap_arenas = 0;   // brk + arena heaps + other allocators' extents
  uint64_t heap_mmaps = 0;    // resident part of mappings holding malloc'd chunks
  uint64_t heap_lazy_free = 0;  // MADV_FREE'd pages inside brk/arena/allocator heaps
  uint64_t stacks = 0;
  uint64_t modules = 0;
  uint64_t mapped_files = 0;
  uint64_t kernel = 0;        // vdso & co.
  uint64_t shmem = 0;
  uint64_t anon_other = 0;
  int thread_stacks = 0;      // thread stack mappings found (without [stack])
};

Residency measure(const ProcessView& view, const std::vector<ClassifiedRegion>& regions);

// Resident bytes per file (all mappings of a path summed), largest first: which module
// or mapped file file.mapped is made of.
struct FileResidency {
  std::string path;
  uint64_t rss = 0;
  bool module = false;  // has executable code
};
std::vector<FileResidency> file_breakdown(const ProcessView& view, const std::vector<ClassifiedRegion>& regions);

// Categories are emitted in a fixed order (heap first) and always all present, zero or
// not, so that consumers can rely on the names.
model::Gap reconcile(const ProcessView& view, const HeapObservation& obs);

}  // namespace memgap::analyze
