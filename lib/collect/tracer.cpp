#include "collect/tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <linux/types.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "collect/bpf_setup.h"
#include "memgap.skel.h"
#include "poisson_sampling.h"

namespace memgap::collect {
namespace {

bpf_program* program_for(memgap_bpf* skel, Handler h) {
  switch (h) {
    case Handler::Malloc: return skel->progs.malloc_enter;
    case Handler::Calloc: return skel->progs.calloc_enter;
    case Handler::Realloc: return skel->progs.realloc_enter;
    case Handler::ReallocArray: return skel->progs.reallocarray_enter;
    case Handler::PosixMemalign: return skel->progs.posix_memalign_enter;
    case Handler::AlignedAlloc: return skel->progs.aligned_alloc_enter;
    case Handler::Valloc: return skel->progs.valloc_enter;
    case Handler::Mmap: return skel->progs.mmap_enter;
    case Handler::Free: return skel->progs.free_enter;
    case Handler::Munmap: return skel->progs.munmap_enter;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Tracer>> Tracer::open(const TracerConfig& config, EventHandler on_event) {
  prepare_bpf();

  std::unique_ptr<Tracer> t(new Tracer());
  t->on_event_ = std::move(on_event);
  t->pid_ = config.pid;
  t->skel_ = memgap_bpf::open();
  if (!t->skel_) return bpf_error("cannot open BPF object", errno);
  t->skel_->rodata->sample_bytes = config.sample_bytes;
  t->skel_->rodata->stack_bytes = std::min<uint32_t>(config.stack_bytes, MEMGAP_STACK_BYTES);
  memgap_fill_log2_table(t->skel_->rodata->log2_frac);
  bpf_map__set_max_entries(t->skel_->maps.live, config.max_live);
  if (int err = memgap_bpf::load(t->skel_); err) return bpf_error("cannot load BPF programs", err);

  auto cb = [](void* ctx, void* data, size_t size) -> int {
    auto* self = static_cast<Tracer*>(ctx);
    if (size >= sizeof(uint32_t)) self->on_event_(data, size);
    return 0;
  };
  t->rb_ = ring_buffer__new(bpf_map__fd(t->skel_->maps.events), cb, t.get(), nullptr);
  if (!t->rb_) return bpf_error("cannot open the BPF ring buffer", errno);
  return t;
}

Status Tracer::attach(const ProbePlan& plan) {
  for (const auto& p : plan.probes) {
    struct Want {
      bpf_program* prog;
      bool ret;
    };
    std::vector<Want> wants{{program_for(skel_, p.handler), false}};
    if (p.needs_return) wants.push_back({skel_->progs.alloc_exit, true});
    for (const auto& w : wants) {
      // Entry and return probe share one breakpoint (one trap). A uretprobe hijacks the
      // return address at [rsp] when it fires, which placement guarantees is still there.
      uint64_t offset = p.file_offset;
      bpf_link* link = bpf_program__attach_uprobe(w.prog, w.ret, pid_, p.binary_path.c_str(), offset);
      if (!link) {
        int err = errno;
        detach();
        return bpf_error("cannot attach " + std::string(w.ret ? "uretprobe" : "uprobe") + " to " + p.symbol + " in " +
                             p.module,
                         err);
      }
      links_.push_back(link);
      spdlog::debug("attached {} {}+0x{:x} ({}+{}{})", w.ret ? "uretprobe" : "uprobe", p.module, offset, p.symbol,
                    offset - p.function_offset, "; " + p.placement);
    }
  }
  return Ok{};
}

int Tracer::poll(int timeout_ms) {
  int n = ring_buffer__poll(rb_, timeout_ms);
  return n < 0 ? 0 : n;
}

bool Tracer::wait(int timeout_ms) {
  pollfd p{ring_buffer__epoll_fd(rb_), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

void Tracer::freeze() {
  if (skel_ && skel_->bss) skel_->bss->frozen = 1;
}

void Tracer::detach() {
  for (auto* l : links_) bpf_link__destroy(l);
  links_.clear();
}

TracerCounters Tracer::counters() const {
  TracerCounters out;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  int fd = bpf_map__fd(skel_->maps.counters);
  for (uint32_t k = 0; k < MG_CNT_COUNT; ++k) {
    if (bpf_map_lookup_elem(fd, &k, per_cpu.data()) != 0) continue;
    for (auto v : per_cpu) out.values[k] += v;
  }
  return out;
}

std::vector<std::pair<uint64_t, uint64_t>> Tracer::live_allocations() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  int fd = bpf_map__fd(skel_->maps.live);
  uint64_t key = 0, next = 0, size = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, &size) == 0) out.emplace_back(next, size);
    key = next;
    prev = &key;
  }
  return out;
}

Tracer::~Tracer() {
  freeze();
  detach();
  if (rb_) ring_buffer__free(rb_);
  if (skel_) memgap_bpf::destroy(skel_);
}

}  // namespace memgap::collect
