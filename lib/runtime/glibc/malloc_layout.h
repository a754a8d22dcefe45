// Where glibc's malloc keeps its state and how it is laid out, taken from libc6-dbg's
// DWARF (found by the build id of the target's libc) rather than hard-coded, so that a
// different glibc version is read correctly or refused, never misread.
#pragma once
#include <cstdint>
#include <string>

#include "util/result.h"

namespace memgap::runtime::glibc {

struct MallocLayout {
  std::string debug_file;
  uint64_t main_arena = 0;  // link-time address (add the load bias)
  uint64_t mp = 0;          // mp_ (struct malloc_par)
  uint64_t load_vaddr = 0;  // p_vaddr of libc's first PT_LOAD (bias = map start - this)
  // struct malloc_state
  uint64_t fastbins = 0, nfastbins = 0, top = 0, bins = 0, nbins_ptrs = 0, next = 0, system_mem = 0;
  uint64_t state_size = 0;
  uint64_t flags = 4;       // malloc_state.flags (NONCONTIGUOUS_BIT = 2: brk heap has holes)  // sizeof(struct malloc_state): a thread arena's first chunk follows it
  // struct malloc_par
  uint64_t sbrk_base = 0, n_mmaps = 0, mmapped_mem = 0;
  // struct malloc_chunk
  uint64_t chunk_size = 8, chunk_fd = 16, chunk_bk = 24;
  // heap_info (arena.c)
  uint64_t heap_prev = 8, heap_size = 16, heap_info_size = 32;
  bool safe_linking = true;
  // struct tcache_perthread_struct (absent before glibc 2.26): per-thread caches of
  // freed chunks that mallinfo counts as in use.
  bool has_tcache = false;
  uint64_t tcache_size = 0, tcache_counts = 0, tcache_entries = 0, tcache_count_width = 2;  // glibc >= 2.32 mangles fastbin/tcache next pointers
};

// The separate debug file for an ELF, via its NT_GNU_BUILD_ID note:
// /usr/lib/debug/.build-id/xx/yyyy.debug.
Result<std::string> find_debug_file(const std::string& elf_path);

// Reads the layout from libc's debug file; `libc_path` is the library as mapped.
Result<MallocLayout> load_malloc_layout(const std::string& libc_path);

}  // namespace memgap::runtime::glibc
