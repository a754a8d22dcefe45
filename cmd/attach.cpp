#include "command.h"
#include "exit_codes.h"
namespace memgap::cli {
Action add_attach_command(CLI::App& app) {
  app.add_subcommand("attach", "Attach to a running process");
  return [] { return 0; };
}
}  // namespace memgap::cli
