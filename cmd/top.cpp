// Placeholder until the 'top' subcommand is built; registered so the CLI shape is stable.
#include "command.h"
#include "exit_codes.h"

namespace memgap::cli {

Action add_top_command(CLI::App& app) {
  app.add_subcommand("top", "(not built yet)");
  return [] { return report_error(make_error("'memgap top' is not built yet", "see the README for what works today")); };
}

}  // namespace memgap::cli
