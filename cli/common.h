// Shared CLI plumbing: exit codes, logging setup, catalog options.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "costops/domain/status.h"
#include "costops/pricing/catalog.h"

namespace costops::cli {

/// Documented exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // some input could not be processed (details on stdout/stderr)
  kExitUsage = 2,    // bad command line
};

/// Sets up spdlog on stderr (colour only on a TTY and without NO_COLOR).
void setup_logging(bool verbose);
/// Logs `st` as an error line on stderr.
void report(const Status& st);

/// --catalog, --catalog-format and --prices, shared by every command that prices.
struct CatalogOptions {
  std::string catalog_file;
  std::string format = "auto";
  std::string custom_prices;
  void add_to(CLI::App& app);
  /// Loads the chosen catalog (the built-in one by default) with custom prices on top.
  Result<const pricing::Catalog*> load();

 private:
  std::optional<pricing::Catalog> owned_;
};

}  // namespace costops::cli
