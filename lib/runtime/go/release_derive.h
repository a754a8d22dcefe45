// What a Go binary with symbols and DWARF tells about its own release: struct layouts
// (DWARF), size classes and wait-reason strings (its data, by symbol), and the
// code-reference rules that find each global in a stripped build of the same release
// (learned by matching the runtime's code against the symbol table).
//
// This is how the built-in tables are generated (memgap_go_layout_gen), how an unknown
// release with DWARF is read, and what --go-layout-from takes from a donor binary.
#pragma once
#include <string>

#include "runtime/go/elf_image.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/release.h"
#include "util/result.h"

namespace memgap::runtime::go {

// `facts` supplies what no binary states (g statuses, formulas, map probes); its name
// and minor are kept. Fails naming what the binary lacks (no DWARF, no symbol table).
Result<ReleaseSpec> derive_release(const ElfImage& img, const Pclntab& pcln, const ReleaseSpec& facts);

// The generated part of release_go1_NN.cpp (statements filling `r`).
std::string render_release_inc(const ReleaseSpec& s, const std::string& from);

// The .gopclntab of an image (PIE builds keep it in .data.rel.ro.gopclntab).
const char* pclntab_section(const ElfImage& img);
Result<Pclntab> load_pclntab(const ElfImage& img);

}  // namespace memgap::runtime::go
