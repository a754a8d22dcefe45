// Each subcommand lives in its own file and registers itself on the CLI11 app; main()
// runs whichever one the user picked. Commands stay thin: parse, call lib/, print, map
// errors to exit codes.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

#include "util/result.h"

namespace memgap::cli {

using Action = std::function<int()>;

// Each returns the action to run when its subcommand was selected.
Action add_attach_command(CLI::App& app);
Action add_diff_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_top_command(CLI::App& app);

// Adds -v/--verbose (debug logging) to an app or subcommand.
void add_verbose_flag(CLI::App* app);
bool verbose_requested();

// Prints "memgap: error: <message>" and "hint: <hint>" on stderr; returns kExitError.
int report_error(const Error& error);

// CLI11 validators for IEC sizes and durations, so bad values are usage errors (exit 2).
extern const CLI::Validator kSizeValidator;
extern const CLI::Validator kDurationValidator;
// --stack-copy: an IEC size between 256B and 16KiB (what the BPF side can copy).
extern const CLI::Validator kStackCopyValidator;

}  // namespace memgap::cli
