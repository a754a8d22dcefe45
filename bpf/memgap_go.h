/* Layouts shared by memgap_go.bpf.c (Go runtime probes) and user space (go_tracer).
 * Plain C, no kernel types. */
#ifndef MEMGAP_GO_BPF_SHARED_H
#define MEMGAP_GO_BPF_SHARED_H

#define MEMGAP_GO_MAX_MAPS 16384    /* distinct maps whose growth is tracked */
#define MEMGAP_GO_MAX_ITER 4096     /* distinct map-iteration stacks */
/* Stack-trace map entries. bpf_get_stackid fails (-EEXIST) when a new stack hashes to
 * a bucket another stack holds, and that event's site is then its caller alone
 * (counted as stacks_lost): the birthday bound makes that likely long before the map is
 * full (36 stacks in 8192 buckets: 8%), so the map has twice the buckets the sites can
 * use (~17 MiB of kernel memory per tracer) and collisions stay rare (36 stacks: 2%). */
#define MEMGAP_GO_MAX_STACKS 32768

/* Per map (keyed by the map header's address: go1.19's *hmap, Swiss tables'
 * *internal/runtime/maps.Map): who grew it, how often, and its length when it did. */
struct memgap_go_map {
  __u64 caller;       /* [rsp] at the growth function: the mapassign* that grew it */
  __s32 stack_id;     /* user stack (frame pointers) from the growth; <0: lost */
  __u32 growths;      /* growth-function calls seen */
  __u64 count_first;  /* length (hmap.count / Map.used) at the first growth seen */
  __u64 count_last;   /* length at the latest growth */
};

/* The bpf cookie of every Go probe: which argument of the probed function the program
 * reads (the map header for growth probes, the size for allocation probes), as its index
 * in Go's amd64 register ABI (0 RAX, 1 RBX, 2 RCX, 3 RDI, 4 RSI, 5 R8, 6 R9, 7 R10,
 * 8 R11). The release description says which; see go_release_probes. */
#define MEMGAP_GO_MAX_ARG 8
#define MEMGAP_GO_ARG_MASK 0xff
/* Cookie flag: the probe sits on the `jbe morestack` of the function's stack check
 * `cmp rsp, [r14+0x10]`. When the jump will be taken, morestack restarts the function
 * from its entry and the probe fires again: the program ignores the first pass, so each
 * call counts once. */
#define MEMGAP_GO_AT_STACK_CHECK 0x100

/* Map-iteration heat: callers of the function every range loop over a map starts with
 * (mapiterinit, mapIterStart), by stack. */
struct memgap_go_iter_key {
  __u64 caller;
  __s32 stack_id;
  __u32 pad;
};

#define MEMGAP_GO_MAX_ALLOC_SITES 16384 /* --go-probe mallocgc: distinct sampled stacks */
#define MEMGAP_GO_LOG_TABLE 256

/* --go-probe mallocgc: sampled allocations by stack (no frees: that would need a return
 * probe, which Go code cannot take). */
struct memgap_go_alloc {
  __u64 samples;
  __u64 bytes; /* Σ sizes of the sampled allocations */
};

enum memgap_go_counter {
  MGGO_CNT_GROW_HITS = 0,
  MGGO_CNT_ITER_HITS,
  MGGO_CNT_STACKS_LOST,
  MGGO_CNT_TABLE_FULL,
  MGGO_CNT_MALLOC_HITS,
  MGGO_CNT_COUNT,
};

#endif
