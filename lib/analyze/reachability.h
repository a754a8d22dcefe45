// Leak verdicts by reachability, as LeakSanitizer gives them: a conservative mark from
// the roots (globals, thread stacks and registers, TLS) over every live heap block.
//
//   reachable  some chain of pointers from a root reaches the block ("still reachable")
//   indirect   not reachable, but pointed to by another unreachable block
//   direct     not reachable, and no other unreachable block points to it
//
// Every aligned 8-byte word of a root range or of a reached block that falls inside a
// live block [addr, addr + size) reaches that block: interior pointers count, as in
// LSan's default. The indirect pass follows LSan's ClassifyAllChunks: each unreachable
// block's words mark the unreachable blocks they point to (a block pointing to itself
// does not count), without flooding further; so a leaked list is one direct head and
// indirect nodes, and a leaked cycle is all indirect.
//
// No /proc here: the caller supplies the target's memory through TargetMemory (the
// pipeline reads it with process_vm_readv while the target is stopped).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace memgap::analyze {

struct HeapBlock {
  uint64_t addr = 0;
  uint64_t size = 0;  // the bytes a pointer may point into; > 0
};

struct ScanRange {
  uint64_t start = 0, end = 0;  // [start, end)
  std::string what;             // "globals of libfoo.so", "stack of thread 4242", ...
};

enum class Reach : uint8_t { Reachable = 0, Indirect = 1, Direct = 2 };
const char* reach_name(Reach r);  // "reachable", "indirect", "direct"

// The target's memory as the scan needs it: contiguous bytes of a range, or nothing.
class TargetMemory {
 public:
  virtual ~TargetMemory() = default;
  // Copies [addr, addr + len) into out; false when any of it cannot be read.
  virtual bool read(uint64_t addr, void* out, size_t len) const = 0;
  // The bytes of [addr, addr + len) in place when the implementation holds them (no copy),
  // else nullptr (then read() is used). 8-byte aligned when addr is.
  virtual const uint64_t* view(uint64_t addr, size_t len) const {
    (void)addr;
    (void)len;
    return nullptr;
  }
};

struct Roots {
  std::vector<ScanRange> ranges;  // scanned word by word
  std::vector<uint64_t> words;       // register values: each is a candidate pointer
};

struct ReachResult {
  std::vector<Reach> verdict;        // one per block, in the order given
  uint64_t root_bytes_scanned = 0;
  uint64_t heap_bytes_scanned = 0;
  uint64_t unreadable_roots = 0;     // root ranges that could not be read (skipped)
  uint64_t unreadable_blocks = 0;    // blocks whose bytes could not be read (not followed)
};

// `blocks` must be sorted by addr and must not overlap (mark() checks and fails by
// returning an empty verdict list when they do).
ReachResult mark_reachable(const std::vector<HeapBlock>& blocks, const Roots& roots, const TargetMemory& mem);

// Whether blocks are sorted and disjoint (what mark_reachable requires).
bool blocks_well_formed(const std::vector<HeapBlock>& blocks);

}  // namespace memgap::analyze
