#include "runtime/glibc/arena_reader.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#include "runtime/glibc/malloc_layout.h"
#include "runtime/glibc/remote_memory.h"

namespace memgap::runtime::glibc {
namespace {

// glibc's default HEAP_MAX_SIZE on 64-bit; non-main arena heaps are aligned to it.
constexpr uint64_t kHeapMax = 64ull << 20;
// A bin list longer than this is either huge or torn by a concurrent update; stop and
// say so rather than spin.
constexpr uint64_t kMaxChunksPerList = 4'000'000;

bool is_libc(const std::string& path) {
  return path.find("/libc.so") != std::string::npos || path.find("/libc-2.") != std::string::npos;
}

// The whole walk gets this long: a target that keeps allocating can tear a list into a
// cycle, and --no-probes promises an answer in well under a second.
constexpr auto kBudget = std::chrono::milliseconds(400);

struct Walker {
  const MallocLayout& L;
  const RemoteMemory& mem;
  ArenaState& st;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + kBudget;

  // Checked every 4096 chunks; once over budget every list walk stops at once.
  bool expired = false;
  bool over_budget(uint64_t n) {
    if (!expired && (n & 4095) == 0 && std::chrono::steady_clock::now() > deadline) expired = st.truncated = true;
    return expired;
  }

  uint64_t chunk_size(uint64_t p) const {
    auto v = mem.u64(p + L.chunk_size);
    return v ? (*v & ~7ull) : 0;
  }

  // Bytes in free chunks of one arena: top, fastbins (singly linked, mangled), and the
  // regular bins (doubly linked through bk back to the bin header).
  // Fastbin chunks look in use to their neighbours; only their lists find them.
  uint64_t fastbin_bytes(uint64_t arena) {
    uint64_t total = 0;
    for (uint64_t i = 0; i < L.nfastbins; ++i) {
      auto p = mem.u64(arena + L.fastbins + 8 * i);
      uint64_t n = 0;
      uint64_t cur = p ? *p : 0;
      while (cur && n++ < kMaxChunksPerList && !over_budget(n)) {
        total += chunk_size(cur);
        ++st.free_chunks;
        auto nx = mem.u64(cur + L.chunk_fd);
        if (!nx) { st.truncated = true; break; }
        cur = L.safe_linking ? (((cur + L.chunk_fd) >> 12) ^ *nx) : *nx;
        if (cur & 0xf) { st.truncated = true; break; }  // misaligned: torn or misread
      }
    }
    return total;
  }

  // The regular bins, list by list: one read per chunk, so only the fallback when the
  // heap cannot be walked linearly.
  uint64_t bin_bytes(uint64_t arena) {
    uint64_t total = 0;
    for (uint64_t i = 1; i <= L.nbins_ptrs / 2; ++i) {
      const uint64_t bin = arena + L.bins + (i - 1) * 16 - L.chunk_fd;
      auto p = mem.u64(bin + L.chunk_bk);
      uint64_t n = 0;
      uint64_t cur = p ? *p : bin;
      while (cur != bin) {
        if (++n > kMaxChunksPerList || (cur & 0xf)) { st.truncated = true; break; }
        if (over_budget(n)) break;
        total += chunk_size(cur);
        ++st.free_chunks;
        auto nx = mem.u64(cur + L.chunk_bk);
        if (!nx) { st.truncated = true; break; }
        cur = *nx;
      }
    }
    return total;
  }

  // Bytes parked in the tcache whose chunk is at p, if p holds one: chunk size matches
  // and every non-empty bin has an entry. Bin i holds chunks of 32 + 16*i bytes.
  void tcache_at(uint64_t p) {
    if (!L.has_tcache || L.tcache_size > 4096 || chunk_size(p) != ((L.tcache_size + 8 + 15) & ~15ull)) return;
    std::vector<unsigned char> buf(L.tcache_size);
    if (!mem.read(p + 16, buf.data(), buf.size())) return;
    const uint64_t bins = (L.tcache_size - L.tcache_entries) / 8;
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < bins; ++i) {
      uint64_t count = 0;
      std::memcpy(&count, &buf[L.tcache_counts + i * L.tcache_count_width], L.tcache_count_width);
      uint64_t entry = 0;
      std::memcpy(&entry, &buf[L.tcache_entries + i * 8], 8);
      if ((count != 0) != (entry != 0) || count > 65535) return;  // not a tcache
      bytes += count * (32 + 16 * i);
    }
    st.tcache_free += bytes;
    ++st.tcaches;
  }

  // A thread arena's heaps: the one holding top, then each earlier one through prev.
  std::vector<Range> collect_heaps(uint64_t arena) {
    std::vector<Range> heaps;
    auto top = mem.u64(arena + L.top);
    if (!top) return heaps;
    uint64_t h = *top & ~(kHeapMax - 1);
    for (int n = 0; h && n < 4096; ++n) {
      auto size = mem.u64(h + L.heap_size);
      if (!size || *size == 0 || *size > kHeapMax) break;
      heaps.push_back({h, h + *size});
      auto prev = mem.u64(h + L.heap_prev);
      if (!prev) break;
      h = *prev;
    }
    st.arena_heaps.insert(st.arena_heaps.end(), heaps.begin(), heaps.end());
    return heaps;
  }

  // Walks chunk headers from `c` to `end` (or the top chunk), streaming the memory in
  // 1 MiB windows: a chunk is free when the next chunk's PREV_INUSE bit is clear, which
  // is what the bins hold. Large chunks are jumped over, not read. Far faster than
  // following bin lists (one syscall per chunk) on fragmented heaps. False on a read
  // failure or a header that cannot be right.
  bool linear_free(uint64_t c, uint64_t end, uint64_t top, uint64_t& free_out) {
    return walk_linear(c, end, top, free_out, nullptr);
  }

  // The walk itself; `in_use`, when given, receives every chunk in use (address, size).
  bool walk_linear(uint64_t c, uint64_t end, uint64_t top, uint64_t& free_out, std::vector<Range>* in_use) {
    constexpr uint64_t kWindow = 1 << 20;
    std::vector<unsigned char> win;
    uint64_t base = 0;
    // Readable up to the end, plus top's header when the walk ends at top.
    const uint64_t limit = end == top ? end + 16 : end;
    auto size_at = [&](uint64_t chunk, uint64_t& out) {
      const uint64_t a = chunk + L.chunk_size;
      if (win.empty() || a < base || a + 8 > base + win.size()) {
        if (a + 8 > limit) return false;
        const uint64_t len = std::min<uint64_t>(kWindow, limit - a);
        win.resize(len);
        base = a;
        if (!mem.read(base, win.data(), len)) return false;
      }
      std::memcpy(&out, &win[a - base], 8);
      return true;
    };
    uint64_t total = 0, n = 0;
    while (c < end && c != top) {
      if (over_budget(++n)) return false;
      uint64_t size = 0;
      if (!size_at(c, size)) return false;
      const uint64_t s = size & ~7ull;
      if (s == 0 || (s == 16 && c + s >= end)) break;  // fencepost at a heap's end
      if (s < 16 || (s & 0xf) || c + s > end) return false;
      const uint64_t next = c + s;
      if (next >= end && next != top) break;  // the heap's last chunk: a fencepost
      uint64_t next_size = 0;
      if (!size_at(next, next_size)) return false;
      if (!(next_size & 1)) {
        total += s;
        ++st.free_chunks;
      } else if (in_use) {
        in_use->push_back({c, c + s});
      }
      c = next;
    }
    free_out = total;
    return true;
  }

  // Chunk addresses on one arena's fastbin lists (they look in use to their neighbours).
  void fastbin_chunks(uint64_t arena, std::set<uint64_t>& out) {
    for (uint64_t i = 0; i < L.nfastbins; ++i) {
      auto p = mem.u64(arena + L.fastbins + 8 * i);
      uint64_t cur = p ? *p : 0, n = 0;
      while (cur && n++ < kMaxChunksPerList && !over_budget(n)) {
        out.insert(cur);
        auto nx = mem.u64(cur + L.chunk_fd);
        if (!nx) { st.truncated = true; break; }
        cur = L.safe_linking ? (((cur + L.chunk_fd) >> 12) ^ *nx) : *nx;
        if (cur & 0xf) { st.truncated = true; break; }
      }
    }
  }

  // The chunks parked in the tcache whose chunk is at p (if p holds one), by chunk
  // address, and p itself: a cache is malloc's own, never the program's block.
  bool tcache_chunks(uint64_t p, std::set<uint64_t>& out) {
    if (!L.has_tcache || L.tcache_size > 4096 || chunk_size(p) != ((L.tcache_size + 8 + 15) & ~15ull)) return false;
    std::vector<unsigned char> buf(L.tcache_size);
    if (!mem.read(p + 16, buf.data(), buf.size())) return false;
    const uint64_t bins = (L.tcache_size - L.tcache_entries) / 8;
    std::vector<uint64_t> heads;
    for (uint64_t i = 0; i < bins; ++i) {
      uint64_t count = 0, entry = 0;
      std::memcpy(&count, &buf[L.tcache_counts + i * L.tcache_count_width], L.tcache_count_width);
      std::memcpy(&entry, &buf[L.tcache_entries + i * 8], 8);
      if ((count != 0) != (entry != 0) || count > 65535) return false;  // not a tcache
      heads.push_back(entry);
    }
    out.insert(p);
    for (uint64_t e : heads) {
      // Entries point at the chunk's user memory; `next` is its first word, mangled
      // like fastbin links from glibc 2.32 on.
      for (uint64_t n = 0; e && n < 65536; ++n) {
        if (e & 0xf) { st.truncated = true; break; }
        out.insert(e - 16);
        auto nx = mem.u64(e);
        if (!nx) { st.truncated = true; break; }
        e = L.safe_linking ? ((e >> 12) ^ *nx) : *nx;
      }
    }
    return true;
  }

  // Free bytes in one arena: top + fastbins + everything in bins (found linearly).
  uint64_t free_bytes(uint64_t arena, bool is_main, uint64_t sbrk_base) {
    uint64_t total = fastbin_bytes(arena);
    const uint64_t top = mem.u64(arena + L.top).value_or(0);
    if (top) total += chunk_size(top);
    uint64_t walked = 0, sum = 0;
    bool ok = true;
    if (is_main) {
      const uint64_t flags = mem.u64(arena + L.flags).value_or(2) & 0xffffffffu;
      ok = sbrk_base && top && !(flags & 2) && linear_free((sbrk_base + 15) & ~15ull, top, top, walked);
      sum = walked;
    } else {
      for (const auto& h : collect_heaps(arena)) {
        const bool first = arena >= h.start && arena < h.end;
        const uint64_t start = first ? ((arena + L.state_size + 15) & ~15ull) : ((h.start + L.heap_info_size + 15) & ~15ull);
        const uint64_t end = (top >= h.start && top < h.end) ? top : h.end;
        if (!linear_free(start, end, top, walked)) { ok = false; break; }
        sum += walked;
      }
    }
    if (!ok) {
      st.linear = false;
      sum = bin_bytes(arena);
    }
    return total + sum;
  }
};

// Mapped chunks sit at the start of their own mmap: prev_size 0, size a page multiple
// with IS_MMAPPED (and no other flag). Adjacent mmaps merge into one mapping, so every
// page start of each anonymous mapping is a candidate; headers are fetched in batches
// (one process_vm_readv per 512 pages) and a found chunk skips the pages it covers.
// The scan stops early once every chunk mp_.n_mmaps counts has been found.
void find_mmapped_chunks(const std::vector<collect::Mapping>& maps, const RemoteMemory& mem, ArenaState& st,
                         const std::vector<Range>& skip, const std::vector<Range>* resident) {
  constexpr uint64_t kPage = 4096;
  constexpr size_t kBatch = 512;
  constexpr uint64_t kMaxPages = 1u << 20;  // 4 GiB of candidates; beyond that, give up
  uint64_t scanned = 0;
  std::vector<uint64_t> hdr(2 * kBatch);
  std::set<uint64_t> resident_starts;
  if (resident)
    for (const auto& r : *resident) resident_starts.insert(r.start);
  for (const auto& m : maps) {
    if (!m.path.empty() || m.perms != "rw-p") continue;
    if (resident && !resident_starts.count(m.start)) continue;
    if (st.mmapped_count && st.mmapped_chunks.size() >= st.mmapped_count) return;
    bool in_heap = false;
    for (const auto& h : skip) in_heap |= m.start < h.end && h.start < m.end;
    if (in_heap) continue;
    uint64_t a = m.start;
    while (a + 16 <= m.end) {
      if (scanned > kMaxPages) { st.truncated = true; return; }
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kBatch, (m.end - a) / kPage));
      if (n == 0) break;
      scanned += n;
      if (!mem.read_headers(a, kPage, n, hdr.data())) break;
      uint64_t next = a + n * kPage;
      for (size_t i = 0; i < n; ++i) {
        const uint64_t p = a + i * kPage;
        const uint64_t prev = hdr[2 * i], size = hdr[2 * i + 1], sz = size & ~7ull;
        if (prev != 0 || (size & 7) != 2 || sz == 0 || sz % kPage != 0 || p + sz > m.end) continue;
        st.mmapped_chunks.push_back({p, p + sz});
        next = p + sz;  // resume after the chunk (it may extend past this batch)
        break;
      }
      a = next;
    }
  }
}

// The target's libc and malloc's layout in it (libc6-dbg), with its load bias.
struct LibcMalloc {
  MallocLayout layout;
  uint64_t bias = 0;
};

Result<LibcMalloc> open_libc_malloc(int pid, const std::vector<collect::Mapping>& maps) {
  const collect::Mapping* libc = nullptr;
  for (const auto& m : maps)
    if (is_libc(m.path) && (!libc || m.start < libc->start)) libc = &m;
  if (!libc) return make_error("libc is not mapped in process " + std::to_string(pid), "the target does not use glibc malloc");
  // Open the library as the target sees it (it may live in another mount namespace).
  std::string path = "/proc/" + std::to_string(pid) + "/root" + libc->path;
  if (::access(path.c_str(), R_OK) != 0) path = libc->path;
  auto layout = load_malloc_layout(path);
  if (!layout) return layout.error();
  return LibcMalloc{*layout, libc->start - libc->offset - layout->load_vaddr};
}

}  // namespace

Result<ArenaState> read_glibc_arenas(int pid, const std::vector<collect::Mapping>& maps,
                                     const std::vector<Range>* resident) {
  auto libc = open_libc_malloc(pid, maps);
  if (!libc) return libc.error();
  const MallocLayout& L = libc->layout;
  const uint64_t bias = libc->bias;

  RemoteMemory mem(pid);
  ArenaState st;
  Walker w{L, mem, st};
  const uint64_t main_arena = bias + L.main_arena;
  std::set<uint64_t> seen;
  uint64_t arena = main_arena;
  const uint64_t sbrk = mem.u64(bias + L.mp + L.sbrk_base).value_or(0);
  while (arena && !seen.count(arena) && seen.size() < 4096) {
    seen.insert(arena);
    auto sys = mem.u64(arena + L.system_mem);
    if (!sys) {
      if (arena == main_arena) return make_error("cannot read main_arena of process " + std::to_string(pid), "the process exited, or run as root");
      st.truncated = true;
      break;
    }
    st.system += *sys;
    st.free += w.free_bytes(arena, arena == main_arena, sbrk);
    if (arena != main_arena) {
      // The arena's creator allocated its tcache first, right after malloc_state.
      w.tcache_at((arena + L.state_size + 15) & ~15ull);
    }
    auto next = mem.u64(arena + L.next);
    arena = next ? *next : 0;
  }
  st.arenas = static_cast<int>(seen.size());
  st.in_use = st.system > st.free ? st.system - st.free : 0;
  // The main thread's tcache is the first chunk of the brk heap.
  if (sbrk) w.tcache_at((sbrk + 15) & ~15ull);
  st.mmapped = mem.u64(bias + L.mp + L.mmapped_mem).value_or(0);
  // n_mmaps is an int in malloc_par.
  st.mmapped_count = mem.u64(bias + L.mp + L.n_mmaps).value_or(0) & 0xffffffffu;
  find_mmapped_chunks(maps, mem, st, st.arena_heaps, resident);
  st.source = "glibc malloc state (" + std::to_string(st.arenas) + " arena" + (st.arenas == 1 ? "" : "s") + ", " +
              std::to_string(st.tcaches) + " tcache" + (st.tcaches == 1 ? "" : "s") + ") read with libc6-dbg DWARF";
  return st;
}

Result<HeapChunks> read_glibc_heap_chunks(int pid, const std::vector<collect::Mapping>& maps) {
  auto libc = open_libc_malloc(pid, maps);
  if (!libc) return libc.error();
  const MallocLayout& L = libc->layout;
  const uint64_t bias = libc->bias;

  RemoteMemory mem(pid);
  ArenaState st;
  Walker w{L, mem, st};
  // The target is held still for this walk: no budget, the walk must be whole.
  w.deadline = std::chrono::steady_clock::time_point::max();
  HeapChunks out;
  std::vector<Range> in_use;
  std::set<uint64_t> not_blocks;  // fastbin and tcache chunks, tcache structures
  const uint64_t main_arena = bias + L.main_arena;
  const uint64_t sbrk = mem.u64(bias + L.mp + L.sbrk_base).value_or(0);
  std::set<uint64_t> seen;
  uint64_t arena = main_arena;
  // malloc never called: no arena is initialised and there is no block.
  if (!mem.u64(main_arena + L.top)) return make_error("cannot read main_arena of process " + std::to_string(pid), "the process exited");
  if (*mem.u64(main_arena + L.top) == 0) arena = 0;
  while (arena && !seen.count(arena) && seen.size() < 4096) {
    seen.insert(arena);
    const uint64_t top = mem.u64(arena + L.top).value_or(0);
    if (!top) return make_error("cannot read an arena of process " + std::to_string(pid), "the process exited");
    w.fastbin_chunks(arena, not_blocks);
    uint64_t ignored = 0;
    if (arena == main_arena) {
      const uint64_t flags = mem.u64(arena + L.flags).value_or(2) & 0xffffffffu;
      if (flags & 2) return make_error("the brk heap has holes (non-contiguous main arena): its chunks cannot be walked");
      if (sbrk && !w.walk_linear((sbrk + 15) & ~15ull, top, top, ignored, &in_use))
        return make_error("the brk heap of process " + std::to_string(pid) + " could not be walked chunk by chunk");
      if (sbrk) w.tcache_chunks((sbrk + 15) & ~15ull, not_blocks);
    } else {
      for (const auto& h : w.collect_heaps(arena)) {
        const bool first = arena >= h.start && arena < h.end;
        const uint64_t start = first ? ((arena + L.state_size + 15) & ~15ull) : ((h.start + L.heap_info_size + 15) & ~15ull);
        const uint64_t end = (top >= h.start && top < h.end) ? top : h.end;
        if (!w.walk_linear(start, end, top, ignored, &in_use))
          return make_error("a thread arena heap of process " + std::to_string(pid) + " could not be walked");
      }
      w.tcache_chunks((arena + L.state_size + 15) & ~15ull, not_blocks);
    }
    auto next = mem.u64(arena + L.next);
    arena = next ? *next : 0;
  }
  // Tcaches of threads that share an arena are chunks somewhere in it: any in-use chunk
  // of exactly a tcache's size whose contents check out as one is taken for one.
  const uint64_t tsize = (L.tcache_size + 8 + 15) & ~15ull;
  for (const auto& c : in_use)
    if (L.has_tcache && c.end - c.start == tsize && !not_blocks.count(c.start)) w.tcache_chunks(c.start, not_blocks);
  if (st.truncated) return make_error("a free list of process " + std::to_string(pid) + " could not be read whole");
  st.mmapped_count = mem.u64(bias + L.mp + L.n_mmaps).value_or(0) & 0xffffffffu;
  find_mmapped_chunks(maps, mem, st, st.arena_heaps, nullptr);
  for (const auto& c : in_use)
    if (!not_blocks.count(c.start)) out.chunks.push_back({c.start + 16, c.end});
  for (const auto& m : st.mmapped_chunks) out.chunks.push_back({m.start + 16, m.end});
  out.mmapped = st.mmapped_chunks.size();
  out.arenas = static_cast<int>(seen.size());
  out.internal = not_blocks.size();
  std::sort(out.chunks.begin(), out.chunks.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  out.regions = st.arena_heaps;
  if (sbrk) {
    const uint64_t top = mem.u64(main_arena + L.top).value_or(0);
    if (top > sbrk) out.regions.push_back({sbrk, top});
  }
  for (const auto& m : st.mmapped_chunks) out.regions.push_back(m);
  return out;
}

}  // namespace memgap::runtime::glibc
