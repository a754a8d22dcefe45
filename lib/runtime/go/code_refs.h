// Finds the data addresses a function's machine code references (x86-64 RIP-relative
// operands). Stripped Go binaries have no symbol table, but runtime functions found
// through .gopclntab still reference the runtime's globals: reading those operands
// locates mheap_, memstats, gcController, allgs, ... in any go1.19 build.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace memgap::runtime::go {

struct CodeRef {
  uint64_t insn = 0;    // address of the instruction
  uint64_t target = 0;  // absolute address it reads, writes or takes
  bool lea = false;     // LEA (takes the address) rather than a load/store
};

// `code` holds the bytes of a function linked at `addr`. Only operands whose target
// satisfies `in_data` are returned, which filters out the rare false decode of a byte
// sequence that is not an instruction start.
template <typename Pred>
std::vector<CodeRef> rip_refs(const uint8_t* code, size_t len, uint64_t addr, Pred in_data);

// Whether the opcode bytes at `p` (after prefixes and REX) take a ModRM operand and no
// immediate; returns the opcode length (1 or 2) or 0.
int modrm_opcode_len(const uint8_t* p, size_t avail);

template <typename Pred>
std::vector<CodeRef> rip_refs(const uint8_t* code, size_t len, uint64_t addr, Pred in_data) {
  std::vector<CodeRef> out;
  size_t i = 0;
  while (i < len) {
    size_t p = i;
    while (p < len && (code[p] == 0x66 || code[p] == 0xf0 || code[p] == 0xf2 || code[p] == 0xf3)) ++p;
    if (p < len && (code[p] & 0xf0) == 0x40) ++p;  // REX
    int ol = p < len ? modrm_opcode_len(code + p, len - p) : 0;
    if (ol && p + ol + 5 <= len && (code[p + ol] & 0xc7) == 0x05) {
      size_t d = p + ol + 1;
      int32_t disp = static_cast<int32_t>(uint32_t(code[d]) | uint32_t(code[d + 1]) << 8 |
                                          uint32_t(code[d + 2]) << 16 | uint32_t(code[d + 3]) << 24);
      uint64_t end = addr + d + 4;
      uint64_t target = end + static_cast<int64_t>(disp);
      if (in_data(target)) {
        out.push_back(CodeRef{addr + i, target, code[p + ol - 1] == 0x8d && ol == 1});
        i = d + 4;
        continue;
      }
    }
    ++i;
  }
  return out;
}

}  // namespace memgap::runtime::go
