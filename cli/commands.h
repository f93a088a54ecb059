// One setup function per subcommand; each sets `rc` when it runs.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "costops/report/report.h"

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
/// records: the stored records themselves.
void add_records_command(CLI::App& app, int& rc);
/// report, compress, decompress.
void add_report_commands(CLI::App& app, int& rc);
/// completion: a shell completion script for the whole command tree `app` (added last).
void add_completion_command(CLI::App& app, int& rc);

/// report --budgets: every stored budget's status as of `as_of` (YYYY-MM-DD; empty: today,
/// still running), days in `tz`, as `budget status` computes it (without what moved), spend
/// converted into each budget's currency with `money`'s rates when it has any; its notes (stale
/// spend) on stderr. With `within` (the report's --filter), only the budgets whose scope lies
/// within it (scope_within), the others named in a note. Errors are reported (none stored is one);
/// returns the exit status.
int stored_budget_lines(const std::shared_ptr<std::string>& db, const std::string& tz,
                        const std::string& as_of, const CurrencyOptions& money,
                        const std::vector<Filter>& within, std::vector<report::BudgetLine>* lines);

}  // namespace costops::cli
