// memgap: where did a running process's memory go? All logic lives in lib/; this file
// only wires the subcommands together and maps CLI11's outcomes to exit codes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "command.h"
#include "exit_codes.h"

int main(int argc, char** argv) {
  using namespace memgap::cli;
  CLI::App app{"memgap: explain where a running process's memory went"};
  app.set_version_flag("--version", std::string("memgap ") + MEMGAP_VERSION);
  app.require_subcommand(1);
  add_verbose_flag(&app);
  std::vector<std::pair<CLI::App*, Action>> commands;
  auto add = [&](Action action) {
    CLI::App* sub = app.get_subcommands({}).back();
    add_verbose_flag(sub);  // -v works before and after the subcommand
    commands.emplace_back(sub, std::move(action));
  };
  add(add_attach_command(app));
  add(add_diff_command(app));
  add(add_run_command(app));
  add(add_top_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  // Logs go to stderr: stdout carries reports and JSON that scripts parse.
  spdlog::set_default_logger(spdlog::stderr_color_mt("memgap"));
  spdlog::set_level(verbose_requested() ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_pattern("memgap: %l: %v");
  for (auto& [sub, action] : commands)
    if (sub->parsed()) return action();
  return kExitUsage;
}
