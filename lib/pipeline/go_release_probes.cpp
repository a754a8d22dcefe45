#include "pipeline/go_release_probes.h"

#include <cstring>
#include <fstream>

namespace memgap::pipeline {

namespace {

// Read from each release's runtime source and checked against `go tool objdump` of its
// binaries (the register each caller loads before the call).
//
// Maps. go1.19: runtime.hashGrow(t, h) runs once per doubling; h (*hmap) in RBX;
// hmap.count is its first word. go1.24+ Swiss tables (internal/runtime/maps) have no
// hashGrow; a map grows in two ways, each one call per growth:
//   (*Map).growToTable(m, typ)       its one 8-slot group is full: first table (m in RAX)
//   (*table).rehash(t, typ, m)       a table is full: doubled or split in two (m in RCX)
// Map.used (the length) is the Map's first word. growToSmall is left out: it runs on
// the first insert into every map made without a size hint, i.e. at almost every small
// map's birth, which is not growth and would cost a probe hit per map.
// Iteration: go1.19's range loops and reflect call runtime.mapiterinit; from go1.24 the
// compiler calls runtime.mapIterStart and reflect its own reflect.mapIterStart
// (mapiterinit is a shim for linkname users only).
//
// Allocation (size in RAX everywhere). go1.19 and go1.26: every allocation enters
// runtime.mallocgc (which dispatches to mallocgcTiny/SmallNoscan/... itself). go1.26
// builds with GOEXPERIMENT=sizespecializedmalloc, and go1.27 by default, have the
// compiler call size-specialised mallocs (mallocgcTinySC2, mallocgcSmallNoScanSC<n>,
// mallocgcSmallScanNoHeaderSC<n>) directly for new(T) of up to 80 bytes, around
// mallocgc, and mallocgc calls the same functions for small sizes. go1.27 is therefore
// probed at the leaves: mallocgc hands each allocation to exactly one of the functions
// below and none of them calls another (their slow paths are separate functions), so
// every allocation is one hit and counted once, whichever way it came in.
const std::vector<GoReleaseProbes>& table() {
  static const std::vector<GoReleaseProbes> t = [] {
    GoReleaseProbes go119;
    go119.minor = 19;
    go119.map_growth = {{"runtime.hashGrow", 1}};
    go119.map_length_offset = 0;
    go119.map_iteration = {{"runtime.mapiterinit", 0}};
    go119.allocation = {{"runtime.mallocgc", 0}};

    GoReleaseProbes go126;
    go126.minor = 26;
    go126.map_growth = {{"internal/runtime/maps.(*Map).growToTable", 0},
                        {"internal/runtime/maps.(*table).rehash", 2}};
    go126.map_length_offset = 0;
    go126.map_iteration = {{"runtime.mapIterStart", 0}, {"reflect.mapIterStart", 0, true}};
    go126.allocation = {{"runtime.mallocgc", 0}};
    go126.allocation_bypass = {"runtime.mallocgcSmallNoScanSC#", "runtime.mallocgcSmallScanNoHeaderSC#",
                               "runtime.mallocgcTinySize#"};

    GoReleaseProbes go127 = go126;
    go127.minor = 27;
    go127.allocation = {{"runtime.mallocgcTinySC2", 0, true},
                        {"runtime.mallocgcSmallNoScanSC#", 0},
                        {"runtime.mallocgcSmallScanNoHeaderSC#", 0},
                        {"runtime.mallocgcTiny", 0, true},  // builds without the specialised mallocs
                        {"runtime.mallocgcSmallNoscan", 0},
                        {"runtime.mallocgcSmallScanNoHeader", 0},
                        {"runtime.mallocgcSmallScanHeader", 0},
                        {"runtime.mallocgcLarge", 0}};
    go127.allocation_bypass = {};
    return std::vector<GoReleaseProbes>{go119, go126, go127};
  }();
  return t;
}

constexpr int kMaxSizeClass = 67;  // _NumSizeClasses - 1 in every release so far

// Go functions start with the stack-bound check `cmp rsp, [r14+0x10]; jbe morestack`.
// The probe goes on the instruction after the jbe (`push rbp`): a push is emulated
// (~5.5 us) where the cmp would be single-stepped (~18 us), and it runs once per call,
// where the cmp and the jbe run twice when the goroutine's stack has to grow (morestack
// restarts the function from its entry) and would count that call twice. The cmp and
// the jbe change no argument register, and [rsp] is still the return address.
uint64_t past_stack_check(const std::string& exe, uint64_t entry) {
  unsigned char code[10] = {};
  std::ifstream f(exe, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(entry));
  f.read(reinterpret_cast<char*>(code), sizeof code);
  const unsigned char stack_check[4] = {0x49, 0x3b, 0x66, 0x10};
  if (!f || std::memcmp(code, stack_check, 4) != 0) return entry;  // no stack check (nosplit)
  if (code[4] == 0x76) return entry + 4 + 2;                        // jbe rel8
  if (code[4] == 0x0f && code[5] == 0x86) return entry + 4 + 6;     // jbe rel32
  return entry;
}

// The functions one entry stands for that exist in the binary.
std::vector<std::pair<std::string, uint64_t>> present(const runtime::go::GoReader& reader, const std::string& name) {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!name.empty() && name.back() == '#') {
    std::string stem = name.substr(0, name.size() - 1);
    for (int i = 1; i <= kMaxSizeClass; ++i)
      if (auto off = reader.entry_file_offset(stem + std::to_string(i))) out.emplace_back(stem + std::to_string(i), *off);
  } else if (auto off = reader.entry_file_offset(name)) {
    out.emplace_back(name, *off);
  }
  return out;
}

Result<std::vector<collect::GoProbePoint>> resolve(const runtime::go::GoReader& reader,
                                                    const std::vector<GoProbedFunction>& functions) {
  std::vector<collect::GoProbePoint> out;
  for (const auto& f : functions) {
    auto found = present(reader, f.function);
    bool pattern = !f.function.empty() && f.function.back() == '#';
    if (found.empty() && !f.optional && !pattern)
      return make_error(f.function + " not found in " + reader.exe() + " (" + reader.version().text + ")",
                        "memgap probes the functions this Go release runs; a binary without them is refused "
                        "rather than half-traced");
    for (auto& [name, entry] : found) out.push_back({name, past_stack_check(reader.exe(), entry), f.arg});
  }
  return out;
}

Error unknown_release(const runtime::go::GoVersion& v, const std::string& what) {
  std::string known;
  for (const auto& r : table()) known += (known.empty() ? "go1." : ", go1.") + std::to_string(r.minor);
  return make_error(what + " is not available for " + v.text + ": memgap knows which runtime functions to probe in " +
                        known + " only",
                    "run without it: the Go runtime's own state and sampled heap profile are still read");
}

}  // namespace

const GoReleaseProbes* go_release_probes(const runtime::go::GoVersion& v) {
  if (v.major != 1) return nullptr;
  for (const auto& r : table())
    if (r.minor == v.minor) return &r;
  return nullptr;
}

Result<GoMapPlan> plan_go_maps(const runtime::go::GoReader& reader, bool iterations) {
  const GoReleaseProbes* r = go_release_probes(reader.version());
  if (!r) return unknown_release(reader.version(), "Go map tracking");
  GoMapPlan plan;
  auto growth = resolve(reader, r->map_growth);
  if (!growth) return growth.error();
  plan.growth = std::move(*growth);
  plan.length_offset = r->map_length_offset;
  if (iterations) {
    auto it = resolve(reader, r->map_iteration);
    if (!it) return it.error();
    plan.iteration = std::move(*it);
  }
  return plan;
}

Result<std::vector<collect::GoProbePoint>> plan_go_allocation(const runtime::go::GoReader& reader) {
  const GoReleaseProbes* r = go_release_probes(reader.version());
  if (!r) return unknown_release(reader.version(), "--go-probe mallocgc");
  for (const auto& b : r->allocation_bypass) {
    auto found = present(reader, b);
    if (!found.empty())
      return make_error("--go-probe mallocgc cannot see every allocation of " + reader.exe() + ": this " +
                            reader.version().text + " build calls size-specialised mallocs such as " +
                            found.front().first + " around runtime.mallocgc (GOEXPERIMENT=sizespecializedmalloc)",
                        "run without --go-probe: memgap reads the runtime's own sampled heap profile "
                        "(--go-enable-profiling turns it on when it is off)");
  }
  auto points = resolve(reader, r->allocation);
  if (!points) return points.error();
  if (points->empty()) return make_error("no allocation function found in " + reader.exe());
  return points;
}

}  // namespace memgap::pipeline
