#include "pipeline/run_session.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "collect/child_process.h"
#include "collect/exec_target.h"
#include "collect/proc_source.h"
#include "collect/smaps.h"
#include "collect/target.h"
#include "pipeline/exit_reachability.h"
#include "pipeline/go_exit_census.h"
#include "pipeline/probe_session.h"
#include "pipeline/serial_detacher.h"
#include "pipeline/series_recorder.h"
#include "pipeline/snapshot_builder.h"
#include "runtime/go/go_state.h"

namespace memgap::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using collect::TraceEvent;
using collect::TraceEventKind;

uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

// SIGCHLD interrupts the ring-buffer wait (no SA_RESTART), so a ptrace stop is handled at
// once instead of after the poll timeout: every stop holds a process of CMD's tree.
void on_sigchld(int) {}

class SigchldWakeup {
 public:
  SigchldWakeup() {
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART, no SA_NOCLDSTOP: stops must wake the loop too
    sigaction(SIGCHLD, &sa, &old_);
  }
  ~SigchldWakeup() { sigaction(SIGCHLD, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

bool links_libc(const collect::Target& t) {
  for (const auto& m : t.modules)
    if (m.path.find("/libc.so") != std::string::npos) return true;
  return false;
}

// One probed process image (a process between one exec and the next exec or its exit).
struct Traced {
  std::unique_ptr<ProbeSession> probes;
  model::Meta meta;  // this image's probe counters
  SeriesRecorder series;
};

class RunSession {
 public:
  explicit RunSession(const RunOptions& o) : opt_(o) {}

  Result<RunOutcome> run();

 private:
  void on_exec(pid_t pid);
  void on_exit_stop(pid_t pid);
  // Fork children (--follow). A new child's first stop and its parent's fork event arrive
  // in either order; the child is held at its first stop, before it runs a single
  // instruction, until both are in. False: keep `ev` stopped for now.
  bool on_first_stop(const TraceEvent& ev);
  void on_new_child(const TraceEvent& ev);
  void probe_forked_child(pid_t child, pid_t parent, bool shares_memory);
  void start_probes(pid_t pid, const collect::Target& target);
  void finish_image(pid_t pid, bool alive);
  // The reachability scan of an image held at its exit stop; false (with a note) when
  // its blocks cannot be enumerated, and its live memory then counts as leaked.
  bool scan_reachability(pid_t pid, const Traced& t, std::vector<std::optional<model::LeakKinds>>& kinds);
  std::optional<model::Reachability> reach_;  // totals over every image scanned
  bool reach_failed_ = false;
  // While CMD runs (a --follow child ended), detach beside the loop; once CMD has ended,
  // leave it to the caller (PendingDetach) so the report is not held up.
  void retire(std::unique_ptr<ProbeSession> probes) {
    if (cmd_ended_) pending_->add(std::move(probes));
    else detacher_.add(std::move(probes));
  }
  bool cmd_ended_ = false;
  std::shared_ptr<PendingDetach> pending_ = std::make_shared<PendingDetach>();

  const RunOptions& opt_;
  collect::RealProcSource proc_;
  pid_t main_pid_ = 0;
  Clock::time_point t0_ = Clock::now();
  model::Meta main_meta_;
  bool have_main_meta_ = false;
  std::map<pid_t, Traced> traced_;
  struct ForkOf {
    pid_t parent = 0;
    bool shares_memory = false;
  };
  std::set<pid_t> seen_;                  // processes whose first event has been handled
  std::map<pid_t, ForkOf> forks_;         // fork events whose child has not stopped yet
  std::map<pid_t, TraceEvent> held_;      // children stopped before their fork event came
  std::vector<model::Site> sites_;      // of finished images
  std::map<std::string, model::Module> modules_;
  std::vector<std::string> notes_;
  model::Memory main_memory_;           // smaps_rollup at CMD's exit stop
  GoExitReading go_;                    // CMD's Go runtime at its exit stop (Go programs)
  uint64_t images_ = 0;
  uint64_t hits_ = 0, samples_ = 0;
  model::Drops drops_;
  SerialDetacher detacher_;
};

void RunSession::on_exec(pid_t pid) {
  auto old = traced_.find(pid);
  if (old != traced_.end()) {
    // exec replaced the image: whatever it had allocated is gone with it, not leaked.
    old->second.probes->finish(proc_, pid, false);
    retire(std::move(old->second.probes));
    traced_.erase(old);
  }
  if (pid != main_pid_ && !opt_.follow) return;
  auto target = collect::inspect_exec_target(pid, proc_);
  if (!target) {
    notes_.push_back("not probed: PID " + std::to_string(pid) + ": " + target.error().message);
    return;
  }
  start_probes(pid, *target);
}

void RunSession::start_probes(pid_t pid, const collect::Target& target) {
  Traced t;
  t.meta = base_meta("run", target);
  t.meta.mode = "alloc";
  t.meta.sample_bytes = opt_.sample_bytes;
  ProbeOptions po;
  po.sample_bytes = opt_.sample_bytes;
  po.unwind = opt_.unwind;
  po.stack_copy_bytes = opt_.stack_copy_bytes;
  auto started = ProbeSession::start(target, po, t.meta);
  if (!started && pid == main_pid_ && !links_libc(target) && runtime::go::is_go_process(pid, proc_)) {
    // A Go program without libc (static, or PIE with only the loader): nothing to probe,
    // and nothing of its garbage-collected heap is a leak at exit. Its goroutines are
    // read at the exit stop.
    notes_.push_back("pure Go program: no C heap to probe; its goroutines are counted at exit");
    main_meta_ = t.meta;
    have_main_meta_ = true;
    return;
  }
  if (!started) {
    notes_.push_back("not probed: " + target.exe + " (PID " + std::to_string(pid) + "): " + started.error().message);
    spdlog::debug("{}", notes_.back());
    if (pid == main_pid_) {
      main_meta_ = t.meta;
      have_main_meta_ = true;
    }
    return;
  }
  t.probes = std::move(*started);
  spdlog::debug("probes on PID {} ({}): {} attached, allocator {}", pid, target.exe, t.meta.probes_attached,
                t.meta.allocator);
  if (pid == main_pid_) {
    main_meta_ = t.meta;
    have_main_meta_ = true;
  }
  ++images_;
  traced_.emplace(pid, std::move(t));
}

// The image ends while its memory still exists: freeze, drain, read its maps, collect
// what is still live. The process is resumed by the caller afterwards.
void RunSession::finish_image(pid_t pid, bool alive) {
  auto it = traced_.find(pid);
  if (it == traced_.end()) return;
  Traced& t = it->second;
  t.probes->finish(proc_, pid, alive);
  if (pid == main_pid_ && alive) {
    if (auto rollup = collect::read_smaps_rollup(proc_, pid)) main_memory_.rollup = *rollup;
  }
  t.series.record(ms_since(t0_), main_memory_.rss(), &t.probes->sampler());
  t.probes->fill_meta(t.meta);
  std::vector<std::optional<model::LeakKinds>> kinds;
  bool scanned = alive && opt_.reachability && scan_reachability(pid, t, kinds);
  if (!alive && opt_.reachability) {
    reach_failed_ = true;
    notes_.push_back("no reachability verdicts for PID " + std::to_string(pid) +
                     ": it ended without an exit stop (killed, or exit from another thread)");
  }
  auto sites = t.probes->sites(t.series, scanned ? &kinds : nullptr);
  for (auto& m : t.probes->modules(sites)) modules_.emplace(m.name, m);
  hits_ += t.meta.probe_hits;
  samples_ += t.meta.samples;
  drops_.live_map_full += t.meta.drops.live_map_full;
  drops_.events_lost += t.meta.drops.events_lost;
  drops_.stacks_lost += t.meta.drops.stacks_lost;
  drops_.stacks_truncated += t.meta.drops.stacks_truncated;
  drops_.unmatched_returns += t.meta.drops.unmatched_returns;
  for (auto& n : t.meta.notes) notes_.push_back(std::move(n));
  for (auto& s : sites) {
    // Series of different processes do not share time points; only totals are kept.
    s.live_series.clear();
    sites_.push_back(std::move(s));
  }
  if (pid == main_pid_) {
    main_meta_.probes_attached = t.meta.probes_attached;
    main_meta_.unwind = t.meta.unwind;
    main_meta_.allocator = t.meta.allocator;
  }
  retire(std::move(t.probes));
  traced_.erase(it);
}

bool RunSession::scan_reachability(pid_t pid, const Traced& t, std::vector<std::optional<model::LeakKinds>>& kinds) {
  const collect::Sampler& sampler = t.probes->sampler();
  const bool exact = opt_.sample_bytes <= 1 && t.meta.drops.live_map_full == 0 && t.meta.drops.events_lost == 0;
  auto scan = scan_at_exit(pid, proc_, t.meta.allocator, sampler, exact);
  if (!scan) {
    reach_failed_ = true;
    notes_.push_back("no reachability verdicts for PID " + std::to_string(pid) + " (" + scan.error().message +
                     "): everything live at exit counts as leaked");
    return false;
  }
  for (auto& n : scan->notes) notes_.push_back(std::move(n));
  kinds = leak_kinds_by_stack(*scan, sampler);
  if (!reach_) {
    reach_ = scan->summary;
  } else {
    reach_->totals.add(scan->summary.totals);
    reach_->blocks += scan->summary.blocks;
    reach_->root_bytes += scan->summary.root_bytes;
    reach_->heap_bytes += scan->summary.heap_bytes;
    reach_->threads += scan->summary.threads;
    reach_->pause_ms += scan->summary.pause_ms;
    reach_->exact_bytes = reach_->exact_bytes && scan->summary.exact_bytes;
    if (reach_->blocks_source != scan->summary.blocks_source) reach_->blocks_source += "; " + scan->summary.blocks_source;
  }
  return true;
}

bool RunSession::on_first_stop(const TraceEvent& ev) {
  seen_.insert(ev.pid);
  auto fork = forks_.find(ev.pid);
  if (fork == forks_.end()) {
    held_[ev.pid] = ev;
    return false;
  }
  probe_forked_child(ev.pid, fork->second.parent, fork->second.shares_memory);
  forks_.erase(fork);
  return true;
}

void RunSession::on_new_child(const TraceEvent& ev) {
  if (ev.child <= 0) return;
  auto held = held_.find(ev.child);
  if (held == held_.end()) {
    forks_[ev.child] = ForkOf{ev.pid, ev.child_shares_memory};
    return;
  }
  probe_forked_child(ev.child, ev.pid, ev.child_shares_memory);
  collect::resume(held->second);
  held_.erase(held);
}

// A forked child runs its parent's image on a copy of its parent's memory: it gets probes
// of its own (uprobes filter by process) before it runs. What it inherited is not its
// allocation: only what it allocates itself and does not free counts as its leak. A vfork
// child borrows its parent's memory until it execs (its exec is probed) or exits.
void RunSession::probe_forked_child(pid_t child, pid_t parent, bool shares_memory) {
  if (shares_memory || !traced_.count(parent)) return;
  auto target = collect::inspect_target(child, proc_);
  if (!target) {
    notes_.push_back("not probed: forked PID " + std::to_string(child) + ": " + target.error().message);
    return;
  }
  start_probes(child, *target);
}

void RunSession::on_exit_stop(pid_t pid) {
  if (pid == main_pid_) cmd_ended_ = true;
  finish_image(pid, true);
  // After the probes are frozen: the goroutines CMD leaves behind, while they still exist.
  if (pid == main_pid_) go_ = read_go_at_exit(pid, proc_);
}

Result<RunOutcome> RunSession::run() {
  RunOutcome out;
  SigchldWakeup wake;
  auto child = collect::ChildProcess::spawn(opt_.argv, opt_.follow);
  if (!child) return child.error();
  main_pid_ = child->pid();
  seen_.insert(main_pid_);  // seized, not auto-attached: it has no first stop
  if (opt_.child_pid) opt_.child_pid->store(main_pid_);
  if (int e = child->release(); e != 0) {
    if (opt_.child_pid) opt_.child_pid->store(0);
    out.exec_errno = e;
    return out;
  }
  t0_ = Clock::now();
  bool done = false;
  uint64_t next_tick = 0;
  while (!done) {
    TraceEvent ev;
    while (!done && collect::next_trace_event(ev)) {
      if (!seen_.count(ev.pid)) {
        if (ev.kind == TraceEventKind::OtherStop) {
          if (!on_first_stop(ev)) continue;  // held until its parent's fork event
          collect::resume(ev);
          continue;
        }
        seen_.insert(ev.pid);
      }
      switch (ev.kind) {
        case TraceEventKind::NewChild: on_new_child(ev); break;
        case TraceEventKind::Exec: on_exec(ev.pid); break;
        case TraceEventKind::Exit: on_exit_stop(ev.pid); break;
        case TraceEventKind::Exited:
          // No exit stop seen (SIGKILL): the image's maps are gone; symbolize with what
          // was read while it ran.
          if (ev.pid == main_pid_) cmd_ended_ = true;
          finish_image(ev.pid, false);
          // Its PID may come back as a later child's, whose first stop must be seen as one.
          seen_.erase(ev.pid);
          held_.erase(ev.pid);
          forks_.erase(ev.pid);
          if (ev.pid == main_pid_) {
            out.exit_status = ev.status;
            out.killed_by_signal = ev.signal != 0;
            done = true;
          }
          break;
        default: break;
      }
      collect::resume(ev);
    }
    if (done) break;
    // Wait for records first, then read the maps, then handle them: a library the loader
    // (or dlopen) mapped since the last look must be known before its samples are
    // unwound. SIGCHLD cuts the wait short when a process of the tree stops.
    auto main = traced_.find(main_pid_);
    if (main != traced_.end()) main->second.probes->wait(50);
    else std::this_thread::sleep_for(std::chrono::milliseconds(traced_.empty() ? 20 : 5));
    for (auto& [pid, t] : traced_) {
      t.probes->refresh_modules(proc_, pid);
      t.probes->poll(0);
    }
    uint64_t now = ms_since(t0_);
    main = traced_.find(main_pid_);
    if (main != traced_.end() && now >= next_tick) {
      main->second.series.record(now, collect::current_rss(proc_, main_pid_), &main->second.probes->sampler());
      next_tick = now + 1000;
    }
  }
  if (opt_.child_pid) opt_.child_pid->store(0);
  for (auto& [pid, ev] : held_) collect::resume(ev);  // never left stopped for good
  held_.clear();
  cmd_ended_ = true;
  for (auto& p : detacher_.stop()) pending_->add(std::move(p));  // waits for one detach at most
  out.pending = pending_;
  // Descendants still running when CMD ended (daemons) are not waited for.
  for (auto& [pid, t] : traced_) {
    notes_.push_back("PID " + std::to_string(pid) + " still running when the command ended: its allocations are not counted");
    retire(std::move(t.probes));
  }
  traced_.clear();

  model::Snapshot& s = out.snapshot;
  s.meta = main_meta_;
  s.meta.command = "run";
  s.meta.pid = main_pid_;
  s.meta.mode = "alloc";
  s.meta.sample_bytes = opt_.sample_bytes;
  s.meta.duration_ms = ms_since(t0_);
  s.meta.target_exited = true;
  s.meta.probe_hits = hits_;
  s.meta.samples = samples_;
  s.meta.drops = drops_;
  s.meta.notes = notes_;
  if (!have_main_meta_) s.meta.notes.push_back("the command was never probed");
  if (go_.error) s.meta.notes.push_back("Go runtime not read at exit: " + go_.error->message);
  s.go = go_.info;
  s.memory = main_memory_;
  s.sites = std::move(sites_);
  for (auto& [name, m] : modules_) s.modules.push_back(m);
  finish_snapshot(s);
  model::RunInfo info;
  info.argv = opt_.argv;
  info.exit_status = out.exit_status;
  info.processes = images_;
  // Verdicts only when every image that was scanned had them: a mix would count one
  // program's reachable memory and not another's.
  s.run = info;
  if (reach_ && !reach_failed_) s.reachability = reach_;
  out.go_error = go_.error;
  return out;
}

}  // namespace

PendingDetach::PendingDetach() = default;
PendingDetach::~PendingDetach() = default;  // ~ProbeSession detaches

void PendingDetach::add(std::unique_ptr<ProbeSession> session) { sessions_.push_back(std::move(session)); }

void PendingDetach::detach_in_background() {
  if (sessions_.empty()) return;
  std::fflush(nullptr);
  // Whoever drops the last reference to a link pays for the detach: the child waits
  // until this process is gone (EOF on the pipe, whose write end only we hold).
  int gone[2];
  if (::pipe2(gone, O_CLOEXEC) != 0) {
    sessions_.clear();
    return;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(gone[0]);
    ::close(gone[1]);
    sessions_.clear();
    return;
  }
  if (pid == 0) {
    ::setsid();
    ::close(gone[1]);
    int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    char byte;
    while (::read(gone[0], &byte, 1) < 0 && errno == EINTR) {
    }
    sessions_.clear();
    ::_exit(0);
  }
  ::close(gone[0]);  // gone[1] stays open until this process exits
  // The child holds the same BPF links; dropping ours only lowers reference counts.
  // Destroying the sessions here would detach (slowly) in this process too, so they are
  // never destroyed: kept reachable until exit (which LeakSanitizer, rightly, does not
  // call a leak; a released pointer it did).
  static auto* abandoned = new std::vector<std::unique_ptr<ProbeSession>>();
  for (auto& s : sessions_) abandoned->push_back(std::move(s));
  sessions_.clear();
}

Result<RunOutcome> run_command(const RunOptions& options) {
  RunSession session(options);
  return session.run();
}

}  // namespace memgap::pipeline
