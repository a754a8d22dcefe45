#include "collect/go_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "bpf/memgap_go.h"
#include "collect/bpf_setup.h"
#include "memgap_go.skel.h"

namespace memgap::collect {
namespace {
constexpr size_t kStackDepth = 64;  // value_size of go_stacks
}  // namespace

Result<std::unique_ptr<GoTracer>> GoTracer::attach(const GoTracerConfig& config) {
  prepare_bpf();
  std::unique_ptr<GoTracer> t(new GoTracer());
  t->skel_ = memgap_go_bpf::open();
  if (!t->skel_) return bpf_error("cannot open the Go BPF object", errno);
  bpf_program__set_autoload(t->skel_->progs.go_map_grow_enter, !config.map_growth.empty());
  bpf_program__set_autoload(t->skel_->progs.go_map_iter_enter, !config.map_iteration.empty());
  bpf_program__set_autoload(t->skel_->progs.go_alloc_enter, !config.allocation.empty());
  t->skel_->rodata->sample_bytes = config.sample_bytes;
  t->skel_->rodata->map_len_offset = config.map_length_offset;
  for (int i = 0; i < MEMGAP_GO_LOG_TABLE; ++i)
    t->skel_->rodata->log2_frac[i] = static_cast<uint32_t>(std::lround(std::log2(1.0 + i / 256.0) * 65536.0));
  if (int err = memgap_go_bpf::load(t->skel_); err) return bpf_error("cannot load the Go BPF programs", err);
  struct Want {
    bpf_program* prog;
    const std::vector<GoProbePoint>& at;
  };
  for (Want w : {Want{t->skel_->progs.go_map_grow_enter, config.map_growth},
                 Want{t->skel_->progs.go_map_iter_enter, config.map_iteration},
                 Want{t->skel_->progs.go_alloc_enter, config.allocation}}) {
    for (const GoProbePoint& p : w.at) {
      if (p.arg > MEMGAP_GO_MAX_ARG)
        return make_error("no register for argument " + std::to_string(p.arg) + " of " + p.function);
      // Entry only (retprobe stays false): see the header. The cookie says which
      // argument register the program reads.
      bpf_uprobe_opts opts{};
      opts.sz = sizeof opts;
      opts.bpf_cookie = p.arg | (p.at_stack_check ? MEMGAP_GO_AT_STACK_CHECK : 0);
      bpf_link* link = bpf_program__attach_uprobe_opts(w.prog, config.pid, config.exe.c_str(), p.file_offset, &opts);
      if (!link) {
        int err = errno;
        t->detach();
        return bpf_error("cannot attach a uprobe to " + p.function + " in " + config.exe, err);
      }
      t->links_.push_back(link);
    }
  }
  return t;
}

GoStack GoTracer::stack(uint64_t caller, int32_t stack_id) const {
  GoStack s{caller};
  if (stack_id < 0) return s;
  uint64_t frames[kStackDepth] = {};
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.go_stacks), &stack_id, frames) != 0) return s;
  // frames[0] is the probed function's own entry; the walk continues from its caller's
  // caller. Recent kernels (6.18 here) add [rsp] themselves when a probe sits on the
  // `push rbp` of a function's prologue: it is then frames[1] and the same return
  // address as `caller`, which must not count as a frame of its own.
  size_t first = frames[1] == caller ? 2 : 1;
  for (size_t i = first; i < kStackDepth && frames[i]; ++i) s.push_back(frames[i]);
  return s;
}

std::vector<GoMapGrowth> GoTracer::map_growths() const {
  std::vector<GoMapGrowth> out;
  int fd = bpf_map__fd(skel_->maps.go_maps);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    memgap_go_map v{};
    if (bpf_map_lookup_elem(fd, &next, &v) == 0) {
      GoMapGrowth g;
      g.hmap = next;
      g.stack = stack(v.caller, v.stack_id);
      g.growths = v.growths;
      g.count_first = v.count_first;
      g.count_last = v.count_last;
      out.push_back(std::move(g));
    }
    key = next;
    prev = &key;
  }
  return out;
}

std::vector<GoMapIteration> GoTracer::map_iterations() const {
  std::vector<GoMapIteration> out;
  int fd = bpf_map__fd(skel_->maps.go_iters);
  memgap_go_iter_key key{}, next{};
  memgap_go_iter_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    uint64_t n = 0;
    if (bpf_map_lookup_elem(fd, &next, &n) == 0) out.push_back({stack(next.caller, next.stack_id), n});
    key = next;
    prev = &key;
  }
  return out;
}

std::vector<GoSampledAllocs> GoTracer::sampled_allocs() const {
  std::vector<GoSampledAllocs> out;
  int fd = bpf_map__fd(skel_->maps.go_allocs);
  memgap_go_iter_key key{}, next{};
  memgap_go_iter_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    memgap_go_alloc a{};
    if (bpf_map_lookup_elem(fd, &next, &a) == 0) out.push_back({stack(next.caller, next.stack_id), a.samples, a.bytes});
    key = next;
    prev = &key;
  }
  return out;
}

uint64_t GoTracer::counter_sum(std::initializer_list<uint32_t> counters) const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  uint64_t total = 0;
  int fd = bpf_map__fd(skel_->maps.go_counters);
  for (uint32_t k : counters) {
    if (bpf_map_lookup_elem(fd, &k, per_cpu.data()) != 0) continue;
    for (auto v : per_cpu) total += v;
  }
  return total;
}

uint64_t GoTracer::hits() const { return counter_sum({MGGO_CNT_GROW_HITS, MGGO_CNT_ITER_HITS, MGGO_CNT_MALLOC_HITS}); }

uint64_t GoTracer::growth_hits() const { return counter_sum({MGGO_CNT_GROW_HITS}); }

uint64_t GoTracer::stacks_lost() const { return counter_sum({MGGO_CNT_STACKS_LOST}); }

void GoTracer::freeze() {
  if (skel_ && skel_->bss) skel_->bss->frozen = 1;
}

void GoTracer::detach() {
  for (auto* l : links_) bpf_link__destroy(l);
  links_.clear();
}

GoTracer::~GoTracer() {
  freeze();
  detach();
  if (skel_) memgap_go_bpf::destroy(skel_);
}

}  // namespace memgap::collect
