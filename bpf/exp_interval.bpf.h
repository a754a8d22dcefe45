/* Poisson byte sampling's draw, shared by memgap's BPF objects: an exponential variate
 * with the given mean, -ln(U) * mean, in integers (BPF has no floating point). ln is
 * computed as log2 (leading-bit position + a 256-entry table of log2(1 + i/256) in 16.16
 * fixed point, filled by user space) times ln 2. Include after bpf_helpers.h. */
#ifndef MEMGAP_EXP_INTERVAL_BPF_H
#define MEMGAP_EXP_INTERVAL_BPF_H

static __always_inline __u64 exp_interval(__u64 mean, const volatile __u32* log2_table) {
  __u32 u = bpf_get_prandom_u32() | 1;
  __u32 msb = 0, x = u;
  if (x >= (1u << 16)) { msb += 16; x >>= 16; }
  if (x >= (1u << 8)) { msb += 8; x >>= 8; }
  if (x >= (1u << 4)) { msb += 4; x >>= 4; }
  if (x >= (1u << 2)) { msb += 2; x >>= 2; }
  if (x >= (1u << 1)) { msb += 1; }
  __u32 idx = ((u << (31 - msb)) >> 23) & 0xff;
  __u64 neglog2 = ((__u64)(32 - msb) << 16) - log2_table[idx]; /* -log2(u / 2^32), 16.16 */
  __u64 negln = (neglog2 * 45426) >> 16;                        /* x ln 2 */
  return ((mean * negln) >> 16) + 1;
}

#endif
