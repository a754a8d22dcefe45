// File and line of an address when libdw's own lookup fails: Go binaries carry no
// .debug_aranges, so dwfl_module_getsrc finds no CU for any Go pc. Walking the CUs and
// testing each one's ranges finds it; the CU's line table then gives the line.
#pragma once
#include <elfutils/libdwfl.h>

#include "model/snapshot.h"

namespace memgap::symbolize {

// Sets f.file and f.line for `addr` (a module-relative-to-process address as libdwfl
// takes it); false when no CU covers it.
bool line_by_cu_walk(Dwfl_Module* mod, Dwarf_Addr addr, model::Frame& f);

}  // namespace memgap::symbolize
