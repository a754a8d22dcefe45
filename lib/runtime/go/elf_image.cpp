#include "runtime/go/elf_image.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace memgap::runtime::go {

namespace {
struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};
struct ElfHandle {
  Elf* e = nullptr;
  ~ElfHandle() { if (e) elf_end(e); }
};
}  // namespace

Result<ElfImage> ElfImage::open(const std::string& path) {
  elf_version(EV_CURRENT);
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0)
    return make_error("cannot open " + path + ": " + std::strerror(errno),
                      "run as root so the target's executable can be read");
  ElfHandle elf{elf_begin(fd.fd, ELF_C_READ, nullptr)};
  GElf_Ehdr eh;
  if (!elf.e || elf_kind(elf.e) != ELF_K_ELF || !gelf_getehdr(elf.e, &eh))
    return make_error(path + " is not an ELF file");
  if (eh.e_machine != EM_X86_64)
    return make_error(path + " is not an x86-64 executable; memgap reads Go state on amd64 only");

  ElfImage img;
  img.path_ = path;
  img.pie_ = eh.e_type == ET_DYN;
  size_t nph = 0;
  elf_getphdrnum(elf.e, &nph);
  uint64_t lowest = UINT64_MAX;
  for (size_t i = 0; i < nph; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf.e, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
      lowest = std::min<uint64_t>(lowest, ph.p_vaddr - ph.p_offset);
  }
  img.base_vaddr_ = lowest == UINT64_MAX ? 0 : (lowest & ~uint64_t{0xfff});

  size_t shstrndx = 0;
  elf_getshdrstrndx(elf.e, &shstrndx);
  for (Elf_Scn* scn = elf_nextscn(elf.e, nullptr); scn; scn = elf_nextscn(elf.e, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf.e, shstrndx, sh.sh_name);
    ElfSection s{name ? name : "", sh.sh_addr, sh.sh_size, sh.sh_offset, sh.sh_type == SHT_NOBITS};
    img.sections_.push_back(s);
    if (sh.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; data && i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_value == 0) continue;
      const char* sn = elf_strptr(elf.e, sh.sh_link, sym.st_name);
      if (sn && *sn) {
        img.symbols_.emplace(sn, sym.st_value);
        img.symbol_sizes_.emplace(sn, sym.st_size);
      }
    }
  }
  return img;
}

const ElfSection* ElfImage::section(const std::string& name) const {
  for (const auto& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

Result<std::vector<uint8_t>> ElfImage::section_bytes(const std::string& name) const {
  const ElfSection* s = section(name);
  if (!s || s->nobits) return std::vector<uint8_t>{};
  Fd fd{::open(path_.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return make_error("cannot open " + path_ + ": " + std::strerror(errno));
  std::vector<uint8_t> b(s->size);
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::pread(fd.fd, b.data() + done, b.size() - done, static_cast<off_t>(s->offset + done));
    if (n <= 0) return make_error("cannot read section " + name + " of " + path_);
    done += static_cast<size_t>(n);
  }
  return b;
}

std::optional<uint64_t> ElfImage::symbol_size(const std::string& name) const {
  auto it = symbol_sizes_.find(name);
  if (it == symbol_sizes_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<uint8_t>> ElfImage::read(uint64_t vaddr, uint64_t len) const {
  for (const auto& s : sections_) {
    if (s.nobits || !s.contains(vaddr) || vaddr + len > s.addr + s.size) continue;
    Fd fd{::open(path_.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) return make_error("cannot open " + path_ + ": " + std::strerror(errno));
    std::vector<uint8_t> b(len);
    ssize_t n = ::pread(fd.fd, b.data(), len, static_cast<off_t>(s.offset + (vaddr - s.addr)));
    if (n != static_cast<ssize_t>(len)) return make_error("cannot read " + path_);
    return b;
  }
  return make_error("address is in no section with file contents of " + path_);
}

std::optional<uint64_t> ElfImage::symbol(const std::string& name) const {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) return std::nullopt;
  return it->second;
}

}  // namespace memgap::runtime::go
