#include "runtime/go/globals.h"

#include "runtime/go/code_refs.h"

#include <algorithm>
#include <optional>

namespace memgap::runtime::go {

GoGlobals GoGlobals::rebased(uint64_t bias) const {
  GoGlobals g = *this;
  for (uint64_t* a : {&g.mheap, &g.memstats, &g.gc_controller, &g.allglen, &g.allgptr,
                      &g.mem_profile_rate, &g.mbuckets})
    if (*a) *a += bias;
  return g;
}

namespace {
// Each global: its symbol, and the runtime functions where stripped code is searched.
// They are functions every Go program links (start-up and the collector's core; the
// runtime/metrics code is dropped by the linker unless the program imports it), and
// the reference is among their first statements, so compiler scheduling cannot reorder
// it: mallocinit takes &mheap_ to call mheap_.init, (*mheap).init passes
// &memstats.mspan_sys (or its successor) to the fixalloc it sets up, gcinit calls
// gcController.init, forEachGRace loads allglen and allgptr, profilealloc reads
// MemProfileRate and mProf_FlushLocked walks mbuckets.
struct GlobalDesc {
  const char* name;
  uint64_t GoGlobals::*member;
  const char* symbol;
  std::vector<const char*> functions;
};

const std::vector<GlobalDesc>& global_descs() {
  static const std::vector<GlobalDesc> d = {
      {"mheap", &GoGlobals::mheap, "runtime.mheap_", {"runtime.mallocinit"}},
      {"memstats", &GoGlobals::memstats, "runtime.memstats", {"runtime.(*mheap).init"}},
      {"gc_controller", &GoGlobals::gc_controller, "runtime.gcController", {"runtime.gcinit"}},
      {"allglen", &GoGlobals::allglen, "runtime.allglen", {"runtime.forEachGRace"}},
      {"allgptr", &GoGlobals::allgptr, "runtime.allgptr", {"runtime.forEachGRace"}},
      {"mem_profile_rate", &GoGlobals::mem_profile_rate, "runtime.MemProfileRate", {"runtime.profilealloc"}},
      {"mbuckets", &GoGlobals::mbuckets, "runtime.mbuckets", {"runtime.mProf_FlushLocked"}},
  };
  return d;
}

struct Code {
  const ElfSection* text = nullptr;
  std::vector<uint8_t> bytes;
  std::vector<const ElfSection*> data;
  bool in_data(uint64_t a) const {
    for (auto* s : data)
      if (s->contains(a)) return true;
    return false;
  }
};

Result<Code> load_code(const ElfImage& img) {
  Code c;
  c.text = img.section(".text");
  if (!c.text) return make_error(img.path() + " has no .text section");
  auto code = img.section_bytes(".text");
  if (!code) return code.error();
  c.bytes = std::move(*code);
  for (const char* n : {".data", ".bss", ".noptrdata", ".noptrbss"})
    if (auto* s = img.section(n)) c.data.push_back(s);
  return c;
}

// The RIP-relative data references of a function, or nullopt when it is not in .text.
std::optional<std::vector<CodeRef>> refs_of(const Code& c, const Pclntab& pcln, const std::string& func) {
  auto f = pcln.lookup(func);
  if (!f || f->entry < c.text->addr || f->end > c.text->addr + c.text->size) return std::nullopt;
  return rip_refs(c.bytes.data() + (f->entry - c.text->addr), f->end - f->entry, f->entry,
                  [&](uint64_t a) { return c.in_data(a); });
}
}  // namespace

Result<GoGlobals> globals_from_symtab(const ElfImage& img) {
  GoGlobals g;
  g.source = "symtab";
  for (const auto& d : global_descs()) {
    auto a = img.symbol(d.symbol);
    if (!a) return make_error(std::string("symbol table has no ") + d.symbol);
    g.*d.member = *a;
  }
  return g;
}

Result<std::vector<CodeRefRule>> learn_code_refs(const ElfImage& img, const Pclntab& pcln) {
  auto code = load_code(img);
  if (!code) return code.error();
  std::vector<CodeRefRule> out;
  for (const auto& d : global_descs()) {
    auto sym = img.symbol(d.symbol);
    if (!sym) return make_error(img.path() + ": symbol table has no " + d.symbol);
    uint64_t size = std::max<uint64_t>(8, img.symbol_size(d.symbol).value_or(8));
    bool found = false;
    for (const char* fn : d.functions) {
      auto refs = refs_of(*code, pcln, fn);
      if (!refs) continue;
      for (size_t i = 0; i < refs->size() && !found; ++i) {
        uint64_t t = (*refs)[i].target;
        if (t < *sym || t >= *sym + size) continue;
        out.push_back({d.name, fn, false, int(i), int64_t(t - *sym)});
        found = true;
      }
      if (found) break;
    }
    if (!found) return make_error(std::string("no known runtime function of ") + img.path() + " names " + d.symbol);
  }
  return out;
}

Result<GoGlobals> globals_from_code(const ElfImage& img, const Pclntab& pcln, const ReleaseSpec& spec) {
  if (spec.code_refs.empty())
    return make_error("memgap has no code-reference rules for " + spec.name + " to read a stripped binary",
                      "pass --go-layout-from FILE: an unstripped binary built by the same Go release");
  auto code = load_code(img);
  if (!code) return code.error();
  GoGlobals g;
  g.source = "code references";
  for (const auto& r : spec.code_refs) {
    const GlobalDesc* d = nullptr;
    for (const auto& x : global_descs())
      if (r.global == x.name) d = &x;
    if (!d) return make_error("code-reference rule for an unknown global " + r.global);
    auto refs = refs_of(*code, pcln, r.func);
    if (!refs)
      return make_error("stripped " + spec.name + " binary has no function " + r.func +
                        "; cannot locate the runtime's globals");
    int seen = 0;
    bool found = false;
    for (const auto& ref : *refs) {
      if (r.lea_only && !ref.lea) continue;
      if (seen++ == r.index) {
        g.*d->member = ref.target - uint64_t(r.delta);
        found = true;
        break;
      }
    }
    if (!found)
      return make_error("unexpected code in " + r.func + " of this " + spec.name +
                        " binary; cannot locate the runtime's globals");
  }
  for (const auto& d : global_descs())
    if (!(g.*d.member)) return make_error(std::string("no code-reference rule locates ") + d.symbol);
  return g;
}

Status validate_globals(const RemoteMemory& mem, const GoGlobals& g, const GoLayout& l) {
  auto bad = [&](const std::string& what) {
    return make_error("Go runtime globals failed validation (" + what + ", located from " + g.source + ")",
                      "memgap refuses to read runtime figures it cannot verify");
  };
  auto span_size = mem.u64(g.mheap + l.mheap_spanalloc + l.fixalloc_size);
  if (!span_size) return span_size.error();
  auto cache_size = mem.u64(g.mheap + l.mheap_cachealloc + l.fixalloc_size);
  if (!cache_size) return cache_size.error();
  // fixalloc.size is a uintptr set once by mheap.init to sizeof the type it allocates.
  if (*span_size != l.sizeof_mspan || *cache_size != l.sizeof_mcache)
    return bad("mheap_.spanalloc.size is " + std::to_string(*span_size) + ", expected " +
               std::to_string(l.sizeof_mspan));
  auto gen = mem.u32(g.memstats + l.mstats_heapStats + l.chs_gen);
  if (!gen) return gen.error();
  if (*gen > 2) return bad("memstats.heapStats.gen is " + std::to_string(*gen));
  auto gogc = mem.u32(g.gc_controller + l.gcc_gcPercent);
  if (!gogc) return gogc.error();
  int32_t pct = static_cast<int32_t>(*gogc);
  if (pct < -1 || pct > (1 << 24)) return bad("gcController.gcPercent is " + std::to_string(pct));
  auto n = mem.u64(g.allglen);
  if (!n) return n.error();
  if (*n == 0 || *n > (1u << 24)) return bad("allglen is " + std::to_string(*n));
  return Ok{};
}

}  // namespace memgap::runtime::go
