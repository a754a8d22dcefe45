#include <cstdio>

#include "command.h"
#include "exit_codes.h"
#include "util/units.h"

namespace memgap::cli {

namespace {
bool g_verbose = false;
}

void add_verbose_flag(CLI::App* app) { app->add_flag("-v,--verbose", g_verbose, "Debug logging on stderr"); }
bool verbose_requested() { return g_verbose; }

int report_error(const Error& error) {
  std::fprintf(stderr, "memgap: error: %s\n", error.message.c_str());
  if (!error.hint.empty()) std::fprintf(stderr, "hint: %s\n", error.hint.c_str());
  return exit_status_for(error.kind);
}

const CLI::Validator kSizeValidator(
    [](std::string& s) -> std::string {
      auto r = parse_size(s);
      return r ? std::string{} : r.error().message + " (" + r.error().hint + ")";
    },
    "SIZE");

const CLI::Validator kDurationValidator(
    [](std::string& s) -> std::string {
      auto r = parse_duration_ms(s);
      return r ? std::string{} : r.error().message + " (" + r.error().hint + ")";
    },
    "DURATION");

const CLI::Validator kStackCopyValidator(
    [](std::string& s) -> std::string {
      auto r = parse_size(s);
      if (!r) return r.error().message + " (" + r.error().hint + ")";
      if (*r < 256 || *r > 16384) return "--stack-copy must be between 256B and 16KiB";
      return {};
    },
    "SIZE");

}  // namespace memgap::cli
