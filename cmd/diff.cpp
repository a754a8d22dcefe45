// Placeholder until the 'diff' subcommand is built; registered so the CLI shape is stable.
#include "command.h"
#include "exit_codes.h"

namespace memgap::cli {

Action add_diff_command(CLI::App& app) {
  app.add_subcommand("diff", "(not built yet)");
  return [] { return report_error(make_error("'memgap diff' is not built yet", "see the README for what works today")); };
}

}  // namespace memgap::cli
