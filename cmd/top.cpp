// memgap top [PID]: every process's memory and its growth (no probes), or one process's
// allocation sites live (probes). Thin: parse, pick the front end in tui/, exit codes.
#include <langinfo.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstring>

#include "command.h"
#include "exit_codes.h"
#include "tui/top_ui.h"
#include "util/units.h"

namespace memgap::cli {

Action add_top_command(CLI::App& app) {
  auto args = std::make_shared<TopArgs>();
  auto pid_option = std::make_shared<int>(0);
  auto delay = std::make_shared<double>(2.0);
  auto sample = std::make_shared<std::string>("512KiB");
  CLI::App* sub = app.add_subcommand("top", "Live view of every process's memory, or of one process's allocation sites");
  sub->add_option("PID", args->pid, "Attach probes to this process and show its sites live");
  sub->add_option("-p,--pid", *pid_option, "Same as PID");
  sub->add_option("-d,--delay", *delay, "Seconds between refreshes (default 2)")->check(CLI::Range(0.1, 3600.0));
  sub->add_option("-n,--iterations", args->iterations, "Stop after this many refreshes");
  sub->add_flag("-b,--batch", args->batch, "Plain frames on stdout (for scripts and logs)");
  sub->add_option("-f,--format", args->format, "Batch output: text, or json (one object per refresh)")
      ->check(CLI::IsMember({"text", "json"}));
  sub->add_option("-s,--sort", args->sort, "Sort the process list by growth, rss, heap, pid or name")
      ->check(CLI::IsMember({"growth", "rss", "heap", "pid", "name"}));
  sub->add_option("--filter", args->filter, "Only processes whose name contains this");
  sub->add_option("--sample-bytes", *sample, "With PID: mean bytes between samples")->check(kSizeValidator);
  sub->add_option("--top", args->top, "With PID, batch: sites shown")->check(CLI::PositiveNumber);

  return [args, pid_option, delay, sample, sub]() -> int {
    TopArgs& a = *args;
    if (*pid_option) {
      if (a.pid && a.pid != *pid_option) {
        std::fprintf(stderr, "memgap: error: two different PIDs given\n%s", sub->help().c_str());
        return kExitUsage;
      }
      a.pid = *pid_option;
    }
    if (a.pid < 0) {
      std::fprintf(stderr, "memgap: error: PID must be positive\n");
      return kExitUsage;
    }
    a.interval_ms = static_cast<uint64_t>(*delay * 1000.0 + 0.5);
    a.sample_bytes = std::max<uint64_t>(1, *parse_size(*sample));
    std::setlocale(LC_ALL, "");
    a.utf8 = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    // Not a terminal (a pipe, a log): plain frames, as if -b were given.
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) a.batch = true;
    if (a.format == "json" && !a.batch) {
      std::fprintf(stderr, "memgap: error: --format json needs batch mode (-b)\n");
      return kExitUsage;
    }
    install_top_signal_handlers();
    if (a.batch) return a.pid ? run_target_batch(a) : run_machine_batch(a);
    return a.pid ? run_target_tui(a) : run_machine_tui(a);
  };
}

}  // namespace memgap::cli
