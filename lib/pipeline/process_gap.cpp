#include "pipeline/process_gap.h"

#include "pipeline/go_section.h"
#include "pipeline/memo_proc_source.h"

namespace memgap::pipeline {

Result<ProcessGap> process_gap(int pid, const collect::ProcSource& proc, GoProbe& go, bool read_allocator_state,
                               const analyze::HeapObservation& obs) {
  MemoProcSource memo(proc);  // smaps is read once for both the gap and the Go weighting
  GapOptions opts;
  opts.read_allocator_state = read_allocator_state;
  auto rep = explain_rss_report(pid, memo, obs, opts);
  if (!rep) return rep.error();
  ProcessGap out;
  out.report = std::move(*rep);
  if (!go.checked) {
    go.checked = true;
    auto r = runtime::go::GoReader::open_if_go(pid, proc);
    go.is_go = !r || r->has_value();
    if (r && *r) go.reader = std::make_shared<runtime::go::GoReader>(std::move(**r));
    else if (!r) go.error = r.error().message;
  }
  if (go.reader) {
    auto sec = go_section_now(*go.reader, pid, memo, out.report.gap.rss);
    if (sec) {
      merge_go_section(out.report.gap, *sec);
      out.go = sec->info;
    } else {
      out.report.notes.push_back("Go runtime state unavailable: " + sec.error().message);
    }
  } else if (go.is_go && !go.error.empty()) {
    out.report.notes.push_back("Go runtime state unavailable: " + go.error);
  }
  return out;
}

}  // namespace memgap::pipeline
