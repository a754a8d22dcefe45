// Reading glibc's libraries and their separate debug files (libc6-dbg): ELF handles,
// build ids, symbols of the debug file's .symtab and struct layouts from its DWARF.
// Shared by malloc_layout (malloc's state) and thread_stacks (the thread list).
#pragma once
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>

namespace memgap::runtime::glibc {

// Owns an ELF handle and its file descriptor; closes both on every path.
struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  explicit ElfFile(const std::string& path) {
    elf_version(EV_CURRENT);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) elf = elf_begin(fd, ELF_C_READ, nullptr);
  }
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) ::close(fd);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;
};

std::string build_id_hex(Elf* elf);
uint64_t first_load_vaddr(Elf* elf);
// Object symbols by name from the ELF's .symtab (local ones too: main_arena is static).
std::map<std::string, uint64_t> find_symbols(Elf* elf, std::initializer_list<const char*> names);

using Members = std::map<std::string, uint64_t>;
// Member offsets by name, plus the struct's own size under "__size".
Members members_of(Dwarf_Die* type);
// The named struct types (complete definitions) of the compile unit `cu_file`
// ("malloc.c", "rtld.c"), by name; missing ones are absent.
std::map<std::string, Members> structs_in_cu(Dwarf* dw, const std::string& cu_file,
                                              std::initializer_list<const char*> names);

}  // namespace memgap::runtime::glibc
