#include "runtime/glibc/arena_reader.h"

#include <unistd.h>

#include <algorithm>
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

struct Walker {
  const MallocLayout& L;
  const RemoteMemory& mem;
  ArenaState& st;

  uint64_t chunk_size(uint64_t p) const {
    auto v = mem.u64(p + L.chunk_size);
    return v ? (*v & ~7ull) : 0;
  }

  // Bytes in free chunks of one arena: top, fastbins (singly linked, mangled), and the
  // regular bins (doubly linked through bk back to the bin header).
  uint64_t free_bytes(uint64_t arena) {
    uint64_t total = 0;
    if (auto top = mem.u64(arena + L.top); top && *top) total += chunk_size(*top);
    for (uint64_t i = 0; i < L.nfastbins; ++i) {
      auto p = mem.u64(arena + L.fastbins + 8 * i);
      uint64_t n = 0;
      uint64_t cur = p ? *p : 0;
      while (cur && n++ < kMaxChunksPerList) {
        total += chunk_size(cur);
        ++st.free_chunks;
        auto nx = mem.u64(cur + L.chunk_fd);
        if (!nx) { st.truncated = true; break; }
        cur = L.safe_linking ? (((cur + L.chunk_fd) >> 12) ^ *nx) : *nx;
        if (cur & 0xf) { st.truncated = true; break; }  // misaligned: torn or misread
      }
    }
    for (uint64_t i = 1; i <= L.nbins_ptrs / 2; ++i) {
      const uint64_t bin = arena + L.bins + (i - 1) * 16 - L.chunk_fd;
      auto p = mem.u64(bin + L.chunk_bk);
      uint64_t n = 0;
      uint64_t cur = p ? *p : bin;
      while (cur != bin) {
        if (++n > kMaxChunksPerList || (cur & 0xf)) { st.truncated = true; break; }
        total += chunk_size(cur);
        ++st.free_chunks;
        auto nx = mem.u64(cur + L.chunk_bk);
        if (!nx) { st.truncated = true; break; }
        cur = *nx;
      }
    }
    return total;
  }

  // A thread arena's heaps: the one holding top, then each earlier one through prev.
  void collect_heaps(uint64_t arena) {
    auto top = mem.u64(arena + L.top);
    if (!top) return;
    uint64_t h = *top & ~(kHeapMax - 1);
    for (int n = 0; h && n < 4096; ++n) {
      auto size = mem.u64(h + L.heap_size);
      if (!size || *size == 0 || *size > kHeapMax) break;
      st.arena_heaps.push_back({h, h + *size});
      auto prev = mem.u64(h + L.heap_prev);
      if (!prev) break;
      h = *prev;
    }
  }
};

// Mapped chunks sit at the start of their own mmap: prev_size 0, size a page multiple
// with IS_MMAPPED (and no other flag). Adjacent mmaps merge into one mapping, so every
// page start of each anonymous mapping is a candidate; headers are fetched in batches
// (one process_vm_readv per 512 pages) and a found chunk skips the pages it covers.
// The scan stops early once every chunk mp_.n_mmaps counts has been found.
void find_mmapped_chunks(const std::vector<collect::Mapping>& maps, const RemoteMemory& mem, ArenaState& st,
                         const std::vector<Range>& skip) {
  constexpr uint64_t kPage = 4096;
  constexpr size_t kBatch = 512;
  constexpr uint64_t kMaxPages = 1u << 20;  // 4 GiB of candidates; beyond that, give up
  uint64_t scanned = 0;
  std::vector<uint64_t> hdr(2 * kBatch);
  for (const auto& m : maps) {
    if (!m.path.empty() || m.perms != "rw-p") continue;
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

}  // namespace

Result<ArenaState> read_glibc_arenas(int pid, const std::vector<collect::Mapping>& maps) {
  const collect::Mapping* libc = nullptr;
  for (const auto& m : maps)
    if (is_libc(m.path) && (!libc || m.start < libc->start)) libc = &m;
  if (!libc) return make_error("libc is not mapped in process " + std::to_string(pid), "the target does not use glibc malloc");

  // Open the library as the target sees it (it may live in another mount namespace).
  std::string path = "/proc/" + std::to_string(pid) + "/root" + libc->path;
  if (::access(path.c_str(), R_OK) != 0) path = libc->path;
  auto layout = load_malloc_layout(path);
  if (!layout) return layout.error();
  const MallocLayout& L = *layout;
  const uint64_t bias = libc->start - libc->offset - L.load_vaddr;

  RemoteMemory mem(pid);
  ArenaState st;
  Walker w{L, mem, st};
  const uint64_t main_arena = bias + L.main_arena;
  std::set<uint64_t> seen;
  uint64_t arena = main_arena;
  while (arena && !seen.count(arena) && seen.size() < 4096) {
    seen.insert(arena);
    auto sys = mem.u64(arena + L.system_mem);
    if (!sys) {
      if (arena == main_arena) return make_error("cannot read main_arena of process " + std::to_string(pid), "the process exited, or run as root");
      st.truncated = true;
      break;
    }
    st.system += *sys;
    st.free += w.free_bytes(arena);
    if (arena != main_arena) w.collect_heaps(arena);
    auto next = mem.u64(arena + L.next);
    arena = next ? *next : 0;
  }
  st.arenas = static_cast<int>(seen.size());
  st.in_use = st.system > st.free ? st.system - st.free : 0;
  st.mmapped = mem.u64(bias + L.mp + L.mmapped_mem).value_or(0);
  // n_mmaps is an int in malloc_par.
  st.mmapped_count = mem.u64(bias + L.mp + L.n_mmaps).value_or(0) & 0xffffffffu;
  find_mmapped_chunks(maps, mem, st, st.arena_heaps);
  st.source = "glibc malloc state (" + std::to_string(st.arenas) + " arena" + (st.arenas == 1 ? "" : "s") +
              ") read with libc6-dbg DWARF";
  return st;
}

}  // namespace memgap::runtime::glibc
