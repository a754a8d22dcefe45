/* Poisson byte sampling, in plain C: the code memgap's BPF programs run, compiled as is
 * into the unit tests (tests/unit/sampling_test.cpp), which check it against the
 * distribution it must follow.
 *
 * An allocation of s bytes is sampled with probability 1 - exp(-s / mean): a countdown of
 * bytes, drawn from an exponential with the given mean, is decremented by each allocation;
 * the one that takes it to zero or below is sampled and a fresh interval is drawn. The
 * exponential is memoryless, so restarting the interval at the end of the sampled
 * allocation keeps every allocation's sampling independent of the others (and per-CPU
 * state is fine). User space scales each sample by 1 / (1 - exp(-s / mean))
 * (lib/util/sampling.h).
 *
 * The includer defines MEMGAP_RAND_U32() (BPF: bpf_get_prandom_u32()) and provides the
 * __u32/__u64/__s64 types (vmlinux.h, or <linux/types.h> in user space). */
#ifndef MEMGAP_POISSON_SAMPLING_H
#define MEMGAP_POISSON_SAMPLING_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define MEMGAP_LOG2_TABLE_SIZE 256

/* An exponential variate with the given mean from one uniform 32-bit draw u: -ln(u / 2^32)
 * * mean, in integers (BPF has no floating point). log2(u) is the leading-bit position plus
 * log2 of the mantissa after it: a table of log2(1 + i/256) in 16.16 fixed point
 * (memgap_fill_log2_table), indexed by the mantissa's top 8 bits and interpolated linearly
 * with the next 23; times ln 2 (45426 / 2^16) gives ln. Interpolation is within 3e-6 of
 * log2, so the draw is within a few parts in 2^16 of the mean of the exact one, at every u.
 * (Without it, the truncated mantissa made every interval up to 0.39% of the mean longer:
 * at a 512 KiB mean none was shorter than 1.4 KiB, so a small allocation right after a
 * sampled one was never sampled.) The result is at least 1 byte. */
static __always_inline __u64 memgap_exp_interval_of(__u32 u, __u64 mean, const volatile __u32* log2_table) {
  u |= 1;
  __u32 msb = 0, x = u;
  if (x >= (1u << 16)) { msb += 16; x >>= 16; }
  if (x >= (1u << 8)) { msb += 8; x >>= 8; }
  if (x >= (1u << 4)) { msb += 4; x >>= 4; }
  if (x >= (1u << 2)) { msb += 2; x >>= 2; }
  if (x >= (1u << 1)) { msb += 1; }
  __u32 top = u << (31 - msb);               /* leading 1 at bit 31, mantissa below */
  __u32 idx = (top >> 23) & 0xff;            /* its top 8 bits */
  __u64 frac = top & 0x7fffff;               /* the next 23 */
  __u64 lo = log2_table[idx];
  __u64 hi = idx < 255 ? log2_table[idx + 1] : 65536; /* log2(2) */
  __u64 log2_mant = lo + (((hi - lo) * frac) >> 23);
  __u64 neglog2 = ((__u64)(32 - msb) << 16) - log2_mant; /* -log2(u / 2^32), 16.16 */
  __u64 negln = (neglog2 * 45426) >> 16;                  /* x ln 2 */
  return ((mean * negln) >> 16) + 1;
}

#ifdef MEMGAP_RAND_U32
/* One thread's (or CPU's) countdown. Zero-initialised state is valid: the first call draws. */
struct memgap_countdown {
  __s64 bytes_left;
  __u64 initialized;
};

/* 1 if this allocation of `size` bytes is sampled. mean <= 1 samples everything. */
static __always_inline int memgap_countdown_sample(struct memgap_countdown* st, __u64 size, __u64 mean,
                                                   const volatile __u32* log2_table) {
  if (mean <= 1) return 1;
  if (!st->initialized) {
    st->bytes_left = (__s64)memgap_exp_interval_of(MEMGAP_RAND_U32(), mean, log2_table);
    st->initialized = 1;
  }
  st->bytes_left -= (__s64)size;
  if (st->bytes_left > 0) return 0;
  st->bytes_left = (__s64)memgap_exp_interval_of(MEMGAP_RAND_U32(), mean, log2_table);
  return 1;
}
#endif

#ifndef __bpf__
#include <math.h>
/* The table memgap_exp_interval_of reads, filled by user space before the BPF object is
 * loaded (BPF cannot compute logarithms). */
static inline void memgap_fill_log2_table(__u32* table) {
  for (int i = 0; i < MEMGAP_LOG2_TABLE_SIZE; ++i) table[i] = (__u32)lround(log2(1.0 + i / 256.0) * 65536.0);
}
#endif

#endif
