// `memgap top PID` in a terminal: probes attached as in attach; the gap table as a
// header, the cost of watching in a status line, then the sites by live bytes with their
// growth and sparklines. q, Ctrl-C, SIGTERM and a closed terminal all end the loop, and
// TargetTop detaches (stop() here, its destructor on any other path).
#include <chrono>
#include <cstdio>
#include <sstream>

#include "command.h"
#include "exit_codes.h"
#include "pipeline/top_target.h"
#include "report/top_frame.h"
#include "tui/screen.h"
#include "tui/top_ui.h"

#include <curses.h>

namespace memgap::cli {

int run_target_tui(const TopArgs& a) {
  pipeline::TargetTopOptions opt;
  opt.pid = a.pid;
  opt.sample_bytes = a.sample_bytes;
  auto started = pipeline::TargetTop::start(opt);  // before the screen: errors print plainly
  if (!started) return report_error(started.error());
  auto& t = *started;
  std::string exit_note;
  {
    Screen screen;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    auto now = [&] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
    };
    // A pure Go program is watched without probes (its runtime is read from memory).
    std::string how = t->meta().probes_attached ? "probes attached" : "no probes, reading its memory";
    std::string text = "memgap top - PID " + std::to_string(a.pid) + ": " + how + ", first refresh in " +
                       std::to_string(a.interval_ms / 1000.0).substr(0, 3) + "s\n";
    bool paused = false;
    uint64_t next = a.interval_ms, shown = 0;
    bool quit = false;
    while (!g_top_stop.load() && !quit) {
      t->poll(50);
      if (!t->target_alive()) {
        exit_note = "memgap: target PID " + std::to_string(a.pid) + " exited\n";
        break;
      }
      if (!paused && now() >= next) {
        model::Snapshot s = t->frame();
        const auto c = t->cost();
        const size_t rows = static_cast<size_t>(std::max(1, screen.rows()));
        text = report::render_target_frame(
            s, {c.probe_hits_per_s, c.samples_per_s, c.memgap_cpu_percent, c.target_cpu_percent},
            static_cast<size_t>(std::max(60, screen.cols())), rows, a.utf8, true);
        next = now() + a.interval_ms;
        if (a.iterations && ++shown >= a.iterations) quit = true;
      }
      screen.begin();
      std::istringstream in(text);
      int y = 0;
      for (std::string l; std::getline(in, l); ++y) screen.line(y, l, y == 0 ? Paint::Title : Paint::Normal);
      screen.line(screen.rows() - 1, paused ? "[paused]  space resume  q quit" : "q quit  space pause",
                  Paint::Dim);
      screen.end();
      for (int ch; (ch = screen.key(0)) != -1;) {
        if (ch == 'q' || ch == 'Q') quit = true;
        else if (ch == ' ' || ch == 'p') paused = !paused;
      }
    }
  }  // the terminal is restored before detaching prints anything
  // Removing uprobes waits for RCU grace periods: seconds on a busy machine. Say so.
  std::fprintf(stderr, "memgap: detaching from PID %d\n", a.pid);
  t->stop();
  std::fputs(exit_note.c_str(), stderr);
  return kExitOk;
}

}  // namespace memgap::cli
