// The parts of a Go executable memgap needs, read once per target with libelf: section
// headers and bytes (.gopclntab, .go.buildinfo, .text), the symbol table when it was not
// stripped, and what it takes to relocate addresses for PIE builds.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

struct ElfSection {
  std::string name;
  uint64_t addr = 0;    // link-time virtual address
  uint64_t size = 0;
  uint64_t offset = 0;  // file offset
  bool nobits = false;  // .bss-like: no bytes in the file
  bool contains(uint64_t a) const { return a >= addr && a < addr + size; }
};

class ElfImage {
 public:
  static Result<ElfImage> open(const std::string& path);

  const std::string& path() const { return path_; }
  bool pie() const { return pie_; }
  // Lowest PT_LOAD vaddr rounded down to a page: the link address mapped at file offset 0.
  uint64_t base_vaddr() const { return base_vaddr_; }

  const ElfSection* section(const std::string& name) const;
  const std::vector<ElfSection>& sections() const { return sections_; }
  // Bytes of a section with file contents (empty when absent or NOBITS).
  Result<std::vector<uint8_t>> section_bytes(const std::string& name) const;

  bool has_symtab() const { return !symbols_.empty(); }
  // Link-time address of a symbol from .symtab; nullopt when stripped or unknown.
  std::optional<uint64_t> symbol(const std::string& name) const;
  std::optional<uint64_t> symbol_size(const std::string& name) const;
  // Bytes at a link-time address, from the section that holds them in the file.
  Result<std::vector<uint8_t>> read(uint64_t vaddr, uint64_t len) const;

 private:
  std::string path_;
  bool pie_ = false;
  uint64_t base_vaddr_ = 0;
  std::vector<ElfSection> sections_;
  std::map<std::string, uint64_t> symbols_;
  std::map<std::string, uint64_t> symbol_sizes_;
};

}  // namespace memgap::runtime::go
