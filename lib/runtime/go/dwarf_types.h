// Struct layouts from the DWARF a Go binary carries unless built with -w. Field
// offsets are looked up by dotted path ("heapStats.gen") so the runtime readers never
// hard-code an offset when the binary can tell us.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

class DwarfTypes {
 public:
  // Indexes the named struct types `wanted` ("runtime.mheap", ...). Fails when the binary
  // has no DWARF.
  static Result<DwarfTypes> load(const std::string& path, const std::vector<std::string>& wanted);

  Result<uint64_t> size_of(const std::string& type) const;
  Result<uint64_t> offset_of(const std::string& type, const std::string& path) const;

 private:
  struct Field {
    uint64_t offset = 0;
    std::string type;  // name of the member's type ("runtime.gobuf", "uint64", ...)
  };
  struct Struct {
    uint64_t size = 0;
    std::map<std::string, Field> fields;
  };
  std::map<std::string, Struct> structs_;
};

}  // namespace memgap::runtime::go
