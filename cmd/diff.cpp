// memgap diff BASE NEW: what changed between two snapshots, matched by symbolized frames.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "analyze/diff.h"
#include "command.h"
#include "exit_codes.h"
#include "model/snapshot_json.h"
#include "report/diff_json.h"
#include "report/diff_table.h"
#include "report/folded.h"
#include "report/pprof.h"
#include "util/units.h"

namespace memgap::cli {
namespace {

struct DiffArgs {
  std::string base_path;
  std::string new_path;
  std::string format = "text";
  bool json = false;
  std::string output;
  std::string fail_on_growth;
  size_t top = 20;
  bool all = false;
  std::string min_delta;
  bool all_frames = false;
};

Status write_output(const std::string& data, const std::string& path, bool binary) {
  if (path.empty() || path == "-") {
    if (binary && isatty(STDOUT_FILENO))
      return make_error("refusing to write a binary pprof profile to a terminal", "use -o FILE, or redirect stdout");
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
      return make_error("failed writing to stdout", "");
    return Ok{};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error("cannot write '" + path + "'", "check that the directory exists and is writable");
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) return make_error("failed writing '" + path + "'", "check free disk space");
  return Ok{};
}

int run_diff(const DiffArgs& a) {
  std::optional<uint64_t> limit;
  if (!a.fail_on_growth.empty()) {
    auto l = parse_size(a.fail_on_growth);
    if (!l) return report_error(l.error());
    limit = *l;
  }
  uint64_t min_delta = 0;
  if (!a.min_delta.empty()) {
    auto m = parse_size(a.min_delta);
    if (!m) return report_error(m.error());
    min_delta = *m;
  }
  auto base = model::read_snapshot_file(a.base_path);
  if (!base) return report_error(base.error());
  auto now = model::read_snapshot_file(a.new_path);
  if (!now) return report_error(now.error());

  analyze::DiffOptions options;
  options.top = a.top;
  options.show_unchanged = a.all;
  options.min_delta_bytes = min_delta;
  analyze::SnapshotDiff diff = analyze::diff_snapshots(*base, *now, options);
  report::DiffSides sides{a.base_path, a.new_path, &*base, &*now};

  std::string format = a.json ? "json" : a.format;
  std::string out;
  if (format == "text") {
    out = report::format_diff_text(diff, sides);
  } else if (format == "json") {
    out = report::format_diff_json(diff, sides) + "\n";
  } else if (format == "folded") {
    out = report::format_folded_diff(diff, report::FoldedValue::kLiveBytes, a.all_frames);
  } else {
    report::PprofOptions po;
    po.all_frames = a.all_frames;
    auto p = report::format_pprof_diff(diff, *base, *now, po);
    if (!p) return report_error(p.error());
    out = std::move(*p);
  }
  if (auto w = write_output(out, a.output, format == "pprof"); !w) return report_error(w.error());

  if (limit && analyze::growth_exceeds(diff, *limit)) {
    std::fprintf(stderr, "memgap: live heap grew by %s, more than --fail-on-growth %s\n",
                 format_size_delta(diff.live_growth()).c_str(), format_size(*limit).c_str());
    return kExitLeak;
  }
  return kExitOk;
}

}  // namespace

Action add_diff_command(CLI::App& app) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* sub = app.add_subcommand("diff", "Compare two snapshots: which call sites grew, which are new or gone");
  sub->add_option("BASE", args->base_path, "Snapshot to compare against (memgap.snapshot JSON)")->required();
  sub->add_option("NEW", args->new_path, "Later snapshot")->required();
  sub->add_option("-f,--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "folded", "pprof"}))
      ->default_str("text");
  sub->add_flag("--json", args->json, "Same as --format json");
  sub->add_option("-o,--output", args->output, "Write to FILE instead of stdout");
  sub->add_option("--fail-on-growth", args->fail_on_growth,
                  "Exit 23 when total live bytes grew by more than SIZE (e.g. 1MiB)")
      ->check(kSizeValidator);
  sub->add_option("-n,--top", args->top, "Site rows shown before the rest fold into [N others]; 0 = all")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("-a,--all", args->all, "Also list unchanged [ = ] sites");
  sub->add_flag("--all-frames", args->all_frames, "Keep the frames below main (__libc_start_main, _start) in folded and pprof output");
  sub->add_option("--min-delta", args->min_delta,
                  "Count a site as unchanged when its live bytes moved by less than SIZE (sampling noise)")
      ->check(kSizeValidator);
  return [args] { return run_diff(*args); };
}

}  // namespace memgap::cli
