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
#include <set>

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

Result<StoppedThread> registers_of(int tid) {
  StoppedThread t;
  t.tid = tid;
  if (::ptrace(PTRACE_GETREGS, tid, nullptr, &t.regs) != 0)
    return make_error("cannot read the registers of thread " + std::to_string(tid) + ": " + std::strerror(errno),
                      "the process must be stopped under memgap");
  return t;
}

Result<LeakRoots> read_leak_roots(int pid, const ProcSource& proc, const std::vector<Mapping>& maps,
                                  const std::vector<StoppedThread>& stopped) {
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

  auto stack_from = [&](uint64_t sp, const std::string& what) {
    const Mapping* m = mapping_at(maps, sp);
    if (!m) return false;
    r.ranges.push_back({sp, m->end, what});
    return true;
  };
  std::set<int> held;
  for (const auto& t : stopped) {
    held.insert(t.tid);
    const auto& g = t.regs;
    for (unsigned long long v : {g.rax, g.rbx, g.rcx, g.rdx, g.rsi, g.rdi, g.rbp, g.r8, g.r9, g.r10, g.r11, g.r12,
                                 g.r13, g.r14, g.r15, g.fs_base})
      r.registers.push_back(v);
    const std::string name = "thread " + std::to_string(t.tid);
    const Mapping* stack = mapping_at(maps, g.rsp);
    if (stack_from(g.rsp, "stack of " + name)) ++r.threads;
    // A thread's TCB and static TLS: in its own stack mapping for threads glibc created
    // (covered above), in a mapping of their own for the main thread.
    const Mapping* tls = mapping_at(maps, g.fs_base);
    if (tls && tls != stack) r.ranges.push_back({tls->start, tls->end, "TLS of " + name});
  }
  // The other threads, where they still exist.
  auto threads = read_threads(proc, pid);
  if (threads) {
    for (const auto& t : *threads) {
      if (held.count(t.tid)) continue;
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
