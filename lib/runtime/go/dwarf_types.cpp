#include "runtime/go/dwarf_types.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <set>

namespace memgap::runtime::go {

namespace {
std::string die_name(Dwarf_Die* d) {
  const char* n = dwarf_diename(d);
  return n ? n : "";
}

std::string type_name(Dwarf_Die* d) {
  Dwarf_Attribute a;
  Dwarf_Die t;
  if (!dwarf_attr(d, DW_AT_type, &a) || !dwarf_formref_die(&a, &t)) return "";
  return die_name(&t);
}
}  // namespace

Result<DwarfTypes> DwarfTypes::load(const std::string& path, const std::vector<std::string>& wanted) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
  if (!dw) {
    ::close(fd);
    return make_error(path + " has no DWARF (built with -ldflags=-w)");
  }
  std::set<std::string> want(wanted.begin(), wanted.end());
  DwarfTypes out;
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  // Go's linker emits each named type once, as a top-level DIE of some compile unit;
  // scanning only top-level children keeps this to a few milliseconds.
  while (!want.empty() && dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_structure_type) continue;
        std::string name = die_name(&child);
        if (!want.count(name)) continue;
        Struct s;
        Dwarf_Word sz = 0;
        Dwarf_Attribute a;
        if (dwarf_attr(&child, DW_AT_byte_size, &a) && dwarf_formudata(&a, &sz) == 0) s.size = sz;
        Dwarf_Die m;
        if (dwarf_child(&child, &m) == 0) {
          do {
            if (dwarf_tag(&m) != DW_TAG_member) continue;
            Dwarf_Word loc = 0;
            if (dwarf_attr(&m, DW_AT_data_member_location, &a)) dwarf_formudata(&a, &loc);
            s.fields[die_name(&m)] = Field{loc, type_name(&m)};
          } while (dwarf_siblingof(&m, &m) == 0);
        }
        out.structs_[name] = std::move(s);
        want.erase(name);
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    off = next;
  }
  dwarf_end(dw);
  ::close(fd);
  if (out.structs_.empty()) return make_error(path + " has no Go runtime types in its DWARF");
  return out;
}

Result<uint64_t> DwarfTypes::size_of(const std::string& type) const {
  auto it = structs_.find(type);
  if (it == structs_.end()) return make_error("DWARF has no type " + type);
  return it->second.size;
}

Result<uint64_t> DwarfTypes::offset_of(const std::string& type, const std::string& path) const {
  uint64_t total = 0;
  std::string cur = type;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    std::string field = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    auto it = structs_.find(cur);
    if (it == structs_.end()) return make_error("DWARF has no type " + cur);
    auto f = it->second.fields.find(field);
    if (f == it->second.fields.end())
      return make_error("DWARF type " + cur + " has no field " + field);
    total += f->second.offset;
    cur = f->second.type;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return total;
}

}  // namespace memgap::runtime::go
