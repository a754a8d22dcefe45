#include "runtime/go/go_state.h"

#include <chrono>

#include "collect/maps.h"
#include "runtime/go/elf_image.h"
#include "runtime/go/globals.h"
#include "runtime/go/layout.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/remote_memory.h"

namespace memgap::runtime::go {

namespace {
// linux/amd64 arenas (malloc.go): 64 MiB each, indices offset by arenaBaseOffset.
constexpr uint64_t kHeapArenaBytes = 64ull << 20;
constexpr uint64_t kArenaBaseOffset = 0xffff800000000000ull;

struct ExeMapping {
  std::string path;
  uint64_t start = 0;  // where file offset 0 is mapped
};

// The executable is the lowest file mapping at offset 0 (static Go binaries, PIE or not,
// and cgo binaries alike are mapped below their shared libraries).
Result<ExeMapping> find_exe(int pid, const collect::ProcSource& proc) {
  auto maps = collect::read_maps(proc, pid);
  if (!maps) return maps.error();
  for (const auto& m : *maps) {
    if (m.is_file() && m.offset == 0) {
      ExeMapping e{m.path, m.start};
      if (m.deleted) e.path = "/proc/" + std::to_string(pid) + "/exe";
      return e;
    }
  }
  return make_error("PID " + std::to_string(pid) + " has no executable mapping");
}

// runtime.firstmoduledata (go1.18/1.19 layout): its first word points at the pcHeader,
// `text` (inside .text; after the C start-up code when linked externally) is at +176 and
// `gofunc` at +304. It lives in .noptrdata; searching the live
// copy (already relocated in PIE builds) for the pclntab address finds it without symbols.
uint64_t find_gofunc(const RemoteMemory& mem, const ElfImage& img, const char* pcname, uint64_t bias) {
  constexpr uint64_t kText = 176, kGofunc = 304;
  const ElfSection* nd = img.section(".noptrdata");
  const ElfSection* pc = img.section(pcname);
  const ElfSection* text = img.section(".text");
  if (!nd || !pc || !text || nd->size > (64u << 20)) return 0;
  auto b = mem.bytes(nd->addr + bias, nd->size);
  if (!b) return 0;
  for (uint64_t off = 0; off + kGofunc + 8 <= b->size(); off += 8)
    if (load_u64(*b, off) == pc->addr + bias && text->contains(load_u64(*b, off + kText) - bias))
      return load_u64(*b, off + kGofunc);
  return 0;
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> read_arenas(const RemoteMemory& mem,
                                                               uint64_t mheap, const GoLayout& l) {
  auto hdr = mem.bytes(mheap + l.mheap_allArenas, 16);
  if (!hdr) return hdr.error();
  uint64_t ptr = load_u64(*hdr, 0), len = load_u64(*hdr, 8);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  if (!ptr || len == 0 || len > (1u << 20)) return out;
  auto idx = mem.bytes(ptr, len * 8);
  if (!idx) return idx.error();
  for (uint64_t i = 0; i < len; ++i) {
    uint64_t base = load_u64(*idx, i * 8) * kHeapArenaBytes + kArenaBaseOffset;
    if (!out.empty() && out.back().second == base) out.back().second += kHeapArenaBytes;
    else out.emplace_back(base, base + kHeapArenaBytes);
  }
  return out;
}
}  // namespace

struct GoReader::Impl {
  int pid = 0;
  std::string exe;
  GoVersion version;
  Pclntab pcln;
  GoLayout layout;
  GoGlobals globals;  // runtime addresses (bias applied)
  uint64_t bias = 0;
  uint64_t gofunc = 0;  // runtime address of moduledata.gofunc (inline trees); 0 = unknown
  // runtime.mProfCycle (heap profile cycle); 0 = unknown (stripped: no symbol, and no
  // code reference is worth guessing for it: see heap_profile.h for the fallback).
  uint64_t mprof_cycle = 0;
  uint64_t text_addr = 0, text_offset = 0;  // .text: link address and file offset
  ProcessMemory mem{0};
};

GoReader::GoReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GoReader::GoReader(GoReader&&) noexcept = default;
GoReader& GoReader::operator=(GoReader&&) noexcept = default;
GoReader::~GoReader() = default;
const GoVersion& GoReader::version() const { return impl_->version; }
const std::string& GoReader::exe() const { return impl_->exe; }

Result<int64_t> GoReader::mem_profile_rate() const {
  if (!impl_->globals.mem_profile_rate) return make_error("runtime.MemProfileRate was not located");
  auto v = impl_->mem.u64(impl_->globals.mem_profile_rate);
  if (!v) return v.error();
  return static_cast<int64_t>(*v);
}

Status GoReader::set_mem_profile_rate(int64_t rate) const {
  if (!impl_->globals.mem_profile_rate) return make_error("runtime.MemProfileRate was not located");
  return write_mem_profile_rate(impl_->pid, impl_->globals.mem_profile_rate, rate);
}

Result<HeapProfile> GoReader::heap_profile() const {
  if (!impl_->globals.mbuckets) return make_error("runtime.mbuckets was not located");
  std::optional<uint32_t> cycle;
  if (impl_->mprof_cycle) {
    // mProfCycleHolder.value: the cycle number from bit 1, the flushed flag in bit 0.
    if (auto v = impl_->mem.u32(impl_->mprof_cycle)) cycle = *v >> 1;
  }
  return read_heap_profile(impl_->mem, impl_->globals.mbuckets, cycle);
}

std::optional<uint64_t> GoReader::entry_file_offset(const std::string& function) const {
  auto f = impl_->pcln.lookup(function);
  if (!f || !impl_->text_addr || f->entry < impl_->text_addr) return std::nullopt;
  return f->entry - impl_->text_addr + impl_->text_offset;
}

Result<uint64_t> GoReader::read_u64(uint64_t addr) const { return impl_->mem.u64(addr); }

std::vector<GoFrame> GoReader::frames(uint64_t pc) const {
  GoSymbolizer sym(impl_->pcln, impl_->bias, &impl_->mem, impl_->gofunc);
  return sym.frames(pc);
}

bool is_go_process(int pid, const collect::ProcSource& proc) {
  auto exe = find_exe(pid, proc);
  if (!exe) return false;
  auto img = ElfImage::open(exe->path);
  return img && img->section(".go.buildinfo") != nullptr;
}

Result<GoReader> GoReader::open(int pid, const collect::ProcSource& proc, const std::string& exe_override) {
  auto exe = find_exe(pid, proc);
  if (!exe) return exe.error();
  std::string path = exe_override.empty() ? exe->path : exe_override;
  auto img = ElfImage::open(path);
  if (!img && exe_override.empty()) {
    path = "/proc/" + std::to_string(pid) + "/exe";  // other mount namespace, replaced file
    img = ElfImage::open(path);
  }
  if (!img) return img.error();
  auto version = read_buildinfo_version(*img);
  if (!version) return version.error();
  if (auto s = check_supported(*version); !s) return s.error();

  auto impl = std::make_unique<Impl>();
  impl->pid = pid;
  impl->exe = path;
  impl->version = *version;
  impl->mem = ProcessMemory(pid);
  impl->bias = img->pie() ? exe->start - img->base_vaddr() : 0;

  const ElfSection* text = img->section(".text");
  if (text) {
    impl->text_addr = text->addr;
    impl->text_offset = text->offset;
  }
  // PIE builds keep the table in a relocated section of another name.
  const char* pcname = img->section(".gopclntab") ? ".gopclntab" : ".data.rel.ro.gopclntab";
  auto pcbytes = img->section_bytes(pcname);
  if (!pcbytes) return pcbytes.error();
  auto pcln = Pclntab::parse(std::move(*pcbytes), text ? text->addr : 0);
  if (!pcln) return pcln.error();
  impl->pcln = std::move(*pcln);

  // DWARF is the authority when present; the built-in table covers -w builds.
  auto layout = layout_from_dwarf(path);
  if (!layout) layout = builtin_layout(*version);
  if (!layout) return layout.error();
  impl->layout = *layout;

  auto globals = img->has_symtab() ? globals_from_symtab(*img)
                                   : globals_from_code(*img, impl->pcln, *version, impl->layout);
  if (!globals) return globals.error();
  impl->globals = globals->rebased(impl->bias);
  if (auto s = validate_globals(impl->mem, impl->globals, impl->layout); !s) return s.error();
  impl->gofunc = find_gofunc(impl->mem, *img, pcname, impl->bias);
  if (auto c = img->symbol("runtime.mProfCycle")) impl->mprof_cycle = *c + impl->bias;
  return GoReader(std::move(impl));
}

Result<GoState> GoReader::read() const {
  auto t0 = std::chrono::steady_clock::now();
  const Impl& d = *impl_;
  GoState s;
  s.version = d.version;
  s.exe = d.exe;
  s.layout_source = d.layout.source;
  s.globals_source = d.globals.source;
  // Re-validate on every read: the process may have exec'd or exited since open().
  if (auto v = validate_globals(d.mem, d.globals, d.layout); !v) return v.error();
  auto m = read_memory_metrics(d.mem, d.globals, d.layout);
  if (!m) return m.error();
  s.metrics = std::move(*m);
  GoSymbolizer sym(d.pcln, d.bias, &d.mem, d.gofunc);
  auto c = read_census(d.mem, d.globals, d.layout, sym);
  if (!c) return c.error();
  s.census = std::move(*c);
  s.metrics["/sched/goroutines:goroutines"] = double(s.census.goroutines);
  auto arenas = read_arenas(d.mem, d.globals.mheap, d.layout);
  if (!arenas) return arenas.error();
  s.arenas = std::move(*arenas);
  s.read_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

Result<GoState> read_go_state(int pid, const collect::ProcSource& proc) {
  auto r = GoReader::open(pid, proc);
  if (!r) return r.error();
  return r->read();
}

}  // namespace memgap::runtime::go
