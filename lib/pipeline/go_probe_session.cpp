#include "pipeline/go_probe_session.h"

#include <cmath>
#include <tuple>

#include "pipeline/go_probe_plan.h"

namespace memgap::pipeline {

namespace {
std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

Result<std::unique_ptr<GoProbeSession>> GoProbeSession::start(int pid, const collect::ProcSource& proc,
                                                              const GoProbeOptions& options, model::Meta& meta) {
  if (!options.probe.empty() && options.probe != "mallocgc")
    return make_error("unknown --go-probe " + options.probe, "the only probe is mallocgc");
  auto reader = options.reader ? Result<runtime::go::GoReader>(*options.reader) : runtime::go::GoReader::open(pid, proc);
  if (!reader) return reader.error();
  std::unique_ptr<GoProbeSession> s(new GoProbeSession(std::move(*reader)));
  if (options.probe == "mallocgc") {
    auto points = plan_go_allocation(s->reader_);
    if (!points) return points.error();
    collect::GoTracerConfig c;
    c.pid = pid;
    c.exe = s->reader_.exe();
    c.allocation = std::move(*points);
    c.sample_bytes = options.sample_bytes;
    auto t = collect::GoTracer::attach(c);
    if (!t) return t.error();
    s->tracer_ = std::move(*t);
    s->rate_ = static_cast<int64_t>(options.sample_bytes);
    meta.mode = "go";
    meta.sample_bytes = options.sample_bytes;
    meta.notes.push_back(
        "--go-probe mallocgc: allocations sampled by memgap's probes on the Go runtime's allocation "
        "functions (runtime.mallocgc, or the size-specialised mallocs of go1.27); frees are not "
        "seen (Go code cannot take a return probe), so sites show bytes allocated in the window, not in use");
    return s;
  }
  auto rate = s->reader_.mem_profile_rate();
  if (!rate) return rate.error();
  s->rate_ = *rate;
  meta.mode = "go";
  if (s->rate_ <= 0 && options.enable_profiling) {
    if (auto w = s->reader_.set_mem_profile_rate(runtime::go::kDefaultMemProfileRate); !w) return w.error();
    s->rate_ = runtime::go::kDefaultMemProfileRate;
    meta.notes.push_back(
        "memgap wrote runtime.MemProfileRate=524288 into the target (--go-enable-profiling): the "
        "runtime samples allocations from now on; memory allocated before attach has no site");
  } else if (s->rate_ <= 0) {
    meta.notes.push_back(
        "the Go runtime's allocation sampling is off (runtime.MemProfileRate is 0: the binary never "
        "references runtime.MemProfile), so there are no allocation sites; --go-enable-profiling "
        "turns it on by writing the rate into the target");
  }
  meta.sample_bytes = s->rate_ > 0 ? static_cast<uint64_t>(s->rate_) : 0;
  if (auto p = s->reader_.heap_profile()) {
    for (const auto& r : p->records) s->start_allocs_[r.stack] = {r.allocs, r.alloc_bytes};
  } else {
    return p.error();
  }
  return s;
}

std::vector<model::Frame> go_site_frames(const runtime::go::GoReader& reader, const std::vector<uint64_t>& stack) {
  std::vector<model::Frame> frames;
  std::string module = basename_of(reader.exe());
  for (uint64_t pc : stack) {
    for (const auto& g : reader.frames(pc)) {
      model::Frame f;
      f.function = g.function.empty() ? "??" : g.function;
      f.file = g.file;
      f.line = g.line;
      f.module = module;
      f.offset = g.offset;
      f.address = pc;
      frames.push_back(std::move(f));
    }
  }
  size_t first = 0;
  while (first < frames.size() && frames[first].function.rfind("runtime.", 0) == 0) ++first;
  if (first < frames.size()) frames.erase(frames.begin(), frames.begin() + static_cast<long>(first));
  return frames;
}

Result<std::vector<model::Site>> GoProbeSession::probed_sites() const {
  std::vector<model::Site> out;
  for (const auto& a : tracer_->sampled_allocs()) {
    auto alloc = runtime::go::scale_heap_sample(a.samples, a.bytes, rate_);
    model::Site s;
    s.frames = go_site_frames(reader_, a.stack);
    s.alloc_bytes = static_cast<uint64_t>(std::llround(alloc.bytes));
    s.alloc_objects = static_cast<uint64_t>(std::llround(alloc.objects));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<model::Site>> GoProbeSession::sites() const {
  if (tracer_) return probed_sites();
  std::vector<model::Site> out;
  if (rate_ <= 0) return out;
  auto p = reader_.heap_profile();
  if (!p) return p.error();
  for (const auto& r : p->records) {
    auto live = runtime::go::scale_heap_sample(r.in_use_objects(), r.in_use_bytes(), rate_);
    uint64_t a0 = 0, b0 = 0;
    if (auto it = start_allocs_.find(r.stack); it != start_allocs_.end()) std::tie(a0, b0) = it->second;
    auto alloc = runtime::go::scale_heap_sample(r.allocs >= a0 ? r.allocs - a0 : 0,
                                                r.alloc_bytes >= b0 ? r.alloc_bytes - b0 : 0, rate_);
    if (live.bytes <= 0 && alloc.bytes <= 0) continue;
    model::Site s;
    s.frames = go_site_frames(reader_, r.stack);
    s.live_bytes = static_cast<uint64_t>(std::llround(live.bytes));
    s.live_objects = static_cast<uint64_t>(std::llround(live.objects));
    s.alloc_bytes = static_cast<uint64_t>(std::llround(alloc.bytes));
    s.alloc_objects = static_cast<uint64_t>(std::llround(alloc.objects));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace memgap::pipeline
