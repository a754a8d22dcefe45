#include "collect/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace memgap::collect {
namespace {

struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

}  // namespace

Result<ElfSymbols> ElfSymbols::load(const std::string& path) {
  elf_version(EV_CURRENT);
  ElfFile f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno), "is the binary still on disk?");
  f.elf = elf_begin(f.fd, ELF_C_READ_MMAP, nullptr);
  if (!f.elf || elf_kind(f.elf) != ELF_K_ELF) return make_error(path + " is not an ELF file", "");

  // Loadable segments map symbol addresses to file offsets.
  std::vector<GElf_Phdr> loads;
  size_t nphdr = 0;
  elf_getphdrnum(f.elf, &nphdr);
  for (size_t i = 0; i < nphdr; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(f.elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) loads.push_back(ph);
  }

  ElfSymbols out;
  size_t shstrndx = 0;
  elf_getshdrstrndx(f.elf, &shstrndx);
  for (Elf_Scn* scn = elf_nextscn(f.elf, nullptr); scn; scn = elf_nextscn(f.elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* sname = elf_strptr(f.elf, shstrndx, sh.sh_name);
    if (sname && (!std::strcmp(sname, ".go.buildinfo") || !std::strcmp(sname, ".gopclntab"))) out.is_go_ = true;
    if (sh.sh_type == SHT_NOTE && out.build_id_.empty()) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      size_t off = 0, name_off = 0, desc_off = 0;
      GElf_Nhdr nh;
      while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            !std::memcmp(static_cast<char*>(data->d_buf) + name_off, "GNU", 4)) {
          out.build_id_ = hex(static_cast<unsigned char*>(data->d_buf) + desc_off, nh.n_descsz);
          break;
        }
      }
    }
    if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC) continue;
      if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
      const char* name = elf_strptr(f.elf, sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      std::string key(name);
      if (auto at = key.find('@'); at != std::string::npos) key.resize(at);
      ElfSymbol s{key, sym.st_value, sym.st_size, 0};
      bool mapped = false;
      for (const auto& ph : loads) {
        if (s.vaddr >= ph.p_vaddr && s.vaddr < ph.p_vaddr + ph.p_memsz) {
          s.file_offset = s.vaddr - ph.p_vaddr + ph.p_offset;
          mapped = true;
          break;
        }
      }
      if (!mapped) continue;
      // Prefer the default (@@) version and the first definition seen.
      out.by_name_.emplace(key, s);
    }
  }
  return out;
}

std::vector<uint8_t> ElfSymbols::read_code(const std::string& path, uint64_t file_offset, size_t n) {
  std::vector<uint8_t> out(n);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  ssize_t got = pread(fd, out.data(), n, static_cast<off_t>(file_offset));
  close(fd);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

std::optional<ElfSymbol> ElfSymbols::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace memgap::collect
