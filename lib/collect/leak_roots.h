// The roots of a reachability scan (LeakSanitizer's): the writable segments of every
// loaded module (data, bss, relro), each thread's stack from its stack pointer up, the
// register values of the stopped thread, and its thread control block and static TLS.
// Read from a process that memgap holds stopped (ptrace), so registers can be taken.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/maps.h"
#include "collect/proc_source.h"
#include "collect/stopped_threads.h"
#include "util/result.h"

namespace memgap::collect {

struct RootRange {
  uint64_t start = 0, end = 0;
  std::string what;
};

struct LeakRoots {
  std::vector<RootRange> ranges;
  std::vector<uint64_t> registers;  // general-purpose registers of the stopped thread
  int threads = 0;                  // threads whose stacks are roots
  int threads_without_sp = 0;       // live threads whose stack pointer was unknown
  std::vector<std::string> notes;
};

// Writable PT_LOAD segments of the ELF file at `path`, as [vaddr, vaddr + memsz) before
// the load bias; the first PT_LOAD's page-aligned vaddr in `first_vaddr`.
struct WritableSegment {
  uint64_t vaddr = 0, memsz = 0;
};
Result<std::vector<WritableSegment>> writable_segments(const std::string& path, uint64_t& first_vaddr);

// The registers of `tid`, a ptrace-stopped tracee of this process (memgap run's command
// at its exit stop).
Result<StoppedThread> registers_of(int tid);

// `stopped`: the threads memgap holds, with their registers: each gives its registers,
// its stack from its stack pointer up, and the mapping holding its thread pointer
// (fs_base: TCB and static TLS) when that is not its stack. Other live threads (listed
// in /proc but not held) have their stack from the pointer their /proc syscall file
// shows; `threads_without_sp` counts those whose pointer cannot be read.
Result<LeakRoots> read_leak_roots(int pid, const ProcSource& proc, const std::vector<Mapping>& maps,
                                  const std::vector<StoppedThread>& stopped);

}  // namespace memgap::collect
