#include "pipeline/top_model.h"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "collect/proc_brief.h"
#include "util/cpu_time.h"

namespace memgap::pipeline {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool MachineTop::needs_detail(const model::TopProcess& p, uint64_t t_ms) const {
  auto it = details_.find(p.pid);
  if (it == details_.end() || it->second.name != p.comm) return true;
  const Detail& d = it->second;
  if (t_ms - d.t_ms >= opt_.detail_max_age_ms) return true;
  // A split whose RSS moved noticeably no longer describes the process.
  const uint64_t moved = p.rss > d.split.rss ? p.rss - d.split.rss : d.split.rss - p.rss;
  return moved > 256 * 1024 && moved * 100 > d.split.rss;
}

void MachineTop::apply_detail(model::TopProcess& p, uint64_t t_ms) const {
  auto it = details_.find(p.pid);
  if (it == details_.end() || it->second.name != p.comm) return;
  p.split = it->second.split;
  p.split.age_ms = t_ms - it->second.t_ms;
  // As the model says: a Go program whose split has go_* figures. A Go runtime memgap
  // refuses to read (a release it does not know) has none; the list must not show its
  // GO columns as 0 bytes (the detail view names the reason).
  auto g = go_.find(p.pid);
  p.go = g != go_.end() && g->second.is_go && g->second.reader;
}

model::TopFrame MachineTop::refresh(uint64_t t_ms) {
  const double cpu0 = own_cpu_ms();
  const auto briefs = collect::read_briefs(proc_);
  rows_.clear();
  rows_.reserve(briefs.size());
  for (const auto& b : briefs) {
    history_.record(b.pid, b.name, t_ms, b.rss);
    model::TopProcess p;
    p.pid = b.pid;
    p.comm = b.name;
    p.threads = b.threads;
    p.rss = b.rss;
    std::tie(p.growth_bytes_per_min, p.growth_window_ms) = history_.growth(b.pid);
    p.split = analyze::split_from_status(b.rss, b.rss_anon, b.rss_file, b.rss_shmem);
    rows_.push_back(std::move(p));
  }
  history_.forget_missing(t_ms);
  // Exited processes: forget their details and Go readers too.
  std::unordered_map<int, bool> alive;
  for (const auto& p : rows_) alive[p.pid] = true;
  std::erase_if(details_, [&](const auto& kv) { return !alive.count(kv.first); });
  std::erase_if(go_, [&](const auto& kv) { return !alive.count(kv.first); });
  for (auto& p : rows_) apply_detail(p, t_ms);
  last_t_ms_ = t_ms;

  // Full splits for the first rows of what will be shown, most important first.
  model::TopFrame f = view();
  const auto t0 = std::chrono::steady_clock::now();
  size_t done = 0;
  for (size_t i = 0; i < f.processes.size() && done < opt_.detail_rows; ++i, ++done) {
    const auto& p = f.processes[i];
    if (!needs_detail(p, t_ms)) continue;
    if (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() >
        opt_.detail_budget_ms)
      break;
    GoProbe& go = go_[p.pid];
    auto g = process_gap(p.pid, proc_, go, false);
    if (!g) continue;  // exited or unreadable: keep the status split
    Detail d;
    d.split = analyze::split_from_gap(g->report.gap);
    d.t_ms = t_ms;
    d.name = p.comm;
    details_[p.pid] = std::move(d);
  }
  for (auto& p : rows_) apply_detail(p, t_ms);

  last_ = model::TopFrame{};
  last_.iteration = f.iteration + 1;
  last_.unix_ms = unix_ms();
  last_.refresh_cpu_ms = own_cpu_ms() - cpu0;
  return view();
}

model::TopFrame MachineTop::view() const {
  model::TopFrame f;
  f.iteration = last_.iteration;
  f.unix_ms = last_.unix_ms;
  f.refresh_cpu_ms = last_.refresh_cpu_ms;
  f.interval_ms = opt_.interval_ms;
  f.sort = analyze::sort_name(opt_.sort);
  f.filter = opt_.filter;
  f.processes_total = rows_.size();
  for (const auto& p : rows_) f.rss_total += p.rss;
  f.processes = rows_;
  analyze::filter_processes(f.processes, opt_.filter);
  analyze::sort_processes(f.processes, opt_.sort, opt_.reverse);
  return f;
}

Result<ProcessGap> MachineTop::detail(int pid) {
  GoProbe& go = go_[pid];
  return process_gap(pid, proc_, go, true);
}

}  // namespace memgap::pipeline
