// memgap run [options] -- CMD [ARGS...]: the CI leak gate. Runs CMD with allocator probes
// from its first instruction, forwards signals, and when it exits fails (23) if what it
// left allocated exceeds the threshold (or, for a Go program, with --max-goroutines, if it
// left more goroutines than allowed); otherwise exits with CMD's own status. Thin:
// parse, run the pipeline, evaluate the gate, print, map to an exit status.
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>

#include "analyze/gate.h"
#include "analyze/suppressions.h"
#include "collect/child_process.h"
#include "command.h"
#include "exit_codes.h"
#include "model/snapshot_json.h"
#include "pipeline/run_session.h"
#include "report/gate_report.h"
#include "util/units.h"

namespace memgap::cli {
namespace {

std::atomic<int> g_child{0};

// Forwards a signal someone sent memgap to CMD. A terminal's Ctrl-C (si_code SI_KERNEL)
// already reached CMD, which shares memgap's process group: forwarding it would deliver
// it twice. memgap itself keeps running until CMD has exited, to report on it.
void forward_signal(int sig, siginfo_t* info, void*) {
  int pid = g_child.load();
  if (pid > 0 && !(info && info->si_code == SI_KERNEL)) ::kill(pid, sig);
}

void install_forwarding() {
  struct sigaction sa {};
  sa.sa_sigaction = forward_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
}

struct RunArgs {
  std::vector<std::string> argv;
  std::string output;
  std::string max_leak;
  std::optional<uint64_t> max_goroutines;
  std::string suppressions;
  std::string sample_bytes = "512KiB";
  bool follow = false;
  bool no_default_suppressions = false;
  size_t top = 10;
  std::string unwind = "auto";
  std::string stack_copy = "16KiB";
  std::string leak_kinds = "direct,indirect";
  bool no_reachability = false;
  bool all_frames = false;
};

}  // namespace

Action add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a command and fail (exit 23) if it leaks memory: a CI leak gate");
  sub->add_option("-o,--output", args->output, "Write the snapshot (JSON) of what was live at exit to FILE");
  sub->add_option("--max-leak", args->max_leak, "Fail when more than SIZE leaked (default: any leak above sampling noise)")
      ->check(kSizeValidator);
  sub->add_option("--max-goroutines", args->max_goroutines,
                  "Go programs: fail when more than N goroutines they started are left at exit")
      ->check(CLI::Validator(
          [](std::string& v) {
            return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos
                       ? std::string()
                       : "expected a count of goroutines (0 or more), got '" + v + "'";
          },
          "N"));
  sub->add_option("--suppressions", args->suppressions, "LeakSanitizer-style file of leak:PATTERN lines");
  sub->add_flag("--no-default-suppressions", args->no_default_suppressions,
                "Do not suppress glibc's process-lifetime caches (locale, stdio buffers, loader)");
  sub->add_option("--sample-bytes", args->sample_bytes, "Mean bytes between samples; 1 tracks every allocation (exact)")
      ->check(kSizeValidator);
  sub->add_flag("--follow", args->follow, "Also probe CMD's child processes: the programs they exec and the children they fork");
  sub->add_option("--top", args->top, "Leaking sites to show")->check(CLI::PositiveNumber);
  sub->add_option("--unwind", args->unwind, "Stack unwinding: fp, dwarf, auto")->check(CLI::IsMember({"fp", "dwarf", "auto"}));
  sub->add_option("--stack-copy", args->stack_copy, "User stack copied per sample for dwarf unwinding (256B..16KiB)")
      ->check(kStackCopyValidator);
  sub->add_option("--leak-kinds", args->leak_kinds,
                  "Kinds that fail the gate: direct, indirect, reachable, all (default direct,indirect, as LeakSanitizer)")
      ->check(CLI::Validator([](std::string& v) { return analyze::parse_leak_kinds(v).error; }, "KINDS"));
  sub->add_flag("--no-reachability", args->no_reachability,
                "Count everything still allocated at exit as leaked (no heap walk and mark)");
  sub->add_flag("--all-frames", args->all_frames, "Show the frames below main (__libc_start_main, _start) in the report");
  sub->add_option("CMD", args->argv, "The command and its arguments (after --)")->required();

  return [args]() -> int {
    const RunArgs& a = *args;
    analyze::Suppressions sup;
    if (!a.no_default_suppressions) sup = analyze::Suppressions::glibc_defaults();
    if (!a.suppressions.empty()) {
      auto s = analyze::Suppressions::read_file(a.suppressions);
      if (!s) return report_error(s.error());
      sup.append(*s);
    }
    auto kinds = analyze::parse_leak_kinds(a.leak_kinds);  // validated at parse
    pipeline::RunOptions opt;
    opt.argv = a.argv;
    opt.reachability = !a.no_reachability;
    opt.sample_bytes = *parse_size(a.sample_bytes);
    if (opt.sample_bytes == 0) opt.sample_bytes = 1;
    opt.follow = a.follow;
    opt.unwind = a.unwind;
    opt.stack_copy_bytes = static_cast<uint32_t>(*parse_size(a.stack_copy));  // validated at parse
    opt.child_pid = &g_child;
    install_forwarding();

    auto outcome = pipeline::run_command(opt);
    if (!outcome) return report_error(outcome.error());
    if (outcome->exec_errno) {
      // A shell's convention, so CI logs read the same with and without memgap: 127 when
      // the command does not exist, 126 when it exists but cannot be executed.
      int e = outcome->exec_errno;
      report_error(make_error("cannot run '" + a.argv[0] + "': " + collect::errno_text(e),
                              e == ENOENT ? "check the command name and PATH" : "check that the file is an executable"));
      return e == ENOENT ? 127 : 126;
    }
    model::Snapshot& snap = outcome->snapshot;
    analyze::GateOptions gopt;
    if (!a.max_leak.empty()) gopt.max_leak = *parse_size(a.max_leak);
    gopt.max_goroutines = a.max_goroutines;
    gopt.suppressions = &sup;
    gopt.kinds = kinds.set;
    if (snap.reachability) snap.reachability->leak_kinds = analyze::leak_kind_names(kinds.set);
    analyze::GateResult gate = analyze::evaluate_gate(snap, gopt);
    bool checked = !outcome->killed_by_signal;
    if (!checked) {
      snap.meta.notes.push_back("killed by signal " + std::to_string(outcome->exit_status - 128) +
                                ": leak check skipped (memory of an interrupted run is not a leak)");
      gate.failed = gate.heap_failed = gate.goroutines_failed = gate.goroutines_undecided = false;
    }
    analyze::record_gate(snap, gate, gopt);
    std::fflush(stdout);
    std::fprintf(stderr, "%s", report::render_gate_report(snap, gate, gopt.max_leak.has_value(), a.top, 80, a.all_frames).c_str());
    if (!a.output.empty()) {
      if (auto st = model::write_snapshot_file(snap, a.output); !st) return report_error(st.error());
    }
    if (outcome->pending) outcome->pending->detach_in_background();
    if (gate.goroutines_undecided) {
      // Asked to gate on goroutines that could not be counted: never pass it silently.
      if (outcome->go_error) {
        Error e = *outcome->go_error;
        e.message = "--max-goroutines: goroutines not counted: " + e.message;
        return report_error(e);
      }
      return report_error(make_error("--max-goroutines: '" + a.argv[0] + "' is not a Go program",
                                     "drop --max-goroutines for programs that are not written in Go"));
    }
    return gate.failed ? kExitLeak : outcome->exit_status;
  };
}

}  // namespace memgap::cli
