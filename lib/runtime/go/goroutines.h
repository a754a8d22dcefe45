// Goroutine census: walks allgs (allgptr[0..allglen)) in the target, groups live
// goroutines by creation site (gopc), start function and wait reason, and unwinds one
// blocked stack per group from its saved registers (g.sched) along Go's frame pointers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/go/globals.h"
#include "runtime/go/release.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/remote_memory.h"
#include "util/result.h"

namespace memgap::runtime::go {

struct GoFrame {
  uint64_t pc = 0;  // runtime address
  std::string function;
  std::string file;
  int line = 0;
  uint64_t offset = 0;  // pc - function entry
};

struct GoroutineGroupInfo {
  uint64_t count = 0;
  std::string created_by;   // "main.spawnWaiters at main.go:47"
  std::string start;        // start function, "main.waiter"
  std::string wait_reason;  // "chan receive"; the status when not waiting ("runnable")
  std::vector<GoFrame> stack;  // of one member, leaf first; empty while it runs
};

struct Census {
  uint64_t goroutines = 0;         // what runtime.NumGoroutine reports
  uint64_t system_goroutines = 0;  // runtime-internal ones (GC workers, scavenger, ...)
  std::vector<GoroutineGroupInfo> groups;  // user goroutines only, largest group first
  // Every live goroutine (system ones too) by state, as /sched/goroutines/* count them.
  uint64_t running = 0, runnable = 0, in_syscall = 0, waiting = 0;
};

// Turns runtime pcs into frames; `bias` is the PIE load bias (0 for static executables).
class GoSymbolizer {
 public:
  // `mem`, `gofunc` (runtime address of moduledata.gofunc) and the layout of the
  // release's inlinedCall let frames() expand inlined calls; without them each pc is
  // one frame.
  GoSymbolizer(const Pclntab& pcln, uint64_t bias, const RemoteMemory* mem = nullptr, uint64_t gofunc = 0,
               const GoLayout* layout = nullptr)
      : pcln_(pcln), bias_(bias), mem_(mem), gofunc_(gofunc), layout_(layout) {}
  // `call_return`: pc is a return address, so its call instruction is at pc-1.
  GoFrame frame(uint64_t pc, bool call_return) const;
  // The frames at return address `pc`, innermost inlined call first, as Go's own
  // traceback prints them.
  std::vector<GoFrame> frames(uint64_t pc) const;
  std::string function(uint64_t pc) const;
  // Whether `pc` is the first instruction of a function (then it is no return address:
  // a goroutine that has not run yet is parked there).
  bool at_entry(uint64_t pc) const;
  // The frame pointer a function had at return address `pc` with stack pointer `sp`
  // (where it saved its caller's bp), from the pcsp table; 0 when unknown.
  uint64_t frame_pointer(uint64_t pc, uint64_t sp) const;

 private:
  const Pclntab& pcln_;
  uint64_t bias_;
  const RemoteMemory* mem_;
  uint64_t gofunc_;
  const GoLayout* layout_;
};

inline constexpr size_t kMaxStackFrames = 64;

Result<Census> read_census(const RemoteMemory& mem, const GoGlobals& g, const ReleaseSpec& spec,
                           const GoSymbolizer& sym);

// Frame-pointer walk from saved registers: [bp] holds the caller's bp, [bp+8] the return
// address; stops at the stack bounds, a null bp, or kMaxStackFrames.
std::vector<uint64_t> unwind_fp(const RemoteMemory& mem, uint64_t pc, uint64_t bp, uint64_t stack_lo,
                                uint64_t stack_hi);

}  // namespace memgap::runtime::go
