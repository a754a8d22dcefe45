/* Event and map layouts shared by memgap.bpf.c and user space (lib/collect/).
 * Plain C, fixed-width types only: this file is compiled by clang -target bpf and g++. */
#ifndef MEMGAP_BPF_SHARED_H
#define MEMGAP_BPF_SHARED_H

#define MEMGAP_MAX_FRAMES 64
#define MEMGAP_STACK_BYTES 16384 /* most user stack a sampled event copies for DWARF unwinding */
#define MEMGAP_NREGS 17          /* x86-64 DWARF registers 0-16: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */

/* Which allocator entry point an event came from. */
enum memgap_fn {
  MG_FN_MALLOC = 0,
  MG_FN_CALLOC,
  MG_FN_REALLOC,
  MG_FN_REALLOCARRAY,
  MG_FN_POSIX_MEMALIGN,
  MG_FN_ALIGNED_ALLOC, /* also memalign: same signature, often the same address */
  MG_FN_VALLOC,        /* also pvalloc */
  MG_FN_MMAP,
  MG_FN_FREE,
  MG_FN_MUNMAP,
  MG_FN_COUNT
};

enum memgap_event_kind {
  MG_EV_ALLOC = 1, /* a sampled allocation that succeeded */
  MG_EV_FREE = 2,  /* a sampled allocation was released */
};

/* Counters, one slot each in a per-CPU array; user space sums the CPUs. */
enum memgap_counter {
  MG_CNT_CALLS = 0,          /* entry hits on any allocation function */
  MG_CNT_FREE_CALLS,         /* entry hits on free/munmap */
  MG_CNT_NESTED,             /* allocation entry inside another probed one (skipped) */
  MG_CNT_SAMPLED,            /* sampled allocations */
  MG_CNT_LIVE_MAP_FULL,      /* sampled but the live map was full: not tracked */
  MG_CNT_EVENTS_LOST,        /* ring buffer full */
  MG_CNT_STACKS_LOST,        /* stack read failed */
  MG_CNT_UNMATCHED_RETURNS,  /* return probe without an entry (attach raced a call) */
  MG_CNT_FREES_MATCHED,      /* frees of sampled allocations */
  MG_CNT_STACK_COPY_SHORT,   /* stack copy had to be shortened (near the top of the stack) */
  MG_CNT_STACK_COPY_FAILED,  /* no stack bytes could be read */
  MG_CNT_COUNT
};

struct memgap_event {
  unsigned int kind;     /* enum memgap_event_kind */
  unsigned int fn;       /* enum memgap_fn */
  unsigned int tid;
  unsigned int nframes;  /* valid entries in frames[] */
  unsigned long long ts_ns;   /* bpf_ktime_get_ns */
  unsigned long long addr;
  unsigned long long size;
  /* The frame contract with user space (collect/Sampler::intern):
   *   frames[0]  the allocating function's caller, the return address read from [rsp] at
   *              entry (a frame-pointer walk at entry loses it: the callee has not pushed
   *              rbp yet);
   *   frames[1]  the probed function's own address (bpf_get_stack's first entry, the
   *              uprobe's ip): it names the allocator, not the site, and user space drops
   *              it;
   *   frames[2..nframes)  the frame-pointer chain above the caller; a 0 ends it early. */
  unsigned long long frames[MEMGAP_MAX_FRAMES];
};

/* A sampled allocation with a copy of its caller's stack, when DWARF unwinding is on:
 * taken at the return probe, where ip is the return address into the caller, sp the
 * caller's stack pointer and the callee-saved registers are the caller's again, so user
 * space unwinds the caller's frames with libdw's CFI. Told apart by its record size. */
struct memgap_alloc_stack_event {
  struct memgap_event ev; /* ev.kind == MG_EV_ALLOC */
  unsigned long long regs[MEMGAP_NREGS];
  unsigned int len; /* bytes of data[] copied from regs[7] (rsp) upward */
  unsigned int pad;
  unsigned char data[MEMGAP_STACK_BYTES];
};

#endif
