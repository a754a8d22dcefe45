// Function symbols of one ELF file (.symtab and .dynsym), with the file offsets uprobes
// need. Read with libelf; nothing is cached here (the tracer reads each module once).
#pragma once
#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/result.h"

namespace memgap::collect {

struct ElfSymbol {
  std::string name;
  uint64_t vaddr = 0;        // st_value
  uint64_t size = 0;
  uint64_t file_offset = 0;  // where the uprobe goes
};

class ElfSymbols {
 public:
  static Result<ElfSymbols> load(const std::string& path);
  // A defined function symbol by exact name (versioned names like "malloc@@GLIBC_2.2.5"
  // match "malloc").
  std::optional<ElfSymbol> find(const std::string& name) const;
  bool defines(const std::string& name) const { return find(name).has_value(); }
  const std::string& build_id() const { return build_id_; }
  // The first `n` bytes of code at a file offset (fewer at the end of the file).
  static std::vector<uint8_t> read_code(const std::string& path, uint64_t file_offset, size_t n);
  bool is_go() const { return is_go_; }
  size_t size() const { return by_name_.size(); }

 private:
  std::unordered_map<std::string, ElfSymbol> by_name_;
  std::string build_id_;  // hex
  bool is_go_ = false;    // has .go.buildinfo or .gopclntab
};

}  // namespace memgap::collect
