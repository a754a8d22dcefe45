// Goroutine census: walks allgs (allgptr[0..allglen)) in the target, groups live
// goroutines by creation site (gopc), start function and wait reason, and unwinds one
// blocked stack per group from its saved registers (g.sched) along Go's frame pointers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/go/globals.h"
#include "runtime/go/layout.h"
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
};

// Turns runtime pcs into frames; `bias` is the PIE load bias (0 for static executables).
class GoSymbolizer {
 public:
  GoSymbolizer(const Pclntab& pcln, uint64_t bias) : pcln_(pcln), bias_(bias) {}
  // `call_return`: pc is a return address, so its call instruction is at pc-1.
  GoFrame frame(uint64_t pc, bool call_return) const;
  std::string function(uint64_t pc) const;

 private:
  const Pclntab& pcln_;
  uint64_t bias_;
};

inline constexpr size_t kMaxStackFrames = 64;

Result<Census> read_census(const RemoteMemory& mem, const GoGlobals& g, const GoLayout& l,
                           const GoSymbolizer& sym);

// Frame-pointer walk from saved registers: [bp] holds the caller's bp, [bp+8] the return
// address; stops at the stack bounds, a null bp, or kMaxStackFrames.
std::vector<uint64_t> unwind_fp(const RemoteMemory& mem, uint64_t pc, uint64_t bp, uint64_t stack_lo,
                                uint64_t stack_hi);

}  // namespace memgap::runtime::go
