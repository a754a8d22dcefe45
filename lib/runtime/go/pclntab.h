// Function names, entry points and file:line from .gopclntab, the table the Go runtime
// itself uses for tracebacks. It survives `-ldflags=-s -w`, so stripped binaries still
// name their functions. Formats of Go 1.18–1.19 (magic 0xfffffff0) and 1.20+ (0xfffffff1)
// share the header and function table read here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

struct FuncRef {
  uint64_t entry = 0;  // link-time address
  uint64_t end = 0;    // next function's entry
  std::string name;
};

struct SourceLine {
  std::string file;
  int line = 0;
};

class Pclntab {
 public:
  // `bytes` is the whole .gopclntab section; `text_addr` the .text section address,
  // used when the header's textStart is zero (PIE binaries relocate it at load time).
  static Result<Pclntab> parse(std::vector<uint8_t> bytes, uint64_t text_addr);

  size_t size() const { return nfunc_; }
  // The function containing link-time address `pc`.
  std::optional<FuncRef> find(uint64_t pc) const;
  // First function with this exact name.
  std::optional<FuncRef> lookup(const std::string& name) const;
  // File and line of `pc` inside its function (pc-1 for return addresses is the
  // caller's job).
  std::optional<SourceLine> source(uint64_t pc) const;
  // Bytes between SP and the return address at `pc` (the pcsp table): what frame-pointer
  // unwinding needs when only pc and sp were saved.
  std::optional<int32_t> sp_delta(uint64_t pc) const;

  // Inlining at `pc`: the index into the function's inline tree (-1: not inlined code)
  // and that tree's offset from moduledata.gofunc (go1.18/1.19 _FUNCDATA_InlTree).
  struct InlineRef {
    int32_t index = -1;
    uint32_t tree_off = 0;
    uint64_t entry = 0;  // of the physical function
  };
  std::optional<InlineRef> inline_ref(uint64_t pc) const;
  // A function name by its offset into funcnametab (inlinedCall.func_).
  std::string name_at(int32_t nameoff) const { return cstr(funcname_off_ + nameoff); }

 private:
  FuncRef func_at(size_t i) const;
  std::optional<size_t> func_record(uint64_t pc, uint64_t& entry) const;
  uint32_t u32(size_t off) const;
  std::string cstr(size_t off) const;
  std::optional<int32_t> pcvalue(uint32_t tab_off, uint64_t entry, uint64_t pc) const;

  std::vector<uint8_t> b_;
  uint64_t text_start_ = 0;
  size_t nfunc_ = 0;
  size_t func_header_ = 40;  // sizeof(_func) before pcdata: 40 in go1.18/1.19, 44 from 1.20
  uint64_t funcname_off_ = 0, cu_off_ = 0, filetab_off_ = 0, pctab_off_ = 0, pcln_off_ = 0;
};

}  // namespace memgap::runtime::go
