#include "runtime/go/code_refs.h"

namespace memgap::runtime::go {

int modrm_opcode_len(const uint8_t* p, size_t avail) {
  switch (p[0]) {
    // mov, lea, and the ALU forms the Go compiler emits for globals (add/sub/cmp/test/
    // xchg/and/or/xor), all "op r, r/m" or "op r/m, r" without an immediate.
    case 0x8b: case 0x89: case 0x8a: case 0x88: case 0x8d: case 0x3b: case 0x39:
    case 0x03: case 0x01: case 0x2b: case 0x29: case 0x87: case 0x85: case 0x33:
    case 0x31: case 0x0b: case 0x09: case 0x23: case 0x21:
      return 1;
    case 0x0f:
      if (avail < 2) return 0;
      switch (p[1]) {
        case 0xb6: case 0xb7: case 0xbe: case 0xbf:  // movzx/movsx
        case 0xb1: case 0xc1:                        // cmpxchg, xadd
        case 0x10: case 0x11: case 0x6f: case 0x7f:  // SSE moves
          return 2;
      }
      return 0;
  }
  return 0;
}

}  // namespace memgap::runtime::go
