// memgap attach PID: observe a running process for a window and report where its memory
// went. Thin: parse, run the pipeline, print, map errors to exit codes.
#include <signal.h>

#include <atomic>
#include <cstdio>

#include "command.h"
#include "exit_codes.h"
#include "model/snapshot_json.h"
#include "pipeline/attach_session.h"
#include "report/folded.h"
#include "report/pprof.h"
#include "report/table.h"
#include "util/units.h"

namespace memgap::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

// No SA_RESTART: the event poll must return at once so detaching starts immediately.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

struct AttachArgs {
  bool reachability = false;
  std::string max_pause = "1s";
  int pid = 0;
  int pid_option = 0;
  std::string duration;
  std::string interval;
  std::string output;
  std::string format = "text";
  bool json = false;
  std::string sample_bytes = "512KiB";
  size_t top = 10;
  bool no_probes = false;
  bool go_enable_profiling = false;
  std::string go_probe;
  std::string go_layout_from;
  bool go_maps = false;
  std::string unwind = "auto";
  std::string stack_copy = "16KiB";
  bool all_frames = false;
};

// Build ids recorded in the snapshot let pprof match mappings to the exact binaries.
report::PprofOptions pprof_options(const model::Snapshot& s, bool all_frames) {
  report::PprofOptions o;
  for (const auto& m : s.modules)
    if (!m.build_id.empty()) o.build_ids[m.name] = m.build_id;
  o.all_frames = all_frames;
  return o;
}

Status print_snapshot(const model::Snapshot& s, const AttachArgs& a, bool compact) {
  if (a.format == "json") {
    std::printf("%s\n", model::to_json(s, compact ? -1 : 2).c_str());
  } else if (a.format == "folded") {
    std::printf("%s", report::format_folded(s, report::FoldedValue::kLiveBytes, a.all_frames).c_str());
  } else if (a.format == "pprof") {
    auto bytes = report::format_pprof(s, pprof_options(s, a.all_frames));
    if (!bytes) return bytes.error();
    std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  } else {
    std::printf("%s", report::render_attach_report(s, a.top, 80, a.all_frames).c_str());
  }
  std::fflush(stdout);
  return Ok{};
}

}  // namespace

Action add_attach_command(CLI::App& app) {
  auto args = std::make_shared<AttachArgs>();
  CLI::App* sub = app.add_subcommand("attach", "Attach to a running process and report its live heap by call site");
  sub->add_option("PID", args->pid, "Process to attach to");
  sub->add_option("-p,--pid", args->pid_option, "Process to attach to (alias of PID)");
  sub->add_option("-d,--duration", args->duration, "Observation window (e.g. 30s); default: until Ctrl-C")
      ->check(kDurationValidator);
  sub->add_option("-i,--interval", args->interval, "Print a refreshed report every interval (e.g. 5s)")
      ->check(kDurationValidator);
  sub->add_option("-o,--output", args->output, "Write the snapshot (JSON) to FILE");
  sub->add_option("-f,--format", args->format, "Output format on stdout")->check(CLI::IsMember({"text", "json", "folded", "pprof"}));
  sub->add_flag("--json", args->json, "Same as --format json");
  sub->add_option("--sample-bytes", args->sample_bytes, "Mean bytes between samples; 1 tracks every allocation")
      ->check(kSizeValidator);
  sub->add_option("--top", args->top, "Sites to show")->check(CLI::PositiveNumber);
  sub->add_flag("--no-probes", args->no_probes, "procfs and runtime state only: attach no probe");
  sub->add_flag("--reachability", args->reachability,
                "At the window's end, hold the target still and mark its heap from its roots: leak verdicts "
                "(direct, indirect, still reachable) as LeakSanitizer gives them");
  sub->add_option("--max-pause", args->max_pause, "Longest the --reachability scan may hold the target (default 1s)")
      ->check(kDurationValidator);
  sub->add_flag("--go-enable-profiling", args->go_enable_profiling,
                "Go: when the runtime's allocation sampling is off, turn it on (writes MemProfileRate into the target)");
  sub->add_option("--go-probe", args->go_probe, "Go: sample allocations with a BPF probe instead of the runtime")
      ->check(CLI::IsMember({"mallocgc"}));
  sub->add_option("--go-layout-from", args->go_layout_from,
                  "Go: read a stripped target of a release memgap has no tables for with the layouts of FILE, "
                  "an unstripped binary built by the same Go release")
      ->check(CLI::ExistingFile);
  sub->add_flag("--go-maps", args->go_maps, "Go: add map-iteration heat (stacks of range loops over maps)");
  sub->add_option("--unwind", args->unwind, "Stack unwinding: fp (frame pointers), dwarf (CFI over a copied stack), auto")
      ->check(CLI::IsMember({"fp", "dwarf", "auto"}));
  sub->add_option("--stack-copy", args->stack_copy, "User stack copied per sample for dwarf unwinding (256B..16KiB)")
      ->check(kStackCopyValidator);
  sub->add_flag("--all-frames", args->all_frames,
                "Show the frames below main (__libc_start_main, _start) in text, folded and pprof output");

  return [args, sub]() -> int {
    AttachArgs& a = *args;
    if (a.json) a.format = "json";
    if (a.pid_option) {
      if (a.pid && a.pid != a.pid_option) {
        std::fprintf(stderr, "memgap: error: two different PIDs given\n%s", sub->help().c_str());
        return kExitUsage;
      }
      a.pid = a.pid_option;
    }
    if (a.pid <= 0) {
      std::fprintf(stderr, "memgap: error: attach needs a PID (memgap attach PID)\n");
      return kExitUsage;
    }
    pipeline::AttachOptions opt;
    opt.pid = a.pid;
    if (!a.duration.empty()) opt.duration_ms = *parse_duration_ms(a.duration);
    if (!a.interval.empty()) opt.interval_ms = *parse_duration_ms(a.interval);
    opt.sample_bytes = *parse_size(a.sample_bytes);
    if (opt.sample_bytes == 0) opt.sample_bytes = 1;
    opt.no_probes = a.no_probes;
    opt.reachability = a.reachability;
    opt.max_pause_ms = *parse_duration_ms(a.max_pause);  // validated at parse
    opt.go_enable_profiling = a.go_enable_profiling;
    opt.go_probe = a.go_probe;
    opt.go_layout_from = a.go_layout_from;
    opt.go_maps = a.go_maps;
    opt.unwind = a.unwind;
    opt.stack_copy_bytes = static_cast<uint32_t>(*parse_size(a.stack_copy));  // validated at parse
    opt.stop = &g_stop;
    install_stop_handlers();
    opt.on_attached = [](const model::Snapshot& s) {
      std::fprintf(stderr, "Attached to PID %d (%s)%s. Ctrl-C to stop.\n", s.meta.pid, s.meta.exe.c_str(),
                   s.meta.mode == "rss-only" ? " without probes" : "");
    };
    // Interim reports are for watching: binary pprof and folded stacks only at the end.
    if (opt.interval_ms && (a.format == "text" || a.format == "json"))
      opt.on_interval = [&a](const model::Snapshot& s) { (void)print_snapshot(s, a, true); };

    auto snap = pipeline::run_attach(opt);
    if (!snap) return report_error(snap.error());
    if (!a.output.empty()) {
      if (auto st = model::write_snapshot_file(*snap, a.output); !st) return report_error(st.error());
    }
    if (auto st = print_snapshot(*snap, a, false); !st) return report_error(st.error());
    return kExitOk;
  };
}

}  // namespace memgap::cli
