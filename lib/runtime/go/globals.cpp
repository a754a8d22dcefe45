#include "runtime/go/globals.h"

#include "runtime/go/code_refs.h"

namespace memgap::runtime::go {

GoGlobals GoGlobals::rebased(uint64_t bias) const {
  GoGlobals g = *this;
  for (uint64_t* a : {&g.mheap, &g.memstats, &g.gc_controller, &g.allglen, &g.allgptr,
                      &g.mem_profile_rate, &g.mbuckets})
    if (*a) *a += bias;
  return g;
}

Result<GoGlobals> globals_from_symtab(const ElfImage& img) {
  GoGlobals g;
  g.source = "symtab";
  struct Want { uint64_t* out; const char* name; };
  for (Want w : {Want{&g.mheap, "runtime.mheap_"}, Want{&g.memstats, "runtime.memstats"},
                 Want{&g.gc_controller, "runtime.gcController"}, Want{&g.allglen, "runtime.allglen"},
                 Want{&g.allgptr, "runtime.allgptr"}, Want{&g.mem_profile_rate, "runtime.MemProfileRate"},
                 Want{&g.mbuckets, "runtime.mbuckets"}}) {
    auto a = img.symbol(w.name);
    if (!a) return make_error(std::string("symbol table has no ") + w.name);
    *w.out = *a;
  }
  return g;
}

namespace {
// Where go1.19's code names each global: the n-th data operand (or n-th LEA) of a
// runtime function, minus the offset of the field that operand addresses. Chosen from
// functions whose first statements touch the global, so compiler scheduling cannot
// reorder them (checked on every go1.19 test build by the runtime tests).
struct RefRule {
  uint64_t GoGlobals::*out;
  const char* func;
  bool lea_only;
  int index;
  uint64_t GoLayout::*field;  // subtracted from the target; nullptr = 0
};

const RefRule kGo119Rules[] = {
    {&GoGlobals::mheap, "runtime.(*sysStatsAggregate).compute.func1", true, 0, nullptr},
    {&GoGlobals::memstats, "runtime.(*sysStatsAggregate).compute", false, 0, &GoLayout::mstats_stacks_sys},
    {&GoGlobals::gc_controller, "runtime.(*sysStatsAggregate).compute", true, 0, nullptr},
    {&GoGlobals::allglen, "runtime.forEachGRace", false, 0, nullptr},
    {&GoGlobals::allgptr, "runtime.forEachGRace", false, 1, nullptr},
    {&GoGlobals::mem_profile_rate, "runtime.profilealloc", false, 1, nullptr},
    {&GoGlobals::mbuckets, "runtime.mProf_FlushLocked", false, 0, nullptr},
};
}  // namespace

Result<GoGlobals> globals_from_code(const ElfImage& img, const Pclntab& pcln, const GoVersion& v,
                                    const GoLayout& layout) {
  if (auto s = check_supported(v); !s) return s.error();
  const ElfSection* text = img.section(".text");
  if (!text) return make_error(img.path() + " has no .text section");
  auto code = img.section_bytes(".text");
  if (!code) return code.error();
  std::vector<const ElfSection*> data;
  for (const char* n : {".data", ".bss", ".noptrdata", ".noptrbss"})
    if (auto* s = img.section(n)) data.push_back(s);
  auto in_data = [&](uint64_t a) {
    for (auto* s : data)
      if (s->contains(a)) return true;
    return false;
  };

  GoGlobals g;
  g.source = "code references";
  for (const RefRule& r : kGo119Rules) {
    auto f = pcln.lookup(r.func);
    if (!f || f->entry < text->addr || f->end > text->addr + text->size)
      return make_error(std::string("stripped ") + v.text + " binary has no function " + r.func +
                        "; cannot locate the runtime's globals");
    auto refs = rip_refs(code->data() + (f->entry - text->addr), f->end - f->entry, f->entry, in_data);
    int seen = 0;
    bool found = false;
    for (const auto& ref : refs) {
      if (r.lea_only && !ref.lea) continue;
      if (seen++ == r.index) {
        g.*r.out = ref.target - (r.field ? layout.*r.field : 0);
        found = true;
        break;
      }
    }
    if (!found)
      return make_error(std::string("unexpected code in ") + r.func + " of this " + v.text +
                        " binary; cannot locate the runtime's globals");
  }
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
  if (*n == 0 || *n > (1u << 26)) return bad("allglen is " + std::to_string(*n));
  return Ok{};
}

}  // namespace memgap::runtime::go
