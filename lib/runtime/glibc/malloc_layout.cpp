#include "runtime/glibc/malloc_layout.h"

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

// Owns an ELF handle and its file descriptor; closes both on every path.
struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  explicit ElfFile(const std::string& path) {
    elf_version(EV_CURRENT);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) elf = elf_begin(fd, ELF_C_READ, nullptr);
  }
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) ::close(fd);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;
};

std::string build_id_hex(Elf* elf) {
  size_t n = 0;
  if (elf_getshdrnum(elf, &n) != 0) return {};
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    GElf_Nhdr nh;
    size_t off = 0, name_off = 0, desc_off = 0;
    while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
      if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
          std::memcmp(static_cast<char*>(data->d_buf) + name_off, "GNU", 4) != 0)
        continue;
      std::string hex;
      const auto* d = static_cast<const unsigned char*>(data->d_buf) + desc_off;
      char b[3];
      for (size_t i = 0; i < nh.n_descsz; ++i) {
        std::snprintf(b, sizeof b, "%02x", d[i]);
        hex += b;
      }
      return hex;
    }
  }
  return {};
}

uint64_t first_load_vaddr(Elf* elf) {
  size_t n = 0;
  if (elf_getphdrnum(elf, &n) != 0) return 0;
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) return ph.p_vaddr & ~0xfffull;
  }
  return 0;
}

// Local symbols (main_arena, mp_ are static) live only in the debug file's .symtab.
std::map<std::string, uint64_t> find_symbols(Elf* elf, std::initializer_list<const char*> names) {
  std::map<std::string, uint64_t> out;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !sh.sh_entsize) continue;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT) continue;
      const char* nm = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!nm) continue;
      for (const char* want : names)
        if (std::strcmp(nm, want) == 0) out[want] = sym.st_value;
    }
  }
  return out;
}

using Members = std::map<std::string, uint64_t>;

// Member offsets by name, plus the struct's own size under "__size".
Members members_of(Dwarf_Die* type) {
  Members m;
  Dwarf_Attribute sz;
  Dwarf_Word size = 0;
  if (dwarf_attr(type, DW_AT_byte_size, &sz) && dwarf_formudata(&sz, &size) == 0) m["__size"] = size;
  Dwarf_Die child;
  if (dwarf_child(type, &child) != 0) return m;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* nm = dwarf_diename(&child);
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (nm && dwarf_attr(&child, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) == 0) m[nm] = off;
  } while (dwarf_siblingof(&child, &child) == 0);
  return m;
}

// The struct types of malloc.c, by name, from the CU that defines them.
std::map<std::string, Members> malloc_structs(Dwarf* dw) {
  std::map<std::string, Members> out;
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + hsize, &cu)) {
      const char* name = dwarf_diename(&cu);
      std::string n = name ? name : "";
      if (n == "malloc.c" || n.ends_with("/malloc.c")) {
        Dwarf_Die d;
        if (dwarf_child(&cu, &d) == 0) {
          do {
            if (dwarf_tag(&d) != DW_TAG_structure_type) continue;
            const char* sn = dwarf_diename(&d);
            if (!sn) continue;
            std::string s = sn;
            if (s == "malloc_state" || s == "malloc_par" || s == "malloc_chunk" || s == "_heap_info" ||
                s == "tcache_perthread_struct")
              out[s] = members_of(&d);
          } while (dwarf_siblingof(&d, &d) == 0);
        }
        if (out.count("malloc_state")) return out;
      }
    }
    off = next;
  }
  return out;
}

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
  auto structs = malloc_structs(dw);
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
