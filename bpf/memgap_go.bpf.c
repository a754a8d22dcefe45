// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memgap's Go runtime probes (memgap_go.h), separate from the allocator probes.
 *
 * Go's register ABI (amd64, Go >= 1.17) passes the first arguments in RAX, RBX, RCX...
 * Which functions are probed and which argument holds what differs between releases
 * (go1.19: hashGrow(t, h) has the *hmap in RBX; Swiss tables from 1.24: growToTable's
 * receiver *Map in RAX, (*table).rehash(t, typ, m) the *Map in RCX): user space says it
 * per probe in the bpf cookie (memgap_go.h), so the programs hold no release facts
 * beyond that. Only entry uprobes: a uretprobe on a function running on a goroutine
 * stack crashes the target (the runtime finds the trampoline as a return pc). Growth
 * functions are rare next to mapassign (once per doubling or table split), iteration
 * starts run once per range loop. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "exp_interval.bpf.h"

#include "memgap_go.h"

/* --go-probe mallocgc: mean bytes between samples, and log2(1 + i/256) in 16.16 fixed
 * point for the exponential intervals of Poisson byte sampling. */
const volatile __u64 sample_bytes = 512 * 1024;
const volatile __u32 log2_frac[MEMGAP_GO_LOG_TABLE];

/* Offset of the map's length word in its header: hmap.count (go1.19) and Map.used
 * (Swiss tables) are both the first word, but the release description says. */
const volatile __u32 map_len_offset = 0;

/* Set by user space to stop recording before links are detached. */
volatile __u32 frozen = 0;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, MEMGAP_GO_MAX_MAPS);
  __type(key, __u64); /* *hmap */
  __type(value, struct memgap_go_map);
} go_maps SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, MEMGAP_GO_MAX_ITER);
  __type(key, struct memgap_go_iter_key);
  __type(value, __u64);
} go_iters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, MEMGAP_GO_MAX_STACKS);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, 64 * sizeof(__u64));
} go_stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, MGGO_CNT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} go_counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, MEMGAP_GO_MAX_ALLOC_SITES);
  __type(key, struct memgap_go_iter_key); /* caller + stack, as for iterations */
  __type(value, struct memgap_go_alloc);
} go_allocs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __s64); /* bytes left before the next sample; 0: not started */
} go_sampler SEC(".maps");

static __always_inline void count(__u32 c) {
  __u64* v = bpf_map_lookup_elem(&go_counters, &c);
  if (v) *v += 1;
}

/* The caller at [rsp]: the kernel's frame-pointer walk at a function's entry misses it. */
static __always_inline __u64 caller_of(struct pt_regs* ctx) {
  __u64 caller = 0;
  bpf_probe_read_user(&caller, sizeof caller, (void*)PT_REGS_SP(ctx));
  return caller;
}

/* The probed function's argument the cookie names (register ABI order, see
 * memgap_go.h). The registers are copied first: the verifier refuses a ctx load at a
 * variable offset, which is what clang makes of a switch over ctx fields. */
static __always_inline __u64 go_arg(struct pt_regs* ctx, __u64 cookie) {
  __u64 regs[MEMGAP_GO_MAX_ARG + 1] = {ctx->ax, ctx->bx, ctx->cx, ctx->di, ctx->si,
                                       ctx->r8, ctx->r9, ctx->r10, ctx->r11};
  __u64 i = cookie & MEMGAP_GO_ARG_MASK;
  if (i > MEMGAP_GO_MAX_ARG) return 0;
  return regs[i];
}

/* True on the pass that will jump to morestack: the probe sits on the jbe after
 * `cmp rsp, [r14+0x10]`, so the flags the cmp set say it (jbe jumps on CF or ZF).
 * Reading g.stackguard0 again instead would race with a preemption request from another
 * thread, which rewrites it between the cmp and the probe. The function restarts after
 * morestack and the probe fires again, on the pass that runs the body. */
static __always_inline int before_restart(struct pt_regs* ctx, __u64 cookie) {
  if (!(cookie & MEMGAP_GO_AT_STACK_CHECK)) return 0;
  const __u64 cf = 1 << 0, zf = 1 << 6;
  return (ctx->flags & (cf | zf)) != 0;
}

SEC("uprobe")
int go_map_grow_enter(struct pt_regs* ctx) {
  if (frozen) return 0;
  count(MGGO_CNT_GROW_HITS);
  __u64 cookie = bpf_get_attach_cookie(ctx);
  if (before_restart(ctx, cookie)) return 0;
  __u64 h = go_arg(ctx, cookie);
  if (!h) return 0;
  __u64 len = 0;
  bpf_probe_read_user(&len, sizeof len, (void*)(h + map_len_offset));
  struct memgap_go_map* m = bpf_map_lookup_elem(&go_maps, &h);
  if (m) {
    __sync_fetch_and_add(&m->growths, 1);
    m->count_last = len;
    return 0;
  }
  struct memgap_go_map v = {};
  v.caller = caller_of(ctx);
  v.stack_id = bpf_get_stackid(ctx, &go_stacks, BPF_F_USER_STACK);
  if (v.stack_id < 0) count(MGGO_CNT_STACKS_LOST);
  v.growths = 1;
  v.count_first = len;
  v.count_last = len;
  if (bpf_map_update_elem(&go_maps, &h, &v, BPF_NOEXIST) != 0) count(MGGO_CNT_TABLE_FULL);
  return 0;
}

SEC("uprobe")
int go_map_iter_enter(struct pt_regs* ctx) {
  if (frozen) return 0;
  count(MGGO_CNT_ITER_HITS);
  if (before_restart(ctx, bpf_get_attach_cookie(ctx))) return 0;
  struct memgap_go_iter_key k = {};
  k.caller = caller_of(ctx);
  k.stack_id = bpf_get_stackid(ctx, &go_stacks, BPF_F_USER_STACK);
  if (k.stack_id < 0) count(MGGO_CNT_STACKS_LOST);
  __u64* n = bpf_map_lookup_elem(&go_iters, &k);
  if (n) {
    __sync_fetch_and_add(n, 1);
    return 0;
  }
  __u64 one = 1;
  if (bpf_map_update_elem(&go_iters, &k, &one, BPF_NOEXIST) != 0) {
    n = bpf_map_lookup_elem(&go_iters, &k);
    if (n) __sync_fetch_and_add(n, 1);
    else count(MGGO_CNT_TABLE_FULL);
  }
  return 0;
}

static __always_inline __s64 next_interval(void) { return (__s64)exp_interval(sample_bytes, log2_frac); }

/* --go-probe mallocgc: every probed function sees each allocation it serves once
 * (mallocgc, or from go1.27 the size-specialised functions that together see each
 * allocation exactly once); the cookie names the size argument (RAX in every release
 * so far). Placed on the stack check's jbe (emulated, not single-stepped). */
SEC("uprobe")
int go_alloc_enter(struct pt_regs* ctx) {
  if (frozen) return 0;
  count(MGGO_CNT_MALLOC_HITS);
  __u64 cookie = bpf_get_attach_cookie(ctx);
  if (before_restart(ctx, cookie)) return 0;
  __u64 size = go_arg(ctx, cookie);
  if (sample_bytes > 1) {
    __u32 zero = 0;
    __s64* left = bpf_map_lookup_elem(&go_sampler, &zero);
    if (!left) return 0;
    if (*left == 0) *left = next_interval();
    *left -= (__s64)size;
    if (*left > 0) return 0;
    *left = next_interval();
  }
  struct memgap_go_iter_key k = {};
  k.caller = caller_of(ctx);
  k.stack_id = bpf_get_stackid(ctx, &go_stacks, BPF_F_USER_STACK);
  if (k.stack_id < 0) count(MGGO_CNT_STACKS_LOST);
  struct memgap_go_alloc* a = bpf_map_lookup_elem(&go_allocs, &k);
  if (!a) {
    struct memgap_go_alloc z = {};
    bpf_map_update_elem(&go_allocs, &k, &z, BPF_NOEXIST);
    a = bpf_map_lookup_elem(&go_allocs, &k);
    if (!a) {
      count(MGGO_CNT_TABLE_FULL);
      return 0;
    }
  }
  __sync_fetch_and_add(&a->samples, 1);
  __sync_fetch_and_add(&a->bytes, size);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
