#include "pipeline/memory_explainer.h"

#include "pipeline/cgo_heap.h"
#include "pipeline/gap.h"
#include "pipeline/go_section.h"
#include "util/units.h"

namespace memgap::pipeline {

MemoryExplainer::MemoryExplainer(int pid, const collect::ProcSource& proc, model::Meta& meta,
                                 const runtime::go::GoOpenOptions& go_options)
    : pid_(pid), proc_(proc) {
  auto reader = runtime::go::GoReader::open_if_go(pid, proc, go_options);
  is_go_ = !reader || reader->has_value();
  if (reader && *reader) go_.emplace(std::move(**reader));
  else if (!reader)
    meta.notes.push_back("Go runtime not read: " + reader.error().message +
                         (reader.error().hint.empty() ? "" : " (" + reader.error().hint + ")"));
}

void MemoryExplainer::window_started() {
  if (!go_) return;
  if (auto state = go_->read()) go_at_start_ = go_info(*state);
}

void MemoryExplainer::explain(model::Snapshot& s, const collect::Sampler* sampler, uint64_t sample_bytes) const {
  analyze::HeapObservation obs;
  if (sampler)
    obs = observe_heap(*sampler, sample_bytes <= 1 ? "uprobes on every allocation"
                                                   : "uprobes, sampled every " + format_size(sample_bytes));
  auto report = explain_rss_report(pid_, proc_, obs);
  if (!report) {
    s.meta.notes.push_back("RSS not explained: " + report.error().message);
    return;
  }
  s.gap = report->gap;
  s.memory = report->memory;
  if (s.meta.allocator.empty()) s.meta.allocator = report->allocator;
  for (const auto& n : report->notes) s.meta.notes.push_back(n);
  if (!go_) return;
  auto sec = go_section_now(*go_, pid_, proc_, s.gap.rss);
  if (!sec) {
    s.meta.notes.push_back("Go runtime not read: " + sec.error().message);
    return;
  }
  merge_go_section(s.gap, *sec);
  // Probes on libc in a Go process see cgo's C allocations: name them so.
  if (sampler) name_cgo_heap(s.gap);
  s.go = sec->info;
  if (go_at_start_)
    for (const auto& g : growing_goroutine_groups(*go_at_start_, sec->info)) s.meta.notes.push_back(g.note);
}

}  // namespace memgap::pipeline
