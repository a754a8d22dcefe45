// Batch mode (as top -b): one frame per refresh on stdout, plain text or one JSON object
// per line, for scripts and logs. Ends after -n frames, on a signal, or when stdout closes.
#include <chrono>
#include <cstdio>
#include <thread>

#include "command.h"
#include "exit_codes.h"
#include "model/snapshot_json.h"
#include "model/top_json.h"
#include "pipeline/top_model.h"
#include "pipeline/top_target.h"
#include "report/top_frame.h"
#include "tui/top_ui.h"

namespace memgap::cli {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

// False when stdout is gone (reader exited): time to stop.
bool emit(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  return std::fflush(stdout) == 0 && !std::ferror(stdout);
}

}  // namespace

int run_machine_batch(const TopArgs& a) {
  collect::RealProcSource proc;
  pipeline::MachineTop top(proc, machine_top_options(a));
  const auto t0 = Clock::now();
  for (uint64_t i = 1; !g_top_stop.load(); ++i) {
    const uint64_t due = (i - 1) * a.interval_ms;
    while (!g_top_stop.load() && ms_since(t0) < due) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (g_top_stop.load()) break;
    model::TopFrame f = top.refresh(ms_since(t0));
    f.iteration = i;
    std::string out = a.format == "json" ? model::to_json(f) + "\n" : report::render_machine_frame(f, 80) + "\n";
    if (!emit(out)) break;
    if (a.iterations && i >= a.iterations) break;
  }
  return kExitOk;
}

int run_target_batch(const TopArgs& a) {
  pipeline::TargetTopOptions opt;
  opt.pid = a.pid;
  opt.sample_bytes = a.sample_bytes;
  auto started = pipeline::TargetTop::start(opt);
  if (!started) return report_error(started.error());
  auto& t = *started;  // its destructor detaches on every path out of here
  std::fprintf(stderr, "Attached to PID %d (%s). Ctrl-C to stop.\n", a.pid, t->meta().exe.c_str());
  const auto t0 = Clock::now();
  for (uint64_t i = 1; !g_top_stop.load(); ++i) {
    const uint64_t due = i * a.interval_ms;
    bool alive = true;
    while (!g_top_stop.load() && ms_since(t0) < due) {
      t->poll(50);
      if (!(alive = t->target_alive())) break;
    }
    if (g_top_stop.load()) break;
    model::Snapshot s = t->frame();
    const auto c = t->cost();
    std::string out = a.format == "json"
                          ? model::to_json(s, -1) + "\n"
                          : report::render_target_frame(s, {c.probe_hits_per_s, c.samples_per_s,
                                                            c.memgap_cpu_percent, c.target_cpu_percent},
                                                        80, a.top, a.utf8) +
                                "\n";
    if (!emit(out)) break;
    if (!alive) {
      std::fprintf(stderr, "memgap: target PID %d exited\n", a.pid);
      break;
    }
    if (a.iterations && i >= a.iterations) break;
  }
  t->stop();
  return kExitOk;
}

}  // namespace memgap::cli
