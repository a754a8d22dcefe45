// Where in a function to put its entry uprobe. On our machines a uprobe on a `push` or a
// jump is emulated (~5.5 us) while most other instructions are single-stepped out of line
// (~18 us). So the probe moves forward past a short prologue to the first emulated
// instruction — but only past instructions that leave the argument registers, rsp and
// [rsp] (the return address) exactly as they were at entry, so the BPF program reads
// the same values it would at offset 0, and no call can reach the function and miss the
// probe. The one branch allowed is free()'s NULL check: free(NULL) releases nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace memgap::collect {

struct Placement {
  uint64_t offset = 0;  // bytes from the function's start
  std::string reason;   // "push after flags-only prologue", "offset 0: <why>"
};

// `code` holds the function's first bytes (at least 32, fewer at the end of a section).
// `null_check_skips_nothing`: a leading `test rdi,rdi; je` may be skipped (free-like).
Placement place_entry_probe(const uint8_t* code, size_t size, bool null_check_skips_nothing);

}  // namespace memgap::collect
