// DWARF unwinding of a copied user stack (a sampled allocation's MG_EV_STACK) with
// libdw's CFI (.eh_frame/.debug_frame). Works for code without frame pointers, where the
// kernel's frame-pointer walk stops at the allocator. Memory outside the copied bytes is
// not readable: an unwind that needs it stops and says why.
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
  std::vector<uint64_t> pcs;  // return addresses, innermost (the allocation's caller) first
  UnwindStop stop = UnwindStop::Complete;
};

class Unwinder {
 public:
  explicit Unwinder(Symbolizer& symbolizer);
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  // The first frame (the probed function itself) is not included.
  Unwound unwind(const memgap_stack_event& event, size_t max_frames = MEMGAP_MAX_FRAMES);

  struct Impl;  // public name so libdw's C callbacks can be defined; contents private

 private:
  std::unique_ptr<Impl> impl_;
};

const char* unwind_stop_name(UnwindStop stop);

}  // namespace memgap::symbolize
