#include "collect/probe_placement.h"

namespace memgap::collect {
namespace {

enum class Kind {
  Emulated,    // push r64, jmp rel: the probe goes here
  FlagsOnly,   // changes nothing a probe reads: endbr64, test, cmp with memory/immediate
  ScratchWrite,  // writes eax/rax only (not an argument register)
  TestRdi,     // test %rdi,%rdi (the start of a NULL check)
  JumpIfZero,  // je rel8/rel32
  Unknown,
};

struct Insn {
  Kind kind = Kind::Unknown;
  size_t length = 0;
};

// A decoder for exactly the prologue forms we accept; anything else is Unknown, and
// Unknown means "stay at offset 0". Being incomplete is safe; being wrong is not.
Insn decode(const uint8_t* p, size_t n) {
  if (n >= 4 && p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa) return {Kind::FlagsOnly, 4};  // endbr64
  if (n >= 1 && p[0] >= 0x50 && p[0] <= 0x57) return {Kind::Emulated, 1};                                // push r64
  if (n >= 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57) return {Kind::Emulated, 2};               // push r8-r15
  if (n >= 2 && p[0] == 0xeb) return {Kind::Emulated, 2};                                               // jmp rel8
  if (n >= 5 && p[0] == 0xe9) return {Kind::Emulated, 5};                                               // jmp rel32
  if (n >= 3 && p[0] == 0x48 && p[1] == 0x85 && p[2] == 0xff) return {Kind::TestRdi, 3};                // test %rdi,%rdi
  if (n >= 3 && (p[0] == 0x48 || p[0] == 0x4d || p[0] == 0x49 || p[0] == 0x4c) && p[1] == 0x85 && (p[2] >> 6) == 3)
    return {Kind::FlagsOnly, 3};                                                                        // test r64,r64
  if (n >= 2 && p[0] == 0x85 && (p[1] >> 6) == 3) return {Kind::FlagsOnly, 2};                          // test r32,r32
  if (n >= 7 && p[0] == 0x80 && p[1] == 0x3d) return {Kind::FlagsOnly, 7};  // cmpb $imm8, disp32(%rip)
  if (n >= 5 && p[0] == 0xb8) return {Kind::ScratchWrite, 5};               // mov $imm32, %eax
  if (n >= 2 && p[0] == 0x74) return {Kind::JumpIfZero, 2};                 // je rel8
  if (n >= 6 && p[0] == 0x0f && p[1] == 0x84) return {Kind::JumpIfZero, 6}; // je rel32
  return {Kind::Unknown, 0};
}

}  // namespace

Placement place_entry_probe(const uint8_t* code, size_t size, bool null_check_skips_nothing) {
  size_t off = 0;
  bool rdi_tested = false;
  for (int i = 0; i < 6 && off < size; ++i) {
    Insn in = decode(code + off, size - off);
    switch (in.kind) {
      case Kind::Emulated:
        if (off == 0) return {0, "offset 0 is already emulated"};
        return {off, "first emulated instruction after a prologue that keeps arguments, rsp and [rsp]"};
      case Kind::FlagsOnly:
      case Kind::ScratchWrite:
        rdi_tested = false;
        break;
      case Kind::TestRdi:
        rdi_tested = true;
        break;
      case Kind::JumpIfZero:
        // Only a NULL check of the first argument of a free-like function may branch
        // around the probe: the calls it skips release nothing.
        if (!(rdi_tested && null_check_skips_nothing)) return {0, "offset 0: a branch precedes any emulated instruction"};
        rdi_tested = false;
        break;
      case Kind::Unknown:
        return {0, "offset 0: the prologue has an instruction memgap does not skip"};
    }
    off += in.length;
  }
  return {0, "offset 0: no emulated instruction early in the function"};
}

}  // namespace memgap::collect
