// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memgap's allocator probes.
 *
 * Every probe hit costs 5-25 us on our machines, so the work here is shaped around not
 * paying more than that: allocations are Poisson-sampled by bytes (tcmalloc/Go style), and
 * only sampled allocations pay for a stack walk, a live-map insert and a ring-buffer event.
 * Frees pay one hash lookup. User space does all aggregation and extrapolation.
 *
 * Entry and return of one call are paired per thread through `inflight`; the stack pointer
 * at entry tells a nested call (glibc's realloc(NULL, n) calling malloc, malloc calling
 * mmap) from the outermost one, so an allocation is counted once, at the user's call site. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "exp_interval.bpf.h"

#include "memgap.h"

#define MAP_ANONYMOUS_ 0x20
#define MAP_STACK_ 0x20000

/* Knobs set by user space before load. */
const volatile __u64 sample_bytes = 512 * 1024; /* mean bytes between samples; <=1: all */
const volatile __u32 log2_frac[MEMGAP_LOG2_TABLE_SIZE]; /* memgap_fill_log2_table */
const volatile __u32 stack_bytes = 0;             /* >0: copy this much user stack per sample */

/* Set by user space to stop recording before links are detached (detaching takes ~1 s). */
volatile __u32 frozen = 0;

struct inflight {
  __u64 sp;       /* stack pointer at entry: identifies the matching return */
  __u64 size;
  __u64 old_ptr;  /* realloc: the block being replaced */
  __u64 memptr;   /* posix_memalign: where the result is stored */
  __u32 fn;
  __u32 sampled;
  __u32 ignore;   /* not an allocation we track (file-backed mmap) */
  __u32 pad;
};

struct stackbuf {
  __u32 nframes;
  __u32 pad;
  __u64 frames[MEMGAP_MAX_FRAMES];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 262144); /* resized by user space */
  __type(key, __u64);          /* address */
  __type(value, __u64);        /* size */
} live SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32); /* tid */
  __type(value, struct inflight);
} inflight SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32); /* tid; only for sampled calls between entry and return */
  __type(value, struct stackbuf);
} inflight_stack SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct stackbuf);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct memgap_countdown);
} sampler SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, MG_CNT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 * 1024 * 1024);
} events SEC(".maps");

static __always_inline void count(__u32 which) {
  __u64* c = bpf_map_lookup_elem(&counters, &which);
  if (c) *c += 1;
}

/* Poisson byte sampling (bpf/poisson_sampling.h): 1 if this allocation is sampled. */
static __always_inline int should_sample(__u64 size) {
  __u32 zero = 0;
  struct memgap_countdown* st = bpf_map_lookup_elem(&sampler, &zero);
  if (!st) return sample_bytes <= 1;
  return memgap_countdown_sample(st, size, sample_bytes, log2_frac);
}

/* Registers and the top of the user stack, for DWARF unwinding in user space (code built
 * without frame pointers: Debian's libraries, most -O2 builds). The copy must not run
 * past the top of the stack mapping, where the read would fault: it is retried shorter. */
static __always_inline void copy_stack(struct pt_regs* ctx, struct memgap_alloc_stack_event* se) {
  se->regs[0] = ctx->ax;
  se->regs[1] = ctx->dx;
  se->regs[2] = ctx->cx;
  se->regs[3] = ctx->bx;
  se->regs[4] = ctx->si;
  se->regs[5] = ctx->di;
  se->regs[6] = ctx->bp;
  se->regs[7] = ctx->sp;
  se->regs[8] = ctx->r8;
  se->regs[9] = ctx->r9;
  se->regs[10] = ctx->r10;
  se->regs[11] = ctx->r11;
  se->regs[12] = ctx->r12;
  se->regs[13] = ctx->r13;
  se->regs[14] = ctx->r14;
  se->regs[15] = ctx->r15;
  se->regs[16] = ctx->ip;
  __u32 len = stack_bytes;
  se->len = 0;
  se->pad = 0;
  for (int i = 0; i < 6; i++) {
    if (len > MEMGAP_STACK_BYTES) len = MEMGAP_STACK_BYTES;
    if (len < 256) break;
    if (bpf_probe_read_user(se->data, len, (void*)ctx->sp) == 0) {
      se->len = len;
      break;
    }
    len /= 2;
  }
  if (se->len == 0) count(MG_CNT_STACK_COPY_FAILED);
  else if (se->len < stack_bytes) count(MG_CNT_STACK_COPY_SHORT);
}

/* Stack of the outermost allocation call: the caller at [rsp] (the frame-pointer chain
 * misses it at function entry), then the kernel's user stack walk. */
static __always_inline void save_stack(struct pt_regs* ctx, __u32 tid) {
  __u32 zero = 0;
  struct stackbuf* sb = bpf_map_lookup_elem(&scratch, &zero);
  if (!sb) return;
  __u64 caller = 0;
  bpf_probe_read_user(&caller, sizeof caller, (void*)PT_REGS_SP(ctx));
  sb->frames[0] = caller;
  long n = bpf_get_stack(ctx, &sb->frames[1], (MEMGAP_MAX_FRAMES - 1) * sizeof(__u64), BPF_F_USER_STACK);
  if (n < 0) {
    count(MG_CNT_STACKS_LOST);
    n = 0;
  }
  sb->nframes = 1 + (__u32)(n / sizeof(__u64));
  bpf_map_update_elem(&inflight_stack, &tid, sb, BPF_ANY);
}

static __always_inline int alloc_enter(struct pt_regs* ctx, __u32 fn, __u64 size, __u64 old_ptr, __u64 memptr,
                                       int ignore) {
  if (frozen) return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  __u64 sp = PT_REGS_SP(ctx);
  struct inflight* outer = bpf_map_lookup_elem(&inflight, &tid);
  if (outer && sp <= outer->sp) {
    /* Called from inside another probed allocation function, or tail-called by one at the
     * same stack pointer (operator new[] jumps to operator new): the outer one counts,
     * and its [rsp] is the real caller (the inner one would see the uretprobe trampoline). */
    count(MG_CNT_NESTED);
    return 0;
  }
  count(MG_CNT_CALLS);
  struct inflight in = {};
  in.sp = sp;
  in.size = size;
  in.old_ptr = old_ptr;
  in.memptr = memptr;
  in.fn = fn;
  in.ignore = ignore;
  in.sampled = !ignore && should_sample(size);
  if (in.sampled) save_stack(ctx, tid);
  bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
  return 0;
}

static __always_inline void release(__u64 addr, __u32 fn) {
  if (!addr) return;
  if (!bpf_map_lookup_elem(&live, &addr)) return;
  bpf_map_delete_elem(&live, &addr);
  count(MG_CNT_FREES_MATCHED);
  struct memgap_event* e = bpf_ringbuf_reserve(&events, __builtin_offsetof(struct memgap_event, frames), 0);
  if (!e) {
    count(MG_CNT_EVENTS_LOST);
    return;
  }
  e->kind = MG_EV_FREE;
  e->fn = fn;
  e->tid = (__u32)bpf_get_current_pid_tgid();
  e->nframes = 0;
  e->ts_ns = bpf_ktime_get_ns();
  e->addr = addr;
  e->size = 0;
  bpf_ringbuf_submit(e, 0);
}

/* n * each for calloc/reallocarray. Factors of 2^32 or more are treated as a failing
 * call (size 0): BPF has no 128-bit multiply for an exact overflow test. */
static __always_inline __u64 checked_product(__u64 n, __u64 each) {
  if ((n >> 32) || (each >> 32)) return 0;
  return n * each;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size) { return alloc_enter(ctx, MG_FN_MALLOC, size, 0, 0, 0); }

SEC("uprobe")
int BPF_KPROBE(valloc_enter, __u64 size) { return alloc_enter(ctx, MG_FN_VALLOC, size, 0, 0, 0); }

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 each) {
  __u64 size = checked_product(n, each);
  return alloc_enter(ctx, MG_FN_CALLOC, size, 0, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 old, __u64 size) { return alloc_enter(ctx, MG_FN_REALLOC, size, old, 0, 0); }

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 old, __u64 n, __u64 each) {
  __u64 size = checked_product(n, each);
  return alloc_enter(ctx, MG_FN_REALLOCARRAY, size, old, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 align, __u64 size) {
  return alloc_enter(ctx, MG_FN_POSIX_MEMALIGN, size, 0, memptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(aligned_alloc_enter, __u64 align, __u64 size) {
  return alloc_enter(ctx, MG_FN_ALIGNED_ALLOC, size, 0, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(mmap_enter, __u64 addr, __u64 len, __u64 prot, __u64 flags) {
  /* Only private anonymous memory is heap-like; thread stacks (MAP_STACK) are accounted
   * as stacks, file mappings as mapped files. */
  int ignore = !(flags & MAP_ANONYMOUS_) || (flags & MAP_STACK_);
  return alloc_enter(ctx, MG_FN_MMAP, len, 0, 0, ignore);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit, __u64 ret) {
  if (frozen) return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct inflight* in = bpf_map_lookup_elem(&inflight, &tid);
  if (!in) {
    count(MG_CNT_UNMATCHED_RETURNS);
    return 0;
  }
  if (PT_REGS_SP(ctx) != in->sp + 8) return 0; /* a nested call's return */
  struct inflight call = *in;
  bpf_map_delete_elem(&inflight, &tid);
  if (call.ignore) return 0;

  __u64 addr = ret;
  if (call.fn == MG_FN_POSIX_MEMALIGN) {
    addr = 0;
    if (ret == 0 && call.memptr) bpf_probe_read_user(&addr, sizeof addr, (void*)call.memptr);
  } else if (call.fn == MG_FN_MMAP && addr == (__u64)-1) {
    addr = 0; /* MAP_FAILED */
  }
  /* realloc: the old block is gone once the call succeeded (or asked for 0 bytes). */
  if (call.old_ptr && (addr || call.size == 0)) release(call.old_ptr, MG_FN_FREE);
  if (!call.sampled || !addr) return 0;

  count(MG_CNT_SAMPLED);
  struct stackbuf* sb = bpf_map_lookup_elem(&inflight_stack, &tid);
  struct memgap_event* e;
  if (stack_bytes)
    e = bpf_ringbuf_reserve(&events, sizeof(struct memgap_alloc_stack_event), 0);
  else
    e = bpf_ringbuf_reserve(&events, sizeof(struct memgap_event), 0);
  if (!e) {
    count(MG_CNT_EVENTS_LOST);
    return 0;
  }
  __u64 size = call.size;
  if (bpf_map_update_elem(&live, &addr, &size, BPF_ANY) != 0) {
    count(MG_CNT_LIVE_MAP_FULL);
    bpf_ringbuf_discard(e, 0);
    return 0;
  }
  if (stack_bytes) copy_stack(ctx, (struct memgap_alloc_stack_event*)e);
  e->kind = MG_EV_ALLOC;
  e->fn = call.fn;
  e->tid = tid;
  e->ts_ns = bpf_ktime_get_ns();
  e->addr = addr;
  e->size = size;
  e->nframes = 0;
  if (sb) {
    __u32 n = sb->nframes;
    if (n > MEMGAP_MAX_FRAMES) n = MEMGAP_MAX_FRAMES;
    e->nframes = n;
    bpf_probe_read_kernel(e->frames, sizeof e->frames, sb->frames);
    bpf_map_delete_elem(&inflight_stack, &tid);
  } else {
    count(MG_CNT_STACKS_LOST);
  }
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr) {
  if (frozen || !ptr) return 0;
  count(MG_CNT_FREE_CALLS);
  release(ptr, MG_FN_FREE);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(munmap_enter, __u64 addr, __u64 len) {
  if (frozen || !addr) return 0;
  count(MG_CNT_FREE_CALLS);
  release(addr, MG_FN_MUNMAP);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
