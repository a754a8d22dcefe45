// DWARF unwinding of a copied user stack (a sampled allocation's record) with libdw's
// CFI (.eh_frame/.debug_frame). Works for code without frame pointers, where the kernel's
// frame-pointer walk stops at the allocator. Memory outside the copied bytes is not
// readable: an unwind that needs it stops and says why.
//
// Results are cached: an unwind is a pure function of the pc, the frame-base registers
// relative to sp, and the stack words it read, so a later record whose pc, rbp-sp and
// those exact words match has the same frames (churn in a loop costs one unwind).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "bpf/memgap.h"
#include "symbolize/symbolizer.h"

namespace memgap::symbolize {

enum class UnwindStop {
  Complete,      // reached the outermost frame
  CopyTooShort,  // needed stack bytes beyond the copy
  NoCfi,         // a frame without unwind information (or a corrupt one)
  MaxFrames,
};

struct Unwound {
  std::vector<uint64_t> pcs;  // return addresses, the allocation's caller first
  UnwindStop stop = UnwindStop::Complete;
  bool cached = false;
};

// What one record carries: registers at the caller's return point and its stack bytes.
struct StackCopy {
  uint32_t tid = 0;
  const uint64_t* regs = nullptr;  // MEMGAP_NREGS, DWARF order; regs[16] is the pc
  const uint8_t* data = nullptr;   // bytes from regs[7] (rsp) upward
  uint32_t len = 0;
};

class Unwinder {
 public:
  explicit Unwinder(Symbolizer& symbolizer);
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  Unwound unwind(const StackCopy& copy, size_t max_frames = MEMGAP_MAX_FRAMES);
  uint64_t cache_hits() const;
  uint64_t unwinds() const;

  struct Impl;  // public name so libdw's C callbacks can be defined; contents private

 private:
  std::unique_ptr<Impl> impl_;
};

const char* unwind_stop_name(UnwindStop stop);

}  // namespace memgap::symbolize
