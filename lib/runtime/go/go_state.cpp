#include "runtime/go/go_state.h"

#include <algorithm>
#include <chrono>

#include "collect/maps.h"
#include "runtime/go/elf_image.h"
#include "runtime/go/globals.h"
#include "runtime/go/layout.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/release.h"
#include "runtime/go/release_derive.h"
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
      if (m.deleted) e.path = proc_file(pid, "exe");
      return e;
    }
  }
  return make_error("PID " + std::to_string(pid) + " has no executable mapping");
}

// runtime.firstmoduledata: its first word points at the pcHeader, `text` lies inside
// .text (after the C start-up code when linked externally) and `gofunc` is the base of
// the inline trees (offsets per release, from the layout). It lives in .go.module
// (go1.26 on) or .noptrdata (go1.19); searching the live copy (already relocated in
// PIE builds) for the pclntab address finds it without symbols.
uint64_t find_gofunc(const RemoteMemory& mem, const ElfImage& img, const GoLayout& l, uint64_t bias) {
  const ElfSection* nd = img.section(".go.module");
  if (!nd) nd = img.section(".noptrdata");
  const ElfSection* pc = img.section(pclntab_section(img));
  const ElfSection* text = img.section(".text");
  if (!nd || !pc || !text || nd->size > (64u << 20)) return 0;
  uint64_t need = std::max({l.md_pcHeader, l.md_text, l.md_gofunc}) + 8;
  auto b = mem.bytes(nd->addr + bias, nd->size);
  if (!b) return 0;
  for (uint64_t off = 0; off + need <= b->size(); off += 8)
    if (load_u64(*b, off + l.md_pcHeader) == pc->addr + bias &&
        text->contains(load_u64(*b, off + l.md_text) - bias))
      return load_u64(*b, off + l.md_gofunc);
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
  ReleaseSpec spec;  // the release as read: built-in facts, layouts from DWARF when present
  bool proven = true;  // a built-in release; otherwise every read is validated further
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
GoReader::GoReader(const GoReader&) = default;
GoReader& GoReader::operator=(const GoReader&) = default;
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
  return write_mem_profile_rate(impl_->mem, impl_->globals.mem_profile_rate, rate);
}

Result<HeapProfile> GoReader::heap_profile() const {
  if (!impl_->globals.mbuckets) return make_error("runtime.mbuckets was not located");
  std::optional<uint32_t> cycle;
  if (impl_->mprof_cycle) {
    // mProfCycleHolder.value: the cycle number from bit 1, the flushed flag in bit 0.
    if (auto v = impl_->mem.u32(impl_->mprof_cycle)) cycle = *v >> 1;
  }
  return read_heap_profile(impl_->mem, impl_->spec.layout, impl_->globals.mbuckets, cycle);
}

std::optional<uint64_t> GoReader::entry_file_offset(const std::string& function) const {
  auto f = impl_->pcln.lookup(function);
  if (!f || !impl_->text_addr || f->entry < impl_->text_addr) return std::nullopt;
  return f->entry - impl_->text_addr + impl_->text_offset;
}

Result<uint64_t> GoReader::read_u64(uint64_t addr) const { return impl_->mem.u64(addr); }

std::vector<GoFrame> GoReader::frames(uint64_t pc) const {
  GoSymbolizer sym(impl_->pcln, impl_->bias, &impl_->mem, impl_->gofunc, &impl_->spec.layout);
  return sym.frames(pc);
}

bool is_go_process(int pid, const collect::ProcSource& proc) {
  auto exe = find_exe(pid, proc);
  if (!exe) return false;
  auto img = ElfImage::open(exe->path);
  return img && is_go_image(*img);
}

namespace {
// For releases memgap was not proven on: the figures must agree with what the kernel
// says of the process, or they are refused. Every arena lies in a mapping; the heap's
// in-use classes fit in the arenas; the census is non-empty.
// `maps` (the target's /proc/PID/maps, when at hand) adds the arena check.
template <typename Maps>
Status check_consistency(const GoState& s, const Maps* maps) {
  auto bad = [&](const std::string& what) {
    return make_error("Go " + s.version.text + " runtime figures failed validation (" + what + ")",
                      "memgap refuses to read runtime figures it cannot verify; pass --go-layout-from FILE "
                      "with an unstripped binary of the same Go release, or read RSS from smaps only");
  };
  uint64_t arena_bytes = 0;
  for (const auto& [lo, hi] : s.arenas) {
    bool mapped = !maps;
    if (maps)
      for (const auto& m : *maps) mapped |= m.start <= lo && lo < m.end;
    if (!mapped) return bad("a heap arena outside every mapping");
    arena_bytes += hi - lo;
  }
  auto at = [&](const char* n) { auto it = s.metrics.find(n); return it == s.metrics.end() ? -1.0 : it->second; };
  double heap = at("/memory/classes/heap/objects:bytes") + at("/memory/classes/heap/unused:bytes") +
                at("/memory/classes/heap/free:bytes") + at("/memory/classes/heap/stacks:bytes");
  for (const char* n : {"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
                        "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes",
                        "/memory/classes/total:bytes"})
    if (at(n) < 0 || at(n) > double(1ull << 47)) return bad(std::string(n) + " out of range");
  if (s.arenas.empty() || heap > double(arena_bytes)) return bad("heap statistics larger than the heap arenas");
  if (s.census.goroutines == 0) return bad("no goroutines");
  return Ok{};
}
}  // namespace

const ReleaseSpec& GoReader::release() const { return impl_->spec; }

Result<GoReader> GoReader::open(int pid, const collect::ProcSource& proc, const std::string& exe_override) {
  GoOpenOptions o;
  o.exe = exe_override;
  return open(pid, proc, o);
}

namespace {
// The release description a target is read with. Built-in releases take their layouts
// from the binary's DWARF when it has any; another release is read only from DWARF
// (its own, or the donor's of --go-layout-from) and is then validated on every read.
Result<ReleaseSpec> choose_release(const ElfImage& img, const Pclntab& pcln, const GoVersion& v,
                                   const GoOpenOptions& o, bool& proven) {
  const ReleaseSpec* known = known_release(v);
  proven = known != nullptr;
  if (!o.layout_from.empty()) {
    auto donor = ElfImage::open(o.layout_from);
    if (!donor) return donor.error();
    auto dv = read_go_version(*donor);
    if (!dv) return make_error("--go-layout-from " + o.layout_from + ": " + dv.error().message);
    if (dv->major != v.major || dv->minor != v.minor)
      return make_error("--go-layout-from " + o.layout_from + " was built by " + dv->text + ", the target by " +
                            v.text,
                        "give an unstripped binary built by the target's Go release");
    auto dpcln = load_pclntab(*donor);
    if (!dpcln) return dpcln.error();
    auto spec = derive_release(*donor, *dpcln, known ? *known : nearest_release(v));
    if (!spec)
      return make_error("--go-layout-from " + o.layout_from + ": " + spec.error().message,
                        "give a binary built without -ldflags=-s -w");
    spec->layout.source = "dwarf of " + o.layout_from;
    spec->name = "go1." + std::to_string(v.minor);
    spec->minor = v.minor;
    proven = false;
    return spec;
  }
  if (known) {
    ReleaseSpec spec = *known;
    // DWARF is the authority when present; the built-in table covers -w builds.
    if (auto dw = layout_from_dwarf(img.path())) spec.layout = *dw;
    return spec;
  }
  auto spec = derive_release(img, pcln, nearest_release(v));
  if (spec) {
    spec->name = "go1." + std::to_string(v.minor);
    spec->minor = v.minor;
    return spec;
  }
  return make_error("Go version " + v.text + " is not supported: memgap has built-in layouts for " +
                        known_release_names() + " only, and this binary has no DWARF to read its own from (" +
                        spec.error().message + ")",
                    "pass --go-layout-from FILE, an unstripped binary built by " + v.text +
                        "; runtime figures are refused rather than misread, and RSS is still explained from smaps");
}

// Globals must lie in the executable's data: a rule that matched the wrong code lands
// elsewhere.
Status globals_in_range(const ElfImage& img, const GoGlobals& g, uint64_t bias) {
  for (uint64_t a : {g.mheap, g.memstats, g.gc_controller, g.allglen, g.allgptr, g.mem_profile_rate, g.mbuckets}) {
    bool in = false;
    for (const char* n : {".data", ".bss", ".noptrdata", ".noptrbss"})
      if (const ElfSection* s = img.section(n)) in |= s->contains(a - bias);
    if (!in)
      return make_error("Go runtime globals failed validation (an address outside the executable's data)",
                        "memgap refuses to read runtime figures it cannot verify");
  }
  return Ok{};
}
}  // namespace

Result<GoReader> GoReader::open(int pid, const collect::ProcSource& proc, const GoOpenOptions& o) {
  auto r = open_if_go(pid, proc, o);
  if (!r) return r.error();
  if (!*r) return make_error("PID " + std::to_string(pid) + " is not a Go program (no .go.buildinfo or .gopclntab section)");
  return std::move(**r);
}

Result<std::optional<GoReader>> GoReader::open_if_go(int pid, const collect::ProcSource& proc,
                                                     const GoOpenOptions& o) {
  auto exe = find_exe(pid, proc);
  if (!exe) return exe.error();
  std::string path = o.exe.empty() ? exe->path : o.exe;
  auto img = ElfImage::open(path);
  if (!img && o.exe.empty()) {
    path = proc_file(pid, "exe");  // other mount namespace, replaced file
    img = ElfImage::open(path);
  }
  if (!img) return img.error();
  if (!is_go_image(*img)) return std::optional<GoReader>{};
  auto version = read_go_version(*img);
  if (!version) return version.error();

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
  auto pcln = load_pclntab(*img);
  if (!pcln) return pcln.error();
  impl->pcln = std::move(*pcln);

  auto spec = choose_release(*img, impl->pcln, *version, o, impl->proven);
  if (!spec) return spec.error();
  impl->spec = std::move(*spec);

  auto globals = img->has_symtab() ? globals_from_symtab(*img) : globals_from_code(*img, impl->pcln, impl->spec);
  if (!globals) return globals.error();
  if (auto s = globals_in_range(*img, *globals, 0); !s) return s.error();
  impl->globals = globals->rebased(impl->bias);
  if (auto s = validate_globals(impl->mem, impl->globals, impl->spec.layout); !s) return s.error();
  impl->gofunc = find_gofunc(impl->mem, *img, impl->spec.layout, impl->bias);
  if (auto c = img->symbol("runtime.mProfCycle")) impl->mprof_cycle = *c + impl->bias;
  std::optional<GoReader> r(GoReader(std::move(impl)));
  if (!r->impl_->proven) {
    // A release memgap has not been proven on: one full read must pass the consistency
    // checks before the reader is handed out.
    auto first = r->read();
    if (!first) return first.error();
    auto maps = collect::read_maps(proc, pid);
    if (!maps) return maps.error();
    if (auto v = check_consistency(*first, &*maps); !v) return v.error();
  }
  return r;
}

Result<GoState> GoReader::read() const {
  auto t0 = std::chrono::steady_clock::now();
  const Impl& d = *impl_;
  GoState s;
  s.version = d.version;
  s.exe = d.exe;
  s.release = d.spec.name;
  s.layout_source = d.spec.layout.source;
  s.globals_source = d.globals.source;
  // Re-validate on every read: the process may have exec'd or exited since open().
  if (auto v = validate_globals(d.mem, d.globals, d.spec.layout); !v) return v.error();
  auto m = read_memory_metrics(d.mem, d.globals, d.spec);
  if (!m) return m.error();
  s.metrics = std::move(*m);
  GoSymbolizer sym(d.pcln, d.bias, &d.mem, d.gofunc, &d.spec.layout);
  auto c = read_census(d.mem, d.globals, d.spec, sym);
  if (!c) return c.error();
  s.census = std::move(*c);
  s.metrics["/sched/goroutines:goroutines"] =
      double(s.census.goroutines + (d.spec.sched_goroutines_counts_system ? s.census.system_goroutines : 0));
  if (d.spec.has_goroutine_state_metrics) {
    // schedStatsAggregate: running and runnable per P, not-in-go in syscalls, waiting the
    // rest of gcount(true).
    const Census& k = s.census;
    s.metrics["/sched/goroutines/running:goroutines"] = double(k.running);
    s.metrics["/sched/goroutines/runnable:goroutines"] = double(k.runnable);
    s.metrics["/sched/goroutines/not-in-go:goroutines"] = double(k.in_syscall);
    s.metrics["/sched/goroutines/waiting:goroutines"] = double(k.waiting);
  }
  auto arenas = read_arenas(d.mem, d.globals.mheap, d.spec.layout);
  if (!arenas) return arenas.error();
  s.arenas = std::move(*arenas);
  if (!d.proven)
    if (auto v = check_consistency<std::vector<collect::Mapping>>(s, nullptr); !v) return v.error();
  s.read_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

Result<GoState> read_go_state(int pid, const collect::ProcSource& proc, const GoOpenOptions& options) {
  auto r = GoReader::open(pid, proc, options);
  if (!r) return r.error();
  return r->read();
}

}  // namespace memgap::runtime::go
