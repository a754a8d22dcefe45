// Which functions of which module get which BPF program, for one target. Planning is
// separate from attaching so that it is testable and so that `--no-probes` never loads
// BPF at all.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/target.h"
#include "util/result.h"

namespace memgap::collect {

// The BPF entry programs in bpf/memgap.bpf.c, one per argument layout.
enum class Handler { Malloc, Calloc, Realloc, ReallocArray, PosixMemalign, AlignedAlloc, Valloc, Mmap, Free, Munmap };

struct Probe {
  std::string symbol;       // first symbol name found at this address
  std::string module;       // path as the target sees it
  std::string binary_path;  // path memgap opens (/proc/PID/root/...)
  uint64_t file_offset = 0;      // where the probe goes (function start + placement)
  uint64_t function_offset = 0;  // the function's start
  std::string placement;         // why the probe sits where it does
  Handler handler = Handler::Malloc;
  bool needs_return = false;  // allocation functions: the pointer comes back in RAX
};

struct ProbePlan {
  std::string allocator;  // glibc, jemalloc, tcmalloc, mimalloc, static:<exe>, or a module name
  std::string allocator_module;
  std::vector<Probe> probes;
  std::vector<std::string> aliases_skipped;  // "memalign = aligned_alloc" (same address)
};

// Picks the module that provides malloc (the executable if it defines one, then a
// non-libc allocator library, then libc) and plans its entry points plus anonymous
// mmap/munmap from libc. Aliased symbols are probed once.
Result<ProbePlan> plan_allocator_probes(const Target& target);

const char* handler_name(Handler h);

}  // namespace memgap::collect
