#include "runtime/go/heap_profile.h"


#include <cmath>
#include <cstring>
#include <string>

namespace memgap::runtime::go {

namespace {
// runtime.bucket (mprof.go): next, allnext, typ, hash, size, nstk, then stk[nstk] and, for
// memProfile buckets, a memRecord: active + future[3], each a memRecordCycle
// {allocs, frees[, alloc_bytes, free_bytes]} (go1.27 dropped the byte counts: bytes are
// counts times the bucket's object size). Offsets come from the release's layout.
constexpr uint64_t kMemProfile = 1;  // bucketType memProfile
constexpr uint64_t kMaxStack = 1024;  // maxProfStackDepth (go1.23 on); go1.19's maxStack is 32
// A bound on the walk: a list read while the runtime links in a new bucket, or a stale
// pointer, must not loop forever. Real programs have thousands of buckets, not millions.
constexpr uint64_t kMaxBuckets = 1u << 20;

struct Cycle {
  uint64_t allocs = 0, frees = 0, alloc_bytes = 0, free_bytes = 0;
  void add(const Cycle& o) {
    allocs += o.allocs;
    frees += o.frees;
    alloc_bytes += o.alloc_bytes;
    free_bytes += o.free_bytes;
  }
  bool empty() const { return allocs == 0 && frees == 0; }
};

Cycle cycle_at(const std::vector<uint8_t>& b, size_t off, const GoLayout& l, uint64_t size) {
  Cycle c{load_u64(b, off + l.mrc_allocs), load_u64(b, off + l.mrc_frees), 0, 0};
  if (GoLayout::has(l.mrc_alloc_bytes) && GoLayout::has(l.mrc_free_bytes)) {
    c.alloc_bytes = load_u64(b, off + l.mrc_alloc_bytes);
    c.free_bytes = load_u64(b, off + l.mrc_free_bytes);
  } else {
    c.alloc_bytes = c.allocs * size;
    c.free_bytes = c.frees * size;
  }
  return c;
}

struct RawBucket {
  std::vector<uint64_t> stack;
  Cycle active, future[3];
};
}  // namespace

Result<HeapProfile> read_heap_profile(const RemoteMemory& mem, const GoLayout& l, uint64_t mbuckets_var,
                                      std::optional<uint32_t> cycle) {
  if (l.sizeof_memRecord != 4 * l.sizeof_memRecordCycle || l.mr_future != l.sizeof_memRecordCycle ||
      l.sizeof_bucket < l.bucket_nstk + 8)
    return make_error("runtime.memRecord of this release is not active + future[3]",
                      "memgap refuses to read a heap profile whose layout it does not know");
  const uint64_t hdr_len = l.sizeof_bucket, rec_len = l.sizeof_memRecord, cyc = l.sizeof_memRecordCycle;
  auto head = mem.u64(mbuckets_var);
  if (!head) return head.error();
  std::vector<RawBucket> raw;
  uint64_t b = *head;
  for (uint64_t n = 0; b != 0; ++n) {
    if (n >= kMaxBuckets)
      return make_error("runtime.mbuckets list longer than " + std::to_string(kMaxBuckets) + " buckets",
                        "the list was probably read while it changed; read again");
    auto hdr = mem.bytes(b, hdr_len);
    if (!hdr) return hdr.error();
    uint64_t typ = load_u64(*hdr, l.bucket_typ), nstk = load_u64(*hdr, l.bucket_nstk);
    uint64_t size = load_u64(*hdr, l.bucket_size);
    // mbuckets links memProfile buckets only; anything else means a misread.
    if (typ != kMemProfile || nstk > kMaxStack)
      return make_error("runtime.mbuckets links a bucket that is not a memory-profile bucket (typ " +
                        std::to_string(typ) + ", nstk " + std::to_string(nstk) + ")");
    auto body = mem.bytes(b + hdr_len, nstk * 8 + rec_len);
    if (!body) return body.error();
    RawBucket r;
    for (uint64_t i = 0; i < nstk; ++i) r.stack.push_back(load_u64(*body, i * 8));
    size_t rec = nstk * 8;
    r.active = cycle_at(*body, rec, l, size);
    for (int c = 0; c < 3; ++c) r.future[c] = cycle_at(*body, rec + cyc * (c + 1), l, size);
    raw.push_back(std::move(r));
    b = load_u64(*hdr, l.bucket_allnext);
  }

  HeapProfile out;
  out.buckets = raw.size();
  // MemProfile first flushes the cycle that mark termination just finished
  // (future[cycle % 3]) into active; reproduce that without writing anything.
  if (cycle)
    for (auto& r : raw) r.active.add(r.future[*cycle % 3]);
  bool clear = true;
  for (const auto& r : raw) clear = clear && r.active.empty();
  if (clear) {
    out.unpublished = !raw.empty();
    for (auto& r : raw) {
      if (!cycle)
        for (const auto& f : r.future) r.active.add(f);
      else
        for (int c = 0; c < 3; ++c)
          if (uint32_t(c) != *cycle % 3) r.active.add(r.future[c]);
    }
  }
  for (auto& r : raw) {
    HeapRecord h;
    h.stack = std::move(r.stack);
    h.allocs = r.active.allocs;
    h.frees = r.active.frees;
    h.alloc_bytes = r.active.alloc_bytes;
    h.free_bytes = r.active.free_bytes;
    out.records.push_back(std::move(h));
  }
  return out;
}

Scaled scale_heap_sample(uint64_t count, uint64_t size, int64_t rate) {
  if (count == 0 || size == 0) return {};
  if (rate <= 1) return {double(count), double(size)};  // every allocation was recorded
  double avg = double(size) / double(count);
  double scale = 1 / (1 - std::exp(-avg / double(rate)));
  return {double(count) * scale, double(size) * scale};
}

Status write_mem_profile_rate(const ProcessMemory& mem, uint64_t addr, int64_t rate) {
  if (auto s = mem.write(addr, &rate, sizeof rate); !s)
    return make_error("cannot write runtime.MemProfileRate: " + s.error().message, s.error().hint);
  return Ok{};
}

}  // namespace memgap::runtime::go
