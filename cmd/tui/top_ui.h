// The front ends of `memgap top`: batch (plain text or NDJSON frames on stdout) and the
// ncurses terminal UI, each for the machine-wide list or one process with probes. All
// figures come from lib/ (pipeline::MachineTop, pipeline::TargetTop, report::top_frame).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "analyze/top_rows.h"
#include "pipeline/top_model.h"

namespace memgap::cli {

struct TopArgs {
  int pid = 0;                 // 0: every process, no probes
  uint64_t interval_ms = 2000;
  uint64_t iterations = 0;     // 0: until stopped
  bool batch = false;
  std::string format = "text";  // text, json (batch only)
  std::string sort = "growth";
  std::string filter;
  uint64_t sample_bytes = 512 * 1024;
  size_t top = 10;             // sites shown in batch PID mode
  bool utf8 = false;           // sparklines in Unicode blocks
};

// Set by SIGINT, SIGTERM and SIGHUP (terminal closed); every loop checks it so that the
// probes are detached on the way out.
extern std::atomic<bool> g_top_stop;
void install_top_signal_handlers();

// The machine-wide view's options from the command line (batch and terminal alike).
inline pipeline::MachineTopOptions machine_top_options(const TopArgs& a) {
  pipeline::MachineTopOptions opt;
  opt.sort = *analyze::parse_sort(a.sort);  // validated when parsed
  opt.filter = a.filter;
  opt.interval_ms = a.interval_ms;
  return opt;
}

int run_machine_batch(const TopArgs& args);
int run_target_batch(const TopArgs& args);
int run_machine_tui(const TopArgs& args);
int run_target_tui(const TopArgs& args);

}  // namespace memgap::cli
