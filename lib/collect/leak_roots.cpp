#include "collect/leak_roots.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "collect/threads.h"

namespace memgap::collect {

Result<std::vector<WritableSegment>> writable_segments(const std::string& path, uint64_t& first_vaddr) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  Elf* e = elf_begin(fd, ELF_C_READ, nullptr);
  std::vector<WritableSegment> out;
  size_t n = 0;
  bool first = true;
  first_vaddr = 0;
  if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &n) != 0) {
    if (e) elf_end(e);
    ::close(fd);
    return make_error(path + " is not an ELF file");
  }
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
    if (first) {
      first_vaddr = ph.p_vaddr & ~(ph.p_align ? ph.p_align - 1 : 0xfffull);
      first = false;
    }
    if (ph.p_flags & PF_W) out.push_back({ph.p_vaddr, ph.p_memsz});
  }
  elf_end(e);
  ::close(fd);
  return out;
}

namespace {
const Mapping* mapping_at(const std::vector<Mapping>& maps, uint64_t a) {
  for (const auto& m : maps)
    if (a >= m.start && a < m.end) return &m;
  return nullptr;
}
}  // namespace

Result<LeakRoots> read_leak_roots(int pid, const ProcSource& proc, const std::vector<Mapping>& maps) {
  LeakRoots r;
  // Globals: each module's writable segments, placed by its load bias (the start of its
  // mapping at file offset 0 minus its first segment's page).
  std::map<std::string, uint64_t> base;  // module path → lowest start at offset 0
  for (const auto& m : maps)
    if (m.is_file() && m.offset == 0 && (!base.count(m.path) || m.start < base[m.path])) base[m.path] = m.start;
  for (const auto& [path, start] : base) {
    std::string readable = "/proc/" + std::to_string(pid) + "/map_files/";
    char range[64];
    const Mapping* m = mapping_at(maps, start);
    std::snprintf(range, sizeof range, "%lx-%lx", static_cast<unsigned long>(m->start), static_cast<unsigned long>(m->end));
    readable += range;
    uint64_t first = 0;
    auto segs = writable_segments(readable, first);
    if (!segs) segs = writable_segments(path, first);
    if (!segs) {
      r.notes.push_back("globals of " + path + " not scanned: " + segs.error().message);
      continue;
    }
    uint64_t bias = start - first;
    for (const auto& s : *segs) r.ranges.push_back({s.vaddr + bias, s.vaddr + s.memsz + bias, "globals of " + path});
  }

  // The stopped thread: registers, its stack from sp, and its TCB/static TLS (fs_base
  // points at the TCB; static TLS lies just below it, in the same mapping).
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0)
    return make_error("cannot read the registers of PID " + std::to_string(pid) + ": " + std::strerror(errno),
                      "the process must be stopped under memgap (memgap run)");
  for (unsigned long long v : {regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi, regs.rbp, regs.r8,
                               regs.r9, regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15})
    r.registers.push_back(v);
  auto stack_from = [&](uint64_t sp, const std::string& what) {
    const Mapping* m = mapping_at(maps, sp);
    if (!m) return false;
    r.ranges.push_back({sp, m->end, what});
    return true;
  };
  if (stack_from(regs.rsp, "stack of thread " + std::to_string(pid))) ++r.threads;
  if (const Mapping* tls = mapping_at(maps, regs.fs_base))
    r.ranges.push_back({tls->start, tls->end, "TLS of thread " + std::to_string(pid)});

  // The other threads, where they still exist.
  auto threads = read_threads(proc, pid);
  if (threads) {
    for (const auto& t : *threads) {
      if (t.tid == pid) continue;
      if (t.sp && stack_from(t.sp, "stack of thread " + std::to_string(t.tid))) {
        ++r.threads;
        continue;
      }
      ++r.threads_without_sp;
    }
  }
  std::sort(r.ranges.begin(), r.ranges.end(), [](const RootRange& a, const RootRange& b) { return a.start < b.start; });
  return r;
}

}  // namespace memgap::collect
