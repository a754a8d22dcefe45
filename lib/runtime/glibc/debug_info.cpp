#include "runtime/glibc/debug_info.h"

#include <dwarf.h>
#include <gelf.h>

#include <cstdio>
#include <cstring>

namespace memgap::runtime::glibc {

std::string build_id_hex(Elf* elf) {
  size_t n = 0;
  if (elf_getshdrnum(elf, &n) != 0) return {};
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    GElf_Nhdr nh;
    size_t off = 0, name_off = 0, desc_off = 0;
    while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
      if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
          std::memcmp(static_cast<char*>(data->d_buf) + name_off, "GNU", 4) != 0)
        continue;
      std::string hex;
      const auto* d = static_cast<const unsigned char*>(data->d_buf) + desc_off;
      char b[3];
      for (size_t i = 0; i < nh.n_descsz; ++i) {
        std::snprintf(b, sizeof b, "%02x", d[i]);
        hex += b;
      }
      return hex;
    }
  }
  return {};
}

uint64_t first_load_vaddr(Elf* elf) {
  size_t n = 0;
  if (elf_getphdrnum(elf, &n) != 0) return 0;
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) return ph.p_vaddr & ~0xfffull;
  }
  return 0;
}

std::map<std::string, uint64_t> find_symbols(Elf* elf, std::initializer_list<const char*> names) {
  std::map<std::string, uint64_t> out;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !sh.sh_entsize) continue;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT) continue;
      const char* nm = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!nm) continue;
      for (const char* want : names)
        if (std::strcmp(nm, want) == 0) out[want] = sym.st_value;
    }
  }
  return out;
}

// Member offsets by name, plus the struct's own size under "__size".
Members members_of(Dwarf_Die* type) {
  Members m;
  Dwarf_Attribute sz;
  Dwarf_Word size = 0;
  if (dwarf_attr(type, DW_AT_byte_size, &sz) && dwarf_formudata(&sz, &size) == 0) m["__size"] = size;
  Dwarf_Die child;
  if (dwarf_child(type, &child) != 0) return m;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* nm = dwarf_diename(&child);
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (nm && dwarf_attr(&child, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) == 0) m[nm] = off;
  } while (dwarf_siblingof(&child, &child) == 0);
  return m;
}

std::map<std::string, Members> structs_in_cu(Dwarf* dw, const std::string& cu_file,
                                              std::initializer_list<const char*> names) {
  std::map<std::string, Members> out;
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + hsize, &cu)) {
      const char* name = dwarf_diename(&cu);
      std::string n = name ? name : "";
      if (n == cu_file || n.ends_with("/" + cu_file)) {
        Dwarf_Die d;
        if (dwarf_child(&cu, &d) == 0) {
          do {
            if (dwarf_tag(&d) != DW_TAG_structure_type) continue;
            const char* sn = dwarf_diename(&d);
            if (!sn) continue;
            for (const char* want : names)
              if (std::strcmp(sn, want) == 0 && dwarf_hasattr(&d, DW_AT_byte_size)) out[want] = members_of(&d);
          } while (dwarf_siblingof(&d, &d) == 0);
        }
        if (out.size() == names.size()) return out;
      }
    }
    off = next;
  }
  return out;
}

}  // namespace memgap::runtime::glibc
