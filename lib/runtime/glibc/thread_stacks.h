// glibc's own list of thread stacks, read from the target's memory with the layouts of
// libc6-dbg: the stacks of threads that were running (ld.so's _dl_stack_used and
// _dl_stack_user lists) and the cached stacks of threads that ended (_dl_stack_cache).
// At a process's exit stop the kernel has already killed every other thread, so
// /proc/PID/task no longer shows them; glibc's lists, which only the threads themselves
// update, still say which stacks belonged to live threads.
#pragma once
#include <cstdint>
#include <vector>

#include "collect/maps.h"
#include "util/result.h"

namespace memgap::runtime::glibc {

struct ThreadStack {
  uint64_t descriptor = 0;       // struct pthread (the thread's TCB; its TLS lies below it)
  uint64_t descriptor_size = 0;  // sizeof(struct pthread)
  uint64_t block = 0, block_size = 0;  // stackblock: stack, guard, TLS and descriptor
  bool live = false;             // on _dl_stack_used or _dl_stack_user (not the cache)
  bool user_stack = false;       // the main thread, or a stack the program provided
};

Result<std::vector<ThreadStack>> read_glibc_thread_stacks(int pid, const std::vector<collect::Mapping>& maps);

}  // namespace memgap::runtime::glibc
