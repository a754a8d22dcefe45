#include "pipeline/go_probe_plan.h"

#include <cstring>
#include <fstream>

namespace memgap::pipeline {

namespace {

constexpr int kMaxSizeClass = 67;  // _NumSizeClasses - 1 in every release so far

// Go functions start with the stack-bound check `cmp rsp, [r14+0x10]; jbe morestack`,
// then set up their frame (`push rbp` from go1.21, `sub rsp, N` before). The probe goes
// on the jbe: a jump is emulated (~5.5 us here), the cmp or a `sub` would be
// single-stepped (~18 us). The cmp changes no argument register and [rsp] is still the
// return address. When the jbe jumps, morestack restarts the function from its entry,
// so the probe fires twice for that call: at_stack_check tells the BPF program to
// ignore the pass that jumps (it evaluates the same condition).
collect::GoProbePoint probe_point(const std::string& exe, const std::string& name, uint64_t entry, uint8_t arg) {
  unsigned char code[6] = {};
  std::ifstream f(exe, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(entry));
  f.read(reinterpret_cast<char*>(code), sizeof code);
  const unsigned char stack_check[4] = {0x49, 0x3b, 0x66, 0x10};
  bool jbe = code[4] == 0x76 || (code[4] == 0x0f && code[5] == 0x86);  // rel8 / rel32
  if (f && std::memcmp(code, stack_check, 4) == 0 && jbe) return {name, entry + 4, arg, true};
  return {name, entry, arg, false};  // no stack check (nosplit): the entry, once per call
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
                                                    const std::vector<runtime::go::ProbedFunction>& functions) {
  std::vector<collect::GoProbePoint> out;
  for (const auto& f : functions) {
    auto found = present(reader, f.function);
    bool pattern = !f.function.empty() && f.function.back() == '#';
    if (found.empty() && !f.optional && !pattern)
      return make_error(f.function + " not found in " + reader.exe() + " (" + reader.version().text + ")",
                        "memgap probes the functions this Go release runs; a binary without them is refused "
                        "rather than half-traced");
    for (auto& [name, entry] : found) out.push_back(probe_point(reader.exe(), name, entry, f.arg));
  }
  return out;
}

// The built-in facts for the target's exact release, or a refusal by name.
Result<const runtime::go::ReleaseSpec*> known_spec(const runtime::go::GoReader& reader, const std::string& what) {
  if (const auto* r = runtime::go::known_release(reader.version())) return r;
  return make_error(what + " is not available for " + reader.version().text +
                        ": memgap knows which runtime functions to probe in " + runtime::go::known_release_names() +
                        " only",
                    "run without it: the Go runtime's own state and sampled heap profile are still read");
}

}  // namespace

Result<GoMapPlan> plan_go_maps(const runtime::go::GoReader& reader, bool iterations) {
  auto r = known_spec(reader, "Go map tracking");
  if (!r) return r.error();
  const runtime::go::MapProbes& maps = (*r)->maps;
  GoMapPlan plan;
  auto growth = resolve(reader, maps.grow);
  if (!growth) return growth.error();
  plan.growth = std::move(*growth);
  // The length word of the header the growth probes read: hmap.count or Map.used, from
  // the layout the target is read with (its own DWARF when it has any).
  const runtime::go::GoLayout& layout = reader.release().layout;
  uint64_t length = runtime::go::GoLayout::has(layout.hmap_count) ? layout.hmap_count : layout.swiss_used;
  if (!runtime::go::GoLayout::has(length))
    return make_error("Go map tracking: the map header's length field is not known for " + reader.version().text);
  plan.length_offset = static_cast<uint32_t>(length);
  if (iterations) {
    auto it = resolve(reader, maps.iterate);
    if (!it) return it.error();
    plan.iteration = std::move(*it);
  }
  return plan;
}

Result<std::vector<collect::GoProbePoint>> plan_go_allocation(const runtime::go::GoReader& reader) {
  auto r = known_spec(reader, "--go-probe mallocgc");
  if (!r) return r.error();
  const runtime::go::AllocProbes& alloc = (*r)->alloc;
  for (const auto& b : alloc.bypass) {
    auto found = present(reader, b);
    if (!found.empty())
      return make_error("--go-probe mallocgc cannot see every allocation of " + reader.exe() + ": this " +
                            reader.version().text + " build calls size-specialised mallocs such as " +
                            found.front().first + " around runtime.mallocgc (GOEXPERIMENT=sizespecializedmalloc)",
                        "run without --go-probe: memgap reads the runtime's own sampled heap profile "
                        "(--go-enable-profiling turns it on when it is off)");
  }
  auto points = resolve(reader, alloc.functions);
  if (!points) return points.error();
  if (points->empty()) return make_error("no allocation function found in " + reader.exe());
  return points;
}

}  // namespace memgap::pipeline
