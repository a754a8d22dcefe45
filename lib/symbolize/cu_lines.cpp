#include "symbolize/cu_lines.h"

#include <elfutils/libdw.h>

namespace memgap::symbolize {

bool line_by_cu_walk(Dwfl_Module* mod, Dwarf_Addr addr, model::Frame& f) {
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(mod, &bias);
  if (!dw) return false;
  Dwarf_Addr pc = addr - bias;
  Dwarf_Off off = 0, next = 0;
  size_t hdr = 0;
  // A Go binary has one CU per package (a few hundred), and results are cached per
  // address by the caller, so a linear walk is cheap enough.
  while (dwarf_nextcu(dw, off, &next, &hdr, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + hdr, &cu) && dwarf_haspc(&cu, pc) == 1) {
      Dwarf_Line* line = dwarf_getsrc_die(&cu, pc);
      if (!line) return false;
      int lineno = 0;
      const char* file = dwarf_linesrc(line, nullptr, nullptr);
      dwarf_lineno(line, &lineno);
      if (file) f.file = file;
      f.line = lineno;
      return true;
    }
    off = next;
  }
  return false;
}

}  // namespace memgap::symbolize
