#include "runtime/go/goroutines.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

namespace memgap::runtime::go {

namespace {
// g.atomicstatus without the _Gscan bit.
uint32_t status_of(const std::vector<uint8_t>& g, const ReleaseSpec& spec) {
  return load_u32(g, spec.layout.g_atomicstatus) & ~spec.status.scan;
}

std::string status_name(const ReleaseSpec& spec, uint32_t s, uint8_t reason) {
  const GoStatuses& st = spec.status;
  if (s == st.waiting) return spec.wait_reason(reason);
  if (s == st.runnable) return "runnable";
  if (s == st.running) return "running";
  if (s == st.syscall) return "syscall";
  if (s == st.copystack) return "copystack";
  if (s == st.preempted) return "preempted";
  if (s == st.leaked) return "leaked (" + spec.wait_reason(reason) + ")";
  return "status " + std::to_string(s);
}

std::string basename(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// runtime.isSystemGoroutine for counting: goroutines started in package runtime,
// except runtime.main. (runfinq counts as system, as gcount's ngsys does.)
bool is_system(const std::string& start) {
  return start.rfind("runtime.", 0) == 0 && start != "runtime.main";
}
}  // namespace

GoFrame GoSymbolizer::frame(uint64_t pc, bool call_return) const {
  GoFrame f;
  f.pc = pc;
  uint64_t link = pc - bias_;
  uint64_t at = call_return ? link - 1 : link;
  if (auto fn = pcln_.find(at)) {
    f.function = fn->name;
    f.offset = link - fn->entry;
  } else {
    f.function = "??";
  }
  if (auto src = pcln_.source(at)) {
    f.file = src->file;
    f.line = src->line;
  }
  return f;
}

std::vector<GoFrame> GoSymbolizer::frames(uint64_t pc) const {
  std::vector<GoFrame> out;
  uint64_t link = pc - bias_;
  uint64_t tracepc = link - 1;
  auto fn = pcln_.find(tracepc);
  if (!fn) {
    out.push_back(frame(pc, true));
    return out;
  }
  auto ref = mem_ && gofunc_ && layout_ ? pcln_.inline_ref(tracepc) : std::nullopt;
  // runtime.traceback: while the pc is in inlined code, print the inlined function at
  // the current position, then move to the call site (entry + parentPc) in its caller.
  const uint64_t ic_size = layout_ ? layout_->sizeof_inlinedCall : 0;
  for (int depth = 0; ref && ref->index >= 0 && depth < 32 && ic_size >= 8 && ic_size <= 64; ++depth) {
    uint8_t ic[64];
    if (!mem_->read(gofunc_ + ref->tree_off + uint64_t(ref->index) * ic_size, ic, ic_size)) break;
    int32_t nameoff, parent_pc;
    std::memcpy(&nameoff, ic + layout_->inl_nameOff, 4);
    std::memcpy(&parent_pc, ic + layout_->inl_parentPc, 4);
    GoFrame f;
    f.pc = pc;
    f.function = pcln_.name_at(nameoff);
    f.offset = link - fn->entry;
    if (auto src = pcln_.source(tracepc)) {
      f.file = src->file;
      f.line = src->line;
    }
    out.push_back(std::move(f));
    tracepc = fn->entry + static_cast<uint64_t>(parent_pc);
    ref = pcln_.inline_ref(tracepc);
  }
  GoFrame f;
  f.pc = pc;
  f.function = fn->name;
  f.offset = link - fn->entry;
  if (auto src = pcln_.source(tracepc)) {
    f.file = src->file;
    f.line = src->line;
  }
  out.push_back(std::move(f));
  return out;
}

std::string GoSymbolizer::function(uint64_t pc) const {
  auto fn = pcln_.find(pc - bias_);
  return fn ? fn->name : "??";
}

bool GoSymbolizer::at_entry(uint64_t pc) const {
  auto fn = pcln_.find(pc - bias_);
  return fn && fn->entry == pc - bias_;
}

uint64_t GoSymbolizer::frame_pointer(uint64_t pc, uint64_t sp) const {
  auto d = pcln_.sp_delta(pc - bias_ - 1);
  // Go saves bp just below the return address of every function with a frame.
  if (!d || *d < 16) return 0;
  return sp + static_cast<uint64_t>(*d) - 8;
}

std::vector<uint64_t> unwind_fp(const RemoteMemory& mem, uint64_t pc, uint64_t bp, uint64_t lo,
                                uint64_t hi) {
  std::vector<uint64_t> pcs;
  if (!pc) return pcs;
  pcs.push_back(pc);
  while (pcs.size() < kMaxStackFrames && bp >= lo && bp + 16 <= hi && bp % 8 == 0) {
    uint64_t frame[2];
    if (!mem.read(bp, frame, sizeof frame)) break;
    if (frame[1] == 0) break;
    pcs.push_back(frame[1]);
    if (frame[0] <= bp) break;  // frames grow upward; anything else is a torn read
    bp = frame[0];
  }
  return pcs;
}

namespace {
// The stack of a parked goroutine from its g: saved registers, then frame pointers.
// Every saved pc (mcall, entersyscall, preemption) is a return address, except for a
// goroutine that has not run yet: newproc1's gostartcallfn sets sched.pc to the start
// function's entry and pushes goexit's return address at sched.sp. As runtime.traceback
// does (it backs up a pc only when it lies past its function's entry), that frame is
// the start function itself; its caller's return address is at sp (no frame was built
// yet) and its caller's frame pointer is still sched.bp.
std::vector<GoFrame> stack_of(const RemoteMemory& mem, const ReleaseSpec& spec, const GoSymbolizer& sym,
                              const std::vector<uint8_t>& g) {
  const GoLayout& l = spec.layout;
  std::vector<GoFrame> out;
  uint32_t status = status_of(g, spec);
  const uint32_t kGsyscall = spec.status.syscall, kGrunning = spec.status.running;
  uint64_t pc = load_u64(g, l.g_sched_pc), bp = load_u64(g, l.g_sched_bp), sp = load_u64(g, l.g_sched_sp);
  // entersyscall saves pc and sp only (runtime.save); rebuild bp from the frame size.
  if (status == kGsyscall) bp = sym.frame_pointer(pc, sp);
  if (status == kGrunning || !pc) return out;
  if (sym.at_entry(pc)) {
    GoFrame first = sym.frame(pc, false);
    if (first.function == "??") return out;
    out.push_back(std::move(first));
    auto ret = mem.u64(sp);
    if (!ret || !*ret) return out;
    pc = *ret;
  }
  for (uint64_t ret : unwind_fp(mem, pc, bp, load_u64(g, l.g_stack_lo), load_u64(g, l.g_stack_hi))) {
    auto fs = sym.frames(ret);
    // A pc outside every Go function ends the walk: a stale bp or a torn read.
    if (fs.empty() || fs[0].function == "??") break;
    for (auto& f : fs) out.push_back(std::move(f));
  }
  return out;
}
}  // namespace

Result<Census> read_census(const RemoteMemory& mem, const GoGlobals& glob, const ReleaseSpec& spec,
                           const GoSymbolizer& sym) {
  const GoLayout& l = spec.layout;
  const GoStatuses& st = spec.status;
  auto len = mem.u64(glob.allglen);
  if (!len) return len.error();
  auto ptr = mem.u64(glob.allgptr);
  if (!ptr) return ptr.error();
  auto gptrs = mem.bytes(*ptr, *len * 8);
  if (!gptrs) return gptrs.error();

  struct Acc {
    GoroutineGroupInfo info;
    uint64_t gp = 0;  // a parked member whose stack represents the group
    std::vector<uint8_t> g;
  };
  std::map<std::tuple<uint64_t, uint64_t, std::string>, Acc> groups;
  Census c;
  const uint64_t gsize = l.g_read_size();
  std::vector<uint64_t> gps;
  gps.reserve(*len);
  for (uint64_t i = 0; i < *len; ++i)
    if (uint64_t gp = load_u64(*gptrs, i * 8)) gps.push_back(gp);
  std::vector<uint8_t> g(gsize);
  std::unordered_map<uint64_t, std::string> start_names;  // thousands of goroutines share a few
  const std::vector<uint8_t>* gb = &g;  // the member being counted
  // g structs are copied in chunks so memory stays bounded for a million goroutines.
  constexpr size_t kChunk = 4096;
  std::vector<uint8_t> chunk(kChunk * gsize);
  std::vector<bool> ok;
  for (size_t i = 0; i < gps.size(); ++i) {
    if (i % kChunk == 0) {
      std::vector<uint64_t> part(gps.begin() + i, gps.begin() + std::min(gps.size(), i + kChunk));
      ok = mem.read_many(part, gsize, chunk.data());
    }
    size_t k = i % kChunk;
    if (!ok[k]) continue;  // freed between reads: the census is a moving snapshot
    std::copy(chunk.begin() + k * gsize, chunk.begin() + (k + 1) * gsize, g.begin());
    uint32_t status = status_of(*gb, spec);
    if (status == st.dead || status == st.idle || status == st.deadextra) continue;
    if (status == st.running) ++c.running;
    else if (status == st.runnable) ++c.runnable;
    else if (status == st.syscall) ++c.in_syscall;
    else ++c.waiting;
    uint64_t startpc = load_u64(*gb, l.g_startpc);
    auto cached = start_names.find(startpc);
    if (cached == start_names.end()) cached = start_names.emplace(startpc, sym.function(startpc)).first;
    const std::string& start = cached->second;
    if (is_system(start)) {
      ++c.system_goroutines;
      continue;
    }
    ++c.goroutines;
    uint64_t gopc = load_u64(*gb, l.g_gopc);
    uint8_t reason = (*gb)[l.g_waitreason];
    std::string wait = status_name(spec, status, reason);
    Acc& a = groups[{gopc, startpc, wait}];
    if (a.info.count++ == 0) {
      a.info.start = start;
      a.info.wait_reason = wait;
      // The innermost frame at the go statement: the function whose code started it,
      // even when that function was inlined into another.
      GoFrame site = sym.frames(gopc).front();
      a.info.created_by = site.function;
      if (!site.file.empty())
        a.info.created_by += " at " + basename(site.file) + ":" + std::to_string(site.line);
    }
    // A running goroutine's saved registers are stale; take the stack of a parked one.
    if (!a.gp && status != st.running) {
      a.gp = gps[i];
      a.g = g;
    }
  }
  for (auto& [key, a] : groups) {
    // The member may move on between reading its g and reading its stack; a walk that
    // does not reach runtime.goexit is retried from a fresh copy of the same g, as long
    // as it is still in the state the group describes.
    for (int attempt = 0; a.gp && attempt < 3; ++attempt) {
      auto frames = stack_of(mem, spec, sym, a.g);
      bool complete = !frames.empty() && frames.back().function == "runtime.goexit";
      if (frames.size() > a.info.stack.size()) a.info.stack = std::move(frames);
      if (complete) break;
      auto again = mem.bytes(a.gp, gsize);
      if (!again || status_name(spec, status_of(*again, spec), (*again)[l.g_waitreason]) != a.info.wait_reason)
        break;
      a.g = std::move(*again);
    }
    c.groups.push_back(std::move(a.info));
  }
  std::stable_sort(c.groups.begin(), c.groups.end(),
                   [](const auto& x, const auto& y) { return x.count > y.count; });
  return c;
}

}  // namespace memgap::runtime::go
