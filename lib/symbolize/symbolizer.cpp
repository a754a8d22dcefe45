#include "symbolize/symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>
#include <set>

#include "symbolize/cu_lines.h"
#include "util/path.h"

namespace memgap::symbolize {
namespace {


char* debuginfo_path = nullptr;  // libdw's default: ":.debug:/usr/lib/debug" and build-id
const Dwfl_Callbacks kCallbacks = {
    dwfl_linux_proc_find_elf,
    dwfl_standard_find_debuginfo,
    nullptr,
    &debuginfo_path,
};

// When the address lies in code inlined into the function (std::vector's allocator inside
// open_session), the line table names the innermost header line. A user wants the line
// in the function itself: the call site of the outermost inlined scope.
bool outermost_call_site(Dwfl_Module* mod, Dwarf_Addr addr, model::Frame& f) {
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, addr, &bias);
  if (!cu) return false;
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes(cu, addr - bias, &scopes);
  if (n <= 0) return false;
  Dwarf_Die cur;
  bool have = false;
  for (int i = 0; i < n && !have; ++i)
    if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
      cur = scopes[i];
      have = true;
    }
  std::free(scopes);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (!have || dwarf_getsrcfiles(cu, &files, &nfiles) != 0) return false;
  // dwarf_getscopes continues into the inlined function's abstract definition, so the
  // chain of callers is walked one inlined instance at a time with dwarf_getscopes_die.
  bool found = false;
  for (int depth = 0; have && depth < 64; ++depth) {
    Dwarf_Attribute attr;
    Dwarf_Word file_idx = 0, line = 0;
    if (dwarf_formudata(dwarf_attr(&cur, DW_AT_call_file, &attr), &file_idx) == 0 &&
        dwarf_formudata(dwarf_attr(&cur, DW_AT_call_line, &attr), &line) == 0 && file_idx < nfiles) {
      if (const char* file = dwarf_filesrc(files, file_idx, nullptr, nullptr)) {
        f.file = file;
        f.line = static_cast<int>(line);
        found = true;
      }
    }
    Dwarf_Die* chain = nullptr;
    int m = dwarf_getscopes_die(&cur, &chain);
    have = false;
    for (int j = 1; j < m; ++j) {
      int tag = dwarf_tag(&chain[j]);
      if (tag == DW_TAG_inlined_subroutine) {
        cur = chain[j];
        have = true;
        break;
      }
      if (tag == DW_TAG_subprogram) break;
    }
    std::free(chain);
  }
  return found;
}

std::unordered_map<std::string, model::Frame>& shared_cache() {
  static std::unordered_map<std::string, model::Frame> cache;
  return cache;
}

std::mutex& shared_cache_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::string demangle(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !out) return name;
  std::string s(out);
  std::free(out);
  return s;
}

struct Symbolizer::Impl {
  Dwfl* dwfl = nullptr;
  std::set<std::string> reported;  // module paths
  std::vector<collect::Module> modules;
  std::unordered_map<uint64_t, model::Frame> cache;
};

Symbolizer::Symbolizer() : impl_(std::make_unique<Impl>()) { impl_->dwfl = dwfl_begin(&kCallbacks); }

::Dwfl* Symbolizer::dwfl() const { return impl_->dwfl; }

Symbolizer::~Symbolizer() {
  if (impl_->dwfl) dwfl_end(impl_->dwfl);
}

void Symbolizer::add_modules(const std::vector<collect::Module>& modules) {
  if (!impl_->dwfl) return;
  bool any = false;
  for (const auto& m : modules) {
    if (impl_->reported.count(m.path)) continue;
    impl_->reported.insert(m.path);
    impl_->modules.push_back(m);
    any = true;
  }
  if (!any) return;
  // dwfl_report_begin_add keeps modules already reported.
  dwfl_report_begin_add(impl_->dwfl);
  for (const auto& m : impl_->modules) {
    if (dwfl_addrmodule(impl_->dwfl, m.start)) continue;
    // For ET_DYN the base is where vaddr 0 lands, i.e. the load bias; ET_EXEC ignores it.
    Dwfl_Module* mod =
        dwfl_report_elf(impl_->dwfl, basename_of(m.path).c_str(), m.host_path.c_str(), -1, m.bias, false);
    if (!mod) spdlog::debug("libdw cannot report {}: {}", m.path, dwfl_errmsg(-1));
  }
  dwfl_report_end(impl_->dwfl, nullptr, nullptr);
  impl_->cache.clear();
}

model::Frame Symbolizer::resolve(uint64_t address, bool return_address) {
  auto cached = impl_->cache.find(address);
  if (cached != impl_->cache.end()) return cached->second;
  model::Frame f;
  f.address = address;
  f.function = "??";
  Dwfl_Module* mod = impl_->dwfl ? dwfl_addrmodule(impl_->dwfl, address) : nullptr;
  // Frames of one build of one module are the same in every process that maps it: a
  // process-wide cache keyed by build id and module offset serves later sessions
  // (top's refreshes, run's children) without touching DWARF again.
  std::string shared_key;
  if (mod) {
    const unsigned char* bits = nullptr;
    GElf_Addr id_vaddr = 0;
    Dwarf_Addr base = 0;
    dwfl_module_info(mod, nullptr, &base, nullptr, nullptr, nullptr, nullptr, nullptr);
    int n = dwfl_module_build_id(mod, &bits, &id_vaddr);
    if (n > 0) {
      shared_key.assign(reinterpret_cast<const char*>(bits), static_cast<size_t>(n));
      shared_key += ':' + std::to_string(address - base) + (return_address ? "r" : "");
      std::lock_guard<std::mutex> lock(shared_cache_mutex());
      auto hit = shared_cache().find(shared_key);
      if (hit != shared_cache().end()) {
        model::Frame g = hit->second;
        g.address = address;
        impl_->cache.emplace(address, g);
        return g;
      }
    }
  }
  if (mod) {
    const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    f.module = modname ? modname : "";
    Dwarf_Addr lookup = return_address && address > 0 ? address - 1 : address;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char* name = dwfl_module_addrinfo(mod, lookup, &off, &sym, nullptr, nullptr, nullptr);
    if (name) {
      f.function = demangle(name);
      f.offset = off + (address - lookup);
    } else {
      Dwarf_Addr start = 0;
      dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr);
      f.offset = address - start;
    }
    if (!outermost_call_site(mod, lookup, f)) {
      if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
        int lineno = 0;
        const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
        if (file) f.file = file;
        f.line = lineno;
      } else {
        line_by_cu_walk(mod, lookup, f);  // Go: no .debug_aranges
      }
    }
  }
  impl_->cache.emplace(address, f);
  if (!shared_key.empty()) {
    std::lock_guard<std::mutex> lock(shared_cache_mutex());
    if (shared_cache().size() < 1'000'000) shared_cache().emplace(shared_key, f);
  }
  return f;
}

std::vector<model::Frame> Symbolizer::resolve_stack(const std::vector<uint64_t>& pcs) {
  std::vector<model::Frame> out;
  out.reserve(pcs.size());
  for (auto pc : pcs) out.push_back(resolve(pc, true));
  return out;
}

}  // namespace memgap::symbolize
