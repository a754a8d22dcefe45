#include "pipeline/exit_reachability.h"

#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "collect/leak_roots.h"
#include "collect/maps.h"
#include "collect/smaps.h"
#include "collect/stopped_threads.h"
#include "runtime/glibc/arena_reader.h"
#include "runtime/glibc/thread_stacks.h"

namespace memgap::pipeline {
namespace {

// The target's memory for the scan: the heap regions copied once in bulk (blocks are
// visited in mark order, and one read per small block would cost a syscall each), other
// ranges (roots) read when asked. Memory held: the heap's size, for as long as the scan.
class StoppedMemory final : public analyze::TargetMemory {
 public:
  using Clock = std::chrono::steady_clock;
  // Past `deadline` every read fails; the caller then refuses the whole result.
  StoppedMemory(int pid, Clock::time_point deadline) : pid_(pid), deadline_(deadline) {}
  bool expired() const { return Clock::now() > deadline_; }

  // Copies [start, end) now; a range that cannot be read whole is left to direct reads.
  void cache(uint64_t start, uint64_t end) {
    Region r{start, std::vector<unsigned char>(end - start)};
    if (!direct(start, r.bytes.data(), r.bytes.size())) return;
    regions_.push_back(std::move(r));
  }
  void sort() {
    std::sort(regions_.begin(), regions_.end(), [](const Region& a, const Region& b) { return a.start < b.start; });
  }
  const uint64_t* view(uint64_t addr, size_t len) const override {
    if ((++reads_ & 1023) == 0 && expired()) late_ = true;
    if (late_ || (addr & 7)) return nullptr;
    const Region* r = region_of(addr, len);
    return r ? reinterpret_cast<const uint64_t*>(r->bytes.data() + (addr - r->start)) : nullptr;
  }
  bool read(uint64_t addr, void* out, size_t len) const override {
    if ((++reads_ & 1023) == 0 && expired()) late_ = true;
    if (late_) return false;
    if (const Region* r = region_of(addr, len)) {
      std::memcpy(out, r->bytes.data() + (addr - r->start), len);
      return true;
    }
    return direct(addr, out, len);
  }

 private:
  struct Region {
    uint64_t start;
    std::vector<unsigned char> bytes;
  };
  // The cached region holding all of [addr, addr + len), or nullptr. The last hit is
  // tried first: the mark visits neighbouring blocks in runs.
  const Region* region_of(uint64_t addr, size_t len) const {
    auto inside = [&](const Region& r) { return addr >= r.start && addr + len <= r.start + r.bytes.size(); };
    if (last_ < regions_.size() && inside(regions_[last_])) return &regions_[last_];
    auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                               [](uint64_t a, const Region& r) { return a < r.start; });
    if (it == regions_.begin() || !inside(*(it - 1))) return nullptr;
    last_ = static_cast<size_t>(it - regions_.begin()) - 1;
    return &regions_[last_];
  }
  mutable size_t last_ = 0;
  bool direct(uint64_t addr, void* out, size_t len) const {
    auto* o = static_cast<unsigned char*>(out);
    while (len) {
      size_t n = std::min<size_t>(len, 1 << 20);
      iovec local{o, n}, remote{reinterpret_cast<void*>(addr), n};
      if (process_vm_readv(pid_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(n)) return false;
      o += n;
      addr += n;
      len -= n;
    }
    return true;
  }
  int pid_;
  Clock::time_point deadline_;
  mutable uint64_t reads_ = 0;
  mutable bool late_ = false;
  std::vector<Region> regions_;

 public:
  bool late() const { return late_ || expired(); }
};

// Root ranges with the heap's regions cut out: a root must never cover heap blocks
// (the main thread's TLS may sit in a mapping that also holds heap, for example).
std::vector<analyze::ScanRange> roots_outside(const std::vector<collect::RootRange>& in,
                                                 std::vector<runtime::glibc::Range> heap) {
  std::sort(heap.begin(), heap.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<analyze::ScanRange> out;
  for (const auto& r : in) {
    uint64_t a = r.start;
    for (const auto& h : heap) {
      if (h.end <= a || h.start >= r.end) continue;
      if (h.start > a) out.push_back({a, h.start, r.what});
      a = std::max(a, h.end);
    }
    if (a < r.end) out.push_back({a, r.end, r.what});
  }
  return out;
}

}  // namespace

bool is_mapping_stack(const collect::Sampler& sampler, uint32_t stack) {
  return stack < sampler.stats().size() && sampler.stats()[stack].fn == MG_FN_MMAP;
}

const analyze::Reach* ExitScan::at(uint64_t addr) const {
  auto it = std::upper_bound(blocks.begin(), blocks.end(), addr,
                             [](uint64_t a, const analyze::HeapBlock& b) { return a < b.addr; });
  if (it == blocks.begin()) return nullptr;
  size_t i = static_cast<size_t>(it - blocks.begin()) - 1;
  return addr < blocks[i].addr + blocks[i].size ? &verdict[i] : nullptr;
}

namespace {
// `stopped`: the threads held, with registers. `all_held`: every thread of the process is
// among them (attach); otherwise (run's exit stop) the others were killed, and glibc's
// list says which stacks were theirs.
Result<ExitScan> scan(int pid, const collect::ProcSource& proc, const std::string& allocator,
                      const collect::Sampler& sampler, bool exact, const std::vector<collect::StoppedThread>& stopped,
                      bool all_held, StoppedMemory::Clock::time_point deadline) {
  auto t0 = std::chrono::steady_clock::now();
  auto maps = collect::read_maps(proc, pid);
  if (!maps) return maps.error();
  ExitScan scan;
  StoppedMemory mem(pid, deadline);
  std::vector<runtime::glibc::Range> heap;
  if (exact) {
    // Heap blocks only: anonymous mmap regions the probes track are no malloc block (LSan
    // does not judge them either); their sites stay without a verdict.
    for (const auto& [addr, s] : sampler.live())
      if (!is_mapping_stack(sampler, s.stack)) scan.blocks.push_back({addr, std::max<uint64_t>(1, s.size)});
    std::sort(scan.blocks.begin(), scan.blocks.end(), [](const auto& a, const auto& b) { return a.addr < b.addr; });
    scan.summary.blocks_source = "probes (every allocation tracked)";
    scan.summary.exact_bytes = true;
    // Copy the heap in runs of nearby blocks rather than block by block.
    for (const auto& b : scan.blocks) {
      if (!heap.empty() && b.addr <= heap.back().end + 4096) heap.back().end = std::max(heap.back().end, b.addr + b.size);
      else heap.push_back({b.addr, b.addr + b.size});
    }
  } else if (allocator == "glibc") {
    auto chunks = runtime::glibc::read_glibc_heap_chunks(pid, *maps);
    if (!chunks) return chunks.error();
    for (const auto& c : chunks->chunks) scan.blocks.push_back({c.start, c.end - c.start});
    scan.summary.blocks_source = "glibc heap walk (" + std::to_string(chunks->arenas) + " arena" +
                                 (chunks->arenas == 1 ? "" : "s") + ", " + std::to_string(chunks->mmapped) +
                                 " mmapped chunks)";
    heap = chunks->regions;
  } else {
    return make_error("the blocks of allocator '" + allocator + "' cannot be enumerated from outside",
                      "run with --sample-bytes 1 so that the probes know every block");
  }
  if (!analyze::blocks_well_formed(scan.blocks))
    return make_error("the heap's blocks overlap (a torn or misread heap)");
  for (const auto& h : heap) mem.cache(h.start, h.end);
  mem.sort();

  auto roots = collect::read_leak_roots(pid, proc, *maps, stopped);
  if (!roots) return roots.error();
  // The other threads: at the exit stop the kernel has killed them, so their stacks come
  // from glibc's own thread list. A live thread's whole stack block is scanned (its stack
  // pointer is gone with it: conservative, never fewer blocks reachable than LSan finds);
  // an ended thread's cached stack is not a root, but its descriptor is (it holds the
  // thread's DTV, which ld.so allocated; LSan never counts the loader's blocks).
  if (auto threads = runtime::glibc::read_glibc_thread_stacks(pid, *maps)) {
    auto add_readable = [&](uint64_t start, uint64_t end, const std::string& what) {
      for (const auto& m : *maps) {
        if (m.end <= start || m.start >= end || m.perms.empty() || m.perms[0] != 'r') continue;
        roots->ranges.push_back({std::max(start, m.start), std::min(end, m.end), what});
      }
    };
    for (const auto& t : *threads) {
      if (t.live && !t.user_stack && t.block) {
        if (all_held) continue;  // its stack was scanned from its stack pointer
        add_readable(t.block, t.block + t.block_size, "stack of a thread");
        ++roots->threads;
      } else {
        add_readable(t.descriptor, t.descriptor + t.descriptor_size, "thread descriptor");
      }
    }
  } else if (roots->threads_without_sp) {
    scan.notes.push_back(std::to_string(roots->threads_without_sp) +
                         " other thread(s) not scanned (" + threads.error().message + ")");
  }
  analyze::Roots r;
  r.ranges = roots_outside(roots->ranges, heap);
  r.words = roots->registers;
  scan.notes = roots->notes;
  auto result = analyze::mark_reachable(scan.blocks, r, mem);
  // A block whose bytes could not be read was not followed: what it points to would be
  // called leaked. Refuse rather than misread.
  if (result.unreadable_blocks)
    return make_error(std::to_string(result.unreadable_blocks) + " heap block(s) of PID " + std::to_string(pid) +
                          " could not be read during the scan",
                      "the heap changed under the scan; run again");
  if (mem.late())
    return make_error("the scan took longer than the target may be held (" +
                          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - t0).count()) + "ms)",
                      "allow a longer pause with --max-pause");
  scan.verdict = std::move(result.verdict);
  auto& sum = scan.summary;
  sum.blocks = scan.blocks.size();
  sum.root_bytes = result.root_bytes_scanned;
  sum.heap_bytes = result.heap_bytes_scanned;
  sum.threads = roots->threads;
  for (size_t i = 0; i < scan.blocks.size(); ++i) {
    const uint64_t b = scan.blocks[i].size;
    switch (scan.verdict[i]) {
      case analyze::Reach::Direct: sum.totals.direct_bytes += b; ++sum.totals.direct_objects; break;
      case analyze::Reach::Indirect: sum.totals.indirect_bytes += b; ++sum.totals.indirect_objects; break;
      case analyze::Reach::Reachable: sum.totals.reachable_bytes += b; ++sum.totals.reachable_objects; break;
    }
  }
  sum.pause_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return scan;
}

}  // namespace

Result<ExitScan> scan_at_exit(int pid, const collect::ProcSource& proc, const std::string& allocator,
                              const collect::Sampler& sampler, bool exact) {
  auto self = collect::registers_of(pid);
  if (!self) return self.error();
  // The command is already at its end: no limit on how long the scan holds it.
  return scan(pid, proc, allocator, sampler, exact, {*self}, false, StoppedMemory::Clock::time_point::max());
}

Result<ExitScan> scan_live(int pid, const collect::ProcSource& proc, const std::string& allocator,
                           const collect::Sampler& sampler, std::chrono::milliseconds max_pause) {
  // Refuse before stopping anything when the heap is too large to scan in time: its
  // resident anonymous memory at the scan rate measured here (tests/bench) is the
  // estimate.
  constexpr double kBytesPerMs = 512.0 * 1024;  // 0.5 GiB/s: below what the benchmark measures
  auto rollup = collect::read_smaps_rollup(proc, pid);
  if (!rollup) return rollup.error();
  const double anon = static_cast<double>(rollup->count("Anonymous") ? rollup->at("Anonymous") : 0);
  const double estimate_ms = anon / kBytesPerMs;
  if (estimate_ms > static_cast<double>(max_pause.count()))
    return make_error("a reachability scan of PID " + std::to_string(pid) + " would hold it about " +
                          std::to_string(static_cast<long>(estimate_ms)) + "ms, longer than --max-pause " +
                          std::to_string(max_pause.count()) + "ms",
                      "allow it with a larger --max-pause, or scan at exit with memgap run");
  const auto start = StoppedMemory::Clock::now();
  auto held = collect::StoppedThreads::stop(pid, proc, max_pause);
  if (!held) return held.error();
  auto result = scan(pid, proc, allocator, sampler, false, held->threads(), true, start + max_pause);
  held->release();  // let the target go before anything else happens
  if (result) result->summary.pause_ms = std::chrono::duration<double, std::milli>(StoppedMemory::Clock::now() - start).count();
  return result;
}

std::vector<std::optional<model::LeakKinds>> leak_kinds_by_stack(const ExitScan& scan, const collect::Sampler& sampler) {
  // Sums in doubles (weights are fractional), rounded once per stack.
  struct Acc {
    double bytes[3] = {0, 0, 0}, objects[3] = {0, 0, 0};
  };
  std::vector<Acc> acc(sampler.stats().size());
  for (const auto& [addr, s] : sampler.live()) {
    if (s.stack >= acc.size()) continue;
    const analyze::Reach* v = scan.at(addr);
    // A sampled block the heap does not hold was freed without its free being seen;
    // it is no leak.
    if (!v) continue;
    const auto k = static_cast<size_t>(*v);
    acc[s.stack].bytes[k] += s.weight * static_cast<double>(s.size);
    acc[s.stack].objects[k] += s.weight;
  }
  auto u = [](double d) { return static_cast<uint64_t>(d + 0.5); };
  std::vector<std::optional<model::LeakKinds>> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    if (is_mapping_stack(sampler, static_cast<uint32_t>(i))) continue;
    const Acc& a = acc[i];
    using R = analyze::Reach;
    model::LeakKinds k;
    k.reachable_bytes = u(a.bytes[size_t(R::Reachable)]);
    k.reachable_objects = u(a.objects[size_t(R::Reachable)]);
    k.indirect_bytes = u(a.bytes[size_t(R::Indirect)]);
    k.indirect_objects = u(a.objects[size_t(R::Indirect)]);
    k.direct_bytes = u(a.bytes[size_t(R::Direct)]);
    k.direct_objects = u(a.objects[size_t(R::Direct)]);
    out[i] = k;
  }
  return out;
}

}  // namespace memgap::pipeline
