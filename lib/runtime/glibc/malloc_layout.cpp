#include "runtime/glibc/malloc_layout.h"

#include "runtime/glibc/debug_info.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace memgap::runtime::glibc {
namespace {

const char* kNoDebug = "install libc6-dbg (apt-get install libc6-dbg) matching the target's libc";

Result<MallocLayout> load_uncached(const std::string& libc_path, const std::string& debug_path);

}  // namespace

Result<std::string> find_debug_file(const std::string& elf_path) {
  ElfFile f(elf_path);
  if (!f.elf) return make_error("cannot open " + elf_path + " as ELF", "");
  std::string id = build_id_hex(f.elf);
  if (id.size() < 4) return make_error(elf_path + " has no build id", kNoDebug);
  std::string path = "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  if (::access(path.c_str(), R_OK) != 0) return make_error("no debug file " + path + " for " + elf_path, kNoDebug);
  return path;
}

Result<MallocLayout> load_malloc_layout(const std::string& libc_path) {
  auto dbg = find_debug_file(libc_path);
  if (!dbg) return dbg.error();
  // Scanning libc's DWARF takes tens of milliseconds; `top` asks every second. The
  // debug file is named by build id, so a cached layout can never belong to another libc.
  static std::mutex mu;
  static std::map<std::string, MallocLayout> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(*dbg + "\n" + libc_path);
    if (it != cache.end()) return it->second;
  }
  auto fresh = load_uncached(libc_path, *dbg);
  if (fresh) {
    std::lock_guard<std::mutex> lock(mu);
    cache[*dbg + "\n" + libc_path] = *fresh;
  }
  return fresh;
}

namespace {
Result<MallocLayout> load_uncached(const std::string& libc_path, const std::string& debug_path) {
  const std::string* dbg = &debug_path;
  MallocLayout L;
  L.debug_file = *dbg;
  {
    ElfFile lib(libc_path);
    if (!lib.elf) return make_error("cannot open " + libc_path, "");
    L.load_vaddr = first_load_vaddr(lib.elf);
  }
  ElfFile f(*dbg);
  if (!f.elf) return make_error("cannot open " + *dbg, kNoDebug);
  auto syms = find_symbols(f.elf, {"main_arena", "mp_"});
  if (!syms.count("main_arena") || !syms.count("mp_"))
    return make_error("main_arena/mp_ not in " + *dbg, "this libc's debug file lacks a symbol table");
  L.main_arena = syms["main_arena"];
  L.mp = syms["mp_"];

  Dwarf* dw = dwarf_begin_elf(f.elf, DWARF_C_READ, nullptr);
  if (!dw) return make_error("no DWARF in " + *dbg, kNoDebug);
  auto structs = structs_in_cu(dw, "malloc.c", {"malloc_state", "malloc_par", "malloc_chunk", "_heap_info",
                                                "tcache_perthread_struct"});
  dwarf_end(dw);
  auto need = [&](const char* s, const char* m, uint64_t& out) {
    auto it = structs.find(s);
    if (it == structs.end() || !it->second.count(m)) return false;
    out = it->second.at(m);
    return true;
  };
  uint64_t binmap = 0;
  bool ok = need("malloc_state", "fastbinsY", L.fastbins) && need("malloc_state", "top", L.top) &&
            need("malloc_state", "bins", L.bins) && need("malloc_state", "binmap", binmap) &&
            need("malloc_state", "next", L.next) && need("malloc_state", "system_mem", L.system_mem) &&
            need("malloc_par", "sbrk_base", L.sbrk_base) && need("malloc_par", "n_mmaps", L.n_mmaps) &&
            need("malloc_par", "mmapped_mem", L.mmapped_mem);
  if (!ok) return make_error("unexpected malloc_state/malloc_par layout in " + *dbg, "this glibc version is not supported");
  // Array lengths follow from the neighbouring members' offsets.
  L.nfastbins = (L.top - L.fastbins) / 8;
  L.nbins_ptrs = (binmap - L.bins) / 8;
  need("malloc_chunk", "mchunk_size", L.chunk_size);
  need("malloc_chunk", "fd", L.chunk_fd);
  need("malloc_chunk", "bk", L.chunk_bk);
  need("_heap_info", "size", L.heap_size);
  need("_heap_info", "prev", L.heap_prev);
  need("malloc_state", "__size", L.state_size);
  need("malloc_state", "flags", L.flags);
  need("_heap_info", "__size", L.heap_info_size);
  L.has_tcache = need("tcache_perthread_struct", "__size", L.tcache_size) &&
                 need("tcache_perthread_struct", "counts", L.tcache_counts) &&
                 need("tcache_perthread_struct", "entries", L.tcache_entries);
  // counts[TCACHE_MAX_BINS] precedes entries[TCACHE_MAX_BINS] (8-byte pointers).
  if (L.has_tcache) L.tcache_count_width = (L.tcache_entries - L.tcache_counts) / ((L.tcache_size - L.tcache_entries) / 8);
  // Fastbin pointers are mangled since glibc 2.32 (safe-linking). Libraries before 2.34
  // are named libc-2.NN.so, which tells the version; libc.so.6 alone means >= 2.34.
  auto pos = libc_path.find("libc-2.");
  if (pos != std::string::npos) L.safe_linking = std::atoi(libc_path.c_str() + pos + 7) >= 32;
  return L;
}
}  // namespace

}  // namespace memgap::runtime::glibc
