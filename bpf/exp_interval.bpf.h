/* Poisson byte sampling's draw for memgap's BPF objects: an exponential variate with the
 * given mean from the kernel's PRNG. The arithmetic is bpf/poisson_sampling.h (shared with
 * the unit tests). Include after bpf_helpers.h. */
#ifndef MEMGAP_EXP_INTERVAL_BPF_H
#define MEMGAP_EXP_INTERVAL_BPF_H

#define MEMGAP_RAND_U32() bpf_get_prandom_u32()
#include "poisson_sampling.h"

static __always_inline __u64 exp_interval(__u64 mean, const volatile __u32* log2_table) {
  return memgap_exp_interval_of(bpf_get_prandom_u32(), mean, log2_table);
}

#endif
