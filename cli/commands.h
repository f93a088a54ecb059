// One setup function per subcommand; each sets `rc` when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace costops::cli {

void add_price_command(CLI::App& app, int& rc);
void add_catalog_command(CLI::App& app, int& rc);
/// run: the benchmark interface.
void add_run_command(CLI::App& app, int& rc);
/// bench compare.
void add_bench_command(CLI::App& app, int& rc);
/// pricing add|import|list|get|remove.
void add_pricing_command(CLI::App& app, int& rc);
/// init, ingest, query, summary, reprice, whatif, delete.
void add_db_commands(CLI::App& app, int& rc);
/// forecast, anomalies, budget add|list|remove|status.
void add_forecast_commands(CLI::App& app, int& rc);
/// reconcile: a provider's bill against stored spend.
void add_reconcile_command(CLI::App& app, int& rc);
/// report, compress, decompress.
void add_report_commands(CLI::App& app, int& rc);

}  // namespace costops::cli
