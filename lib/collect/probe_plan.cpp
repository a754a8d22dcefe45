#include "collect/probe_plan.h"

#include <map>
#include <set>

#include "collect/elf_symbols.h"
#include "collect/probe_placement.h"
#include "util/path.h"

namespace memgap::collect {
namespace {

struct EntryPoint {
  const char* symbol;
  Handler handler;
  bool needs_return;
};

// The malloc family as glibc, jemalloc, tcmalloc and mimalloc all export it.
const EntryPoint kAllocatorEntryPoints[] = {
    {"malloc", Handler::Malloc, true},
    {"calloc", Handler::Calloc, true},
    {"realloc", Handler::Realloc, true},
    {"reallocarray", Handler::ReallocArray, true},
    {"posix_memalign", Handler::PosixMemalign, true},
    {"aligned_alloc", Handler::AlignedAlloc, true},
    {"memalign", Handler::AlignedAlloc, true},
    {"valloc", Handler::Valloc, true},
    {"pvalloc", Handler::Valloc, true},
    {"free", Handler::Free, false},
};

// Entry points beyond the standard family, by allocator: jemalloc's *allocx API and
// tcmalloc's sized/nothrow/aligned deletes and news (those with their own address; its
// aliases of malloc/free share an address and are probed once).
const EntryPoint kAllocatorExtras[] = {
    {"mallocx", Handler::Malloc, true},         // jemalloc: (size, flags)
    {"rallocx", Handler::Realloc, true},        // jemalloc: (ptr, size, flags)
    {"sdallocx", Handler::Free, false},         // jemalloc: (ptr, size, flags)
    {"dallocx", Handler::Free, false},          // jemalloc: (ptr, flags)
    {"tc_free_sized", Handler::Free, false},    // tcmalloc: (ptr, size)
    {"tc_delete_sized", Handler::Free, false},
    {"tc_delete_nothrow", Handler::Free, false},
    {"tc_delete_aligned", Handler::Free, false},
    {"tc_delete_sized_aligned", Handler::Free, false},
    {"tc_delete_aligned_nothrow", Handler::Free, false},
    {"tc_new_nothrow", Handler::Malloc, true},  // tcmalloc: (size, nothrow)
    {"tc_new_aligned", Handler::Malloc, true},  // tcmalloc: (size, align)
    {"tc_new_aligned_nothrow", Handler::Malloc, true},
};

// C++ operator new and new[] (plain, nothrow, aligned): the size is the first argument in
// every variant. Probing them makes the reported site the new-expression's caller rather
// than malloc's caller inside libstdc++ (which has no frame pointers, so the user's frame
// would be lost); the malloc that new calls is nested and counted once. operator delete
// is not probed: it ends in free(), which is, and a probe there would double the hits.
const EntryPoint kCxxEntryPoints[] = {
    {"_Znwm", Handler::Malloc, true},
    {"_Znam", Handler::Malloc, true},
    {"_ZnwmRKSt9nothrow_t", Handler::Malloc, true},
    {"_ZnamRKSt9nothrow_t", Handler::Malloc, true},
    {"_ZnwmSt11align_val_t", Handler::Malloc, true},
    {"_ZnamSt11align_val_t", Handler::Malloc, true},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", Handler::Malloc, true},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", Handler::Malloc, true},
};

const EntryPoint kMmapEntryPoints[] = {
    {"mmap", Handler::Mmap, true},
    {"mmap64", Handler::Mmap, true},
    {"munmap", Handler::Munmap, false},
};


bool is_libc(const std::string& path) { return basename_of(path).rfind("libc.so", 0) == 0; }

std::string allocator_name(const Module& m, const Target& t) {
  std::string b = basename_of(m.path);
  if (is_libc(m.path)) return "glibc";
  if (b.find("jemalloc") != std::string::npos) return "jemalloc";
  if (b.find("tcmalloc") != std::string::npos) return "tcmalloc";
  if (b.find("mimalloc") != std::string::npos) return "mimalloc";
  if (m.path == t.exe) return "static:" + b;
  return b;
}

}  // namespace

const char* handler_name(Handler h) {
  switch (h) {
    case Handler::Malloc: return "malloc";
    case Handler::Calloc: return "calloc";
    case Handler::Realloc: return "realloc";
    case Handler::ReallocArray: return "reallocarray";
    case Handler::PosixMemalign: return "posix_memalign";
    case Handler::AlignedAlloc: return "aligned_alloc";
    case Handler::Valloc: return "valloc";
    case Handler::Mmap: return "mmap";
    case Handler::Free: return "free";
    case Handler::Munmap: return "munmap";
  }
  return "?";
}

Result<ProbePlan> plan_allocator_probes(const Target& target) {
  // Load symbols of every module once; a module that cannot be read is skipped (it may
  // be a data file mapped by the target), not fatal.
  std::vector<std::pair<const Module*, ElfSymbols>> loaded;
  for (const auto& m : target.modules) {
    auto syms = ElfSymbols::load(m.host_path);
    if (syms) loaded.emplace_back(&m, std::move(*syms));
  }
  const std::pair<const Module*, ElfSymbols>* alloc = nullptr;
  const std::pair<const Module*, ElfSymbols>* libc = nullptr;
  const std::pair<const Module*, ElfSymbols>* cxx = nullptr;  // defines operator new
  for (const auto& entry : loaded) {
    if (!cxx && entry.second.defines("_Znwm")) cxx = &entry;  // executable first, else libstdc++
    bool defines_malloc = entry.second.defines("malloc") && entry.second.defines("free");
    if (is_libc(entry.first->path) && !libc) libc = &entry;
    if (!defines_malloc) continue;
    // Interposition order: the executable, then any other allocator library, then libc.
    int rank = entry.first->path == target.exe ? 0 : is_libc(entry.first->path) ? 2 : 1;
    int best = !alloc ? 3 : alloc->first->path == target.exe ? 0 : is_libc(alloc->first->path) ? 2 : 1;
    if (rank < best) alloc = &entry;
  }
  if (!alloc) {
    bool go = !loaded.empty() && loaded.front().second.is_go();
    return make_error("no malloc/free found in " + target.exe + " or its libraries",
                      go ? "this is a Go program without libc; use 'memgap attach PID --no-probes'"
                         : "memgap needs the allocator's symbols; a static, stripped binary cannot be probed",
                      ErrorKind::kUnsupportedTarget);
  }

  ProbePlan plan;
  plan.allocator = allocator_name(*alloc->first, target);
  plan.allocator_module = alloc->first->path;
  std::set<std::pair<std::string, uint64_t>> seen;
  std::map<std::pair<std::string, uint64_t>, std::string> first_symbol;
  auto add = [&](const std::pair<const Module*, ElfSymbols>& mod, const EntryPoint& ep) {
    auto sym = mod.second.find(ep.symbol);
    if (!sym) return;
    auto key = std::make_pair(mod.first->path, sym->file_offset);
    if (!seen.insert(key).second) {
      plan.aliases_skipped.push_back(std::string(ep.symbol) + " = " + first_symbol[key]);
      return;
    }
    first_symbol[key] = ep.symbol;
    Probe probe;
    probe.symbol = ep.symbol;
    probe.module = mod.first->path;
    probe.binary_path = mod.first->host_path;
    probe.function_offset = sym->file_offset;
    probe.handler = ep.handler;
    probe.needs_return = ep.needs_return;
    // Both probes of the function move past a harmless prologue to an emulated
    // instruction; [rsp] is still the return address there, so the uretprobe works too.
    auto code = ElfSymbols::read_code(mod.first->host_path, sym->file_offset, 32);
    Placement where = place_entry_probe(code.data(), code.size(), ep.handler == Handler::Free);
    probe.file_offset = sym->file_offset + where.offset;
    probe.placement = where.reason;
    plan.probes.push_back(std::move(probe));
  };
  for (const auto& ep : kAllocatorEntryPoints) add(*alloc, ep);
  for (const auto& ep : kAllocatorExtras) add(*alloc, ep);
  // An allocator that defines operator new itself (tcmalloc) interposes libstdc++'s.
  if (alloc->second.defines("_Znwm") && (!cxx || cxx->first->path != target.exe)) cxx = alloc;
  if (cxx)
    for (const auto& ep : kCxxEntryPoints) add(*cxx, ep);
  // Anonymous mmap is how large or custom allocators get memory; it comes from libc.
  const auto* mmap_mod = libc ? libc : alloc;
  for (const auto& ep : kMmapEntryPoints) add(*mmap_mod, ep);
  return plan;
}

}  // namespace memgap::collect
