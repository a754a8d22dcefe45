// Link-time addresses of the runtime globals memgap reads. From .symtab when present;
// for stripped binaries from the operands of known runtime functions (found by name in
// .gopclntab), by the release's code-reference rules (release.h). Either way the result
// is validated against the target's memory before use (validate_globals), so a wrong
// guess is refused, not misread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/go/elf_image.h"
#include "runtime/go/layout.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/release.h"
#include "runtime/go/remote_memory.h"
#include "util/result.h"

namespace memgap::runtime::go {

struct GoGlobals {
  std::string source;  // "symtab" or "code references"
  uint64_t mheap = 0, memstats = 0, gc_controller = 0, allglen = 0, allgptr = 0,
           mem_profile_rate = 0, mbuckets = 0;

  // Moves every address by the PIE load bias.
  GoGlobals rebased(uint64_t bias) const;
};

Result<GoGlobals> globals_from_symtab(const ElfImage& img);
Result<GoGlobals> globals_from_code(const ElfImage& img, const Pclntab& pcln, const ReleaseSpec& spec);

// Learns, from a binary with symbols, where runtime functions name each global
// (release_derive.h); the rules then serve stripped builds of the same release.
Result<std::vector<CodeRefRule>> learn_code_refs(const ElfImage& img, const Pclntab& pcln);

// Checks the runtime addresses against invariants of the live runtime (fixalloc sizes
// equal sizeof(mspan)/sizeof(mcache), heap-stats generation in 0..2, sane GOGC and
// goroutine count).
Status validate_globals(const RemoteMemory& mem, const GoGlobals& g, const GoLayout& layout);

}  // namespace memgap::runtime::go
