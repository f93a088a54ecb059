// cost-ops: the command-line tool. Parses arguments, wires options, prints, maps errors to exit
// codes; everything else is a library call.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "commands.h"
#include "common.h"
#include "costops/version.h"

int main(int argc, char** argv) {
  using namespace costops::cli;
  CLI::App app{"cost-ops: exact LLM cost operations (pricing, usage, reports)", "cost-ops"};
  app.set_version_flag("--version", std::string("cost-ops ") + costops::kVersion);
  app.require_subcommand(1);
  // Usage errors start like every other error, so scripts and people find them the same way.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    return "error: " + CLI::FailureMessage::simple(a, e);
  });
  setup_logging(false);
  app.add_flag_callback(
      "-v,--verbose", [] { setup_logging(true); }, "More diagnostics on stderr");

  int rc = kExitOk;
  add_price_command(app, rc);
  add_catalog_command(app, rc);
  add_db_commands(app, rc);
  add_records_command(app, rc);
  add_pricing_command(app, rc);
  add_forecast_commands(app, rc);
  add_reconcile_command(app, rc);
  add_report_commands(app, rc);
  add_run_command(app, rc);
  add_bench_command(app, rc);
  add_completion_command(app, rc);
  one_value_per_option(app);

  // A word that names no command: CLI11 would say only that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      names += " " + sub->get_name();
      known = known || sub->get_name() == argv[1];
    }
    if (!known) {
      std::fprintf(stderr, "error: unknown command \"%s\"; the commands are:%s\n", argv[1],
                   names.c_str());
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A command of subcommands given none (cost-ops, cost-ops budget): its help, which lists
    // them, rather than only that one is required.
    if (std::string_view(e.what()).find("subcommand is required") != std::string_view::npos) {
      const CLI::App* given = &app;
      while (!given->get_subcommands().empty()) given = given->get_subcommands().front();
      std::fprintf(stderr, "error: %s needs a command\n%s",
                   given == &app ? "cost-ops" : ("cost-ops " + given->get_name()).c_str(),
                   given->help().c_str());
      return kExitUsage;
    }
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  } catch (const std::exception& e) {
    // Errors are Status values; an exception here is a bug or the system's (out of memory, a
    // filesystem error): said as an error, never an abort.
    std::fprintf(stderr, "error: unexpected failure: %s\n", e.what());
    return kExitFailure;
  }
  // Output that did not reach stdout (a full disk) is an error, not a silent truncation (said
  // once: a command that failed has said why).
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    if (rc != kExitFailure) {
      std::fprintf(stderr, "error: cannot write standard output: %s\n", std::strerror(errno));
    }
    return kExitFailure;
  }
  return rc;
}
