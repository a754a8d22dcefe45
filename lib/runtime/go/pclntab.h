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

 private:
  FuncRef func_at(size_t i) const;
  uint32_t u32(size_t off) const;
  std::string cstr(size_t off) const;
  std::optional<int32_t> pcvalue(uint32_t tab_off, uint64_t entry, uint64_t pc) const;

  std::vector<uint8_t> b_;
  uint64_t text_start_ = 0;
  size_t nfunc_ = 0;
  uint64_t funcname_off_ = 0, cu_off_ = 0, filetab_off_ = 0, pctab_off_ = 0, pcln_off_ = 0;
};

}  // namespace memgap::runtime::go
