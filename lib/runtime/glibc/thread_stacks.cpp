#include "runtime/glibc/thread_stacks.h"

#include <dwarf.h>

#include <mutex>
#include <set>

#include "runtime/glibc/debug_info.h"
#include "runtime/glibc/malloc_layout.h"
#include "runtime/glibc/remote_memory.h"

namespace memgap::runtime::glibc {
namespace {

struct ThreadLayout {
  uint64_t rtld_global = 0, load_vaddr = 0;        // in ld.so
  uint64_t stack_used = 0, stack_user = 0, stack_cache = 0;  // list heads in rtld_global
  uint64_t pd_list = 0, pd_stackblock = 0, pd_stackblock_size = 0, pd_size = 0;  // struct pthread
};

const char* kNoDebug = "install libc6-dbg (apt-get install libc6-dbg) matching the target's libc";

const collect::Mapping* first_mapping(const std::vector<collect::Mapping>& maps, const char* needle) {
  const collect::Mapping* found = nullptr;
  for (const auto& m : maps)
    if (m.path.find(needle) != std::string::npos && m.offset == 0 && (!found || m.start < found->start)) found = &m;
  return found;
}

std::string target_path(int pid, const std::string& path) {
  std::string p = "/proc/" + std::to_string(pid) + "/root" + path;
  return ::access(p.c_str(), R_OK) == 0 ? p : path;
}

Result<ThreadLayout> load_layout(const std::string& ld_path, const std::string& libc_path) {
  ThreadLayout L;
  auto ld_dbg = find_debug_file(ld_path);
  if (!ld_dbg) return ld_dbg.error();
  auto libc_dbg = find_debug_file(libc_path);
  if (!libc_dbg) return libc_dbg.error();
  {
    ElfFile ld(ld_path);
    if (!ld.elf) return make_error("cannot open " + ld_path);
    L.load_vaddr = first_load_vaddr(ld.elf);
  }
  {
    ElfFile f(*ld_dbg);
    if (!f.elf) return make_error("cannot open " + *ld_dbg, kNoDebug);
    auto syms = find_symbols(f.elf, {"_rtld_global"});
    if (!syms.count("_rtld_global")) return make_error("_rtld_global not in " + *ld_dbg, kNoDebug);
    L.rtld_global = syms["_rtld_global"];
    Dwarf* dw = dwarf_begin_elf(f.elf, DWARF_C_READ, nullptr);
    if (!dw) return make_error("no DWARF in " + *ld_dbg, kNoDebug);
    auto s = structs_in_cu(dw, "rtld.c", {"rtld_global"});
    dwarf_end(dw);
    const Members& g = s["rtld_global"];
    if (!g.count("_dl_stack_used") || !g.count("_dl_stack_user") || !g.count("_dl_stack_cache"))
      return make_error("this ld.so keeps no thread stack lists in _rtld_global", "glibc 2.34 or later is needed");
    L.stack_used = g.at("_dl_stack_used");
    L.stack_user = g.at("_dl_stack_user");
    L.stack_cache = g.at("_dl_stack_cache");
  }
  ElfFile f(*libc_dbg);
  if (!f.elf) return make_error("cannot open " + *libc_dbg, kNoDebug);
  Dwarf* dw = dwarf_begin_elf(f.elf, DWARF_C_READ, nullptr);
  if (!dw) return make_error("no DWARF in " + *libc_dbg, kNoDebug);
  auto s = structs_in_cu(dw, "pthread_create.c", {"pthread"});
  dwarf_end(dw);
  const Members& p = s["pthread"];
  if (!p.count("list") || !p.count("stackblock") || !p.count("stackblock_size") || !p.count("__size"))
    return make_error("unexpected struct pthread layout in " + *libc_dbg, "this glibc version is not supported");
  L.pd_list = p.at("list");
  L.pd_stackblock = p.at("stackblock");
  L.pd_stackblock_size = p.at("stackblock_size");
  L.pd_size = p.at("__size");
  return L;
}

// The layout per (ld.so, libc) pair: DWARF scans take tens of milliseconds.
Result<ThreadLayout> cached_layout(const std::string& ld_path, const std::string& libc_path) {
  static std::mutex mu;
  static std::map<std::string, ThreadLayout> cache;
  const std::string key = ld_path + "\n" + libc_path;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto L = load_layout(ld_path, libc_path);
  if (L) {
    std::lock_guard<std::mutex> lock(mu);
    cache[key] = *L;
  }
  return L;
}

}  // namespace

Result<std::vector<ThreadStack>> read_glibc_thread_stacks(int pid, const std::vector<collect::Mapping>& maps) {
  const collect::Mapping* ld = first_mapping(maps, "/ld-linux");
  const collect::Mapping* libc = first_mapping(maps, "/libc.so");
  if (!ld || !libc) return make_error("the target does not use glibc's dynamic loader");
  auto layout = cached_layout(target_path(pid, ld->path), target_path(pid, libc->path));
  if (!layout) return layout.error();
  const ThreadLayout& L = *layout;
  const uint64_t rtld = ld->start - L.load_vaddr + L.rtld_global;
  RemoteMemory mem(pid);
  std::vector<ThreadStack> out;
  struct List {
    uint64_t head;
    bool live, user;
  };
  for (List list : {List{rtld + L.stack_used, true, false}, List{rtld + L.stack_user, true, true},
                    List{rtld + L.stack_cache, false, false}}) {
    auto first = mem.u64(list.head);
    if (!first) return make_error("cannot read _rtld_global of PID " + std::to_string(pid), "the process exited");
    std::set<uint64_t> seen;
    for (uint64_t e = *first; e != list.head; ) {
      // A list longer than any real thread count, or a loop, is a torn or misread list.
      if (!e || (e & 7) || seen.size() > 1'000'000 || !seen.insert(e).second)
        return make_error("glibc's thread list of PID " + std::to_string(pid) + " is torn");
      ThreadStack t;
      t.descriptor = e - L.pd_list;
      t.descriptor_size = L.pd_size;
      t.block = mem.u64(t.descriptor + L.pd_stackblock).value_or(0);
      t.block_size = mem.u64(t.descriptor + L.pd_stackblock_size).value_or(0);
      t.live = list.live;
      t.user_stack = list.user;
      out.push_back(t);
      auto next = mem.u64(e);
      if (!next) return make_error("glibc's thread list of PID " + std::to_string(pid) + " cannot be read");
      e = *next;
    }
  }
  return out;
}

}  // namespace memgap::runtime::glibc
