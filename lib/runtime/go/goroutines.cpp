#include "runtime/go/goroutines.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace memgap::runtime::go {

namespace {
// runtime2.go g status values (go1.19).
constexpr uint32_t kGidle = 0, kGrunnable = 1, kGrunning = 2, kGsyscall = 3, kGwaiting = 4,
                   kGdead = 6, kGcopystack = 8, kGpreempted = 9, kGscan = 0x1000;

std::string status_name(uint32_t s, uint8_t reason) {
  switch (s) {
    case kGwaiting: return wait_reason_go119(reason);
    case kGrunnable: return "runnable";
    case kGrunning: return "running";
    case kGsyscall: return "syscall";
    case kGcopystack: return "copystack";
    case kGpreempted: return "preempted";
  }
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

std::string GoSymbolizer::function(uint64_t pc) const {
  auto fn = pcln_.find(pc - bias_);
  return fn ? fn->name : "??";
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

Result<Census> read_census(const RemoteMemory& mem, const GoGlobals& glob, const GoLayout& l,
                           const GoSymbolizer& sym) {
  auto len = mem.u64(glob.allglen);
  if (!len) return len.error();
  auto ptr = mem.u64(glob.allgptr);
  if (!ptr) return ptr.error();
  auto gptrs = mem.bytes(*ptr, *len * 8);
  if (!gptrs) return gptrs.error();

  struct Acc {
    GoroutineGroupInfo info;
    uint64_t pc = 0, bp = 0, lo = 0, hi = 0;
    bool have_regs = false;
  };
  std::map<std::tuple<uint64_t, uint64_t, std::string>, Acc> groups;
  Census c;
  const uint64_t gsize = l.g_read_size();
  for (uint64_t i = 0; i < *len; ++i) {
    uint64_t gp = load_u64(*gptrs, i * 8);
    if (!gp) continue;
    auto gb = mem.bytes(gp, gsize);
    if (!gb) continue;  // freed between reads: the census is a moving snapshot
    uint32_t status = load_u32(*gb, l.g_atomicstatus) & ~kGscan;
    if (status == kGdead || status == kGidle) continue;
    uint64_t startpc = load_u64(*gb, l.g_startpc);
    std::string start = sym.function(startpc);
    if (is_system(start)) {
      ++c.system_goroutines;
      continue;
    }
    ++c.goroutines;
    uint64_t gopc = load_u64(*gb, l.g_gopc);
    uint8_t reason = (*gb)[l.g_waitreason];
    std::string wait = status_name(status, reason);
    Acc& a = groups[{gopc, startpc, wait}];
    if (a.info.count++ == 0) {
      a.info.start = start;
      a.info.wait_reason = wait;
      GoFrame site = sym.frame(gopc, true);
      a.info.created_by = site.function;
      if (!site.file.empty())
        a.info.created_by += " at " + basename(site.file) + ":" + std::to_string(site.line);
    }
    // A running goroutine's saved registers are stale; take the stack of a parked one.
    // Every saved pc (mcall, entersyscall, preemption) is a return address: look up pc-1.
    if (!a.have_regs && status != kGrunning) {
      a.pc = load_u64(*gb, l.g_sched_pc);
      a.bp = load_u64(*gb, l.g_sched_bp);
      a.lo = load_u64(*gb, l.g_stack_lo);
      a.hi = load_u64(*gb, l.g_stack_hi);
      a.have_regs = a.pc != 0;
    }
  }
  for (auto& [key, a] : groups) {
    if (a.have_regs) {
      auto pcs = unwind_fp(mem, a.pc, a.bp, a.lo, a.hi);
      for (size_t i = 0; i < pcs.size(); ++i) {
        GoFrame f = sym.frame(pcs[i], true);
        // A pc outside every Go function ends the walk: the saved bp was stale (a
        // goroutine in a syscall saves pc and sp only) or the read was torn.
        if (f.function == "??") break;
        a.info.stack.push_back(std::move(f));
      }
    }
    c.groups.push_back(std::move(a.info));
  }
  std::stable_sort(c.groups.begin(), c.groups.end(),
                   [](const auto& x, const auto& y) { return x.count > y.count; });
  return c;
}

}  // namespace memgap::runtime::go
