// Cost reports (the architecture's `export` module; `export` is a C++ keyword, so the namespace
// is costops::report): totals, daily spend, top models and projects, an optional forecast,
// rendered as CSV, JSON, JSON Lines, Markdown or a self-contained HTML page with SVG charts.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/status.h"
#include "costops/engine/cost_calculator.h"
#include "costops/forecasting/budget.h"
#include "costops/forecasting/drivers.h"

namespace costops::report {

enum class Format { kCsv, kJson, kJsonl, kMarkdown, kHtml };

/// "csv", "json", "jsonl", "markdown", "html".
std::string_view format_name(Format f);
/// The inverse of format_name (also "md"). Errors list the valid names.
Result<Format> parse_format(std::string_view name);

/// "+1.5000" or "-0.2500": `d` with `places` decimals (half-even) and its sign.
std::string signed_text(const Decimal& d, int places = 4);
/// "anthropic/claude-sonnet-4-5 +1.2345, openai/gpt-4o +0.3000": changes' names and signed
/// amounts (signed_text), comma-separated.
std::string changes_text(std::span<const forecasting::SpendDriver> changes, int places = 4);
/// " (1189517 cache reads, 0 cache writes)": the parts of a row's input tokens, or "" without
/// any; output_parts_text the same for its output (" (90434 reasoning)").
std::string input_parts_text(const AggregateRow& r);
std::string output_parts_text(const AggregateRow& r);

/// `s` as one CSV field (RFC 4180): as is, or quoted with its quotes doubled when it holds a
/// comma, a quote or a line break.
std::string csv_field(std::string_view s);
/// `s` as text in a Markdown table cell: characters that would end the cell or start a link, code
/// or emphasis backslash-escaped, `<` and `>` as entities (no HTML), line breaks as spaces.
std::string md_escape(std::string_view s);

/// `q` aggregated by each of `ways` (`q`'s own group keys are ignored) from one query of
/// `source` grouped by all their keys: each way's rows are summed from those, in key order, as
/// a query grouped by it returns them. Summaries and reports take a period's total, models and
/// projects this way: one pass over the records where three were made.
Result<std::vector<std::vector<AggregateRow>>> aggregate_ways(
    const AggregateFn& source, AggregateQuery q, const std::vector<std::vector<GroupKey>>& ways);

/// What spend in a calendar period will come to by its end: a to-date report's or summary's
/// month, quarter or year.
struct Projection {
  std::string label;  // what the period is: "month", "quarter", "year"
  forecasting::DateRange period;
  std::string currency;
  /// spent, projected_total with its 95% interval, run_rate_total, model and reason.
  forecasting::BudgetStatus status;
  forecasting::Date last_spend;  // the last day with spend before the projection
  /// Said when the spend stopped more than a week before the as-of day (the days since count as
  /// zero, most often usage not ingested yet); empty otherwise.
  std::string note;
};

/// An amount as JSON: exact decimal text, null without one.
nlohmann::json decimal_json(const std::optional<Decimal>& d);
/// Amounts per currency as JSON: {"USD": "1.25"}, exact decimal text.
nlohmann::json money_json(const std::map<std::string, Decimal>& cost);
/// Amounts per currency as text with `places` decimals: "1.2500 USD + 3.0000 EUR"; "0" for none.
std::string money_text(const std::map<std::string, Decimal>& cost, int places);

/// A projection's figures as JSON, amounts exact decimal text (projected_lower and
/// projected_upper null without an interval).
nlohmann::json projection_json(const Projection& p);

/// Projects `currency` spend matching `filters` over `period` from up to 180 days (or the
/// period's length, when longer) of daily spend up to `as_of` (days in `tz`), as budget status
/// projects a budget's period (forecasting::project_period); the as-of day is still running when
/// it is `today`. nullopt without spend up to `as_of`.
Result<std::optional<Projection>> project_spend(
    const AggregateFn& source, const std::vector<Filter>& filters, const TimeZone& tz,
    std::string label, forecasting::DateRange period, forecasting::Date as_of,
    const std::string& currency, forecasting::Date today);

struct ReportOptions {
  std::string title = "LLM cost report";
  std::optional<Timestamp> from, to;  // [from, to); unset: everything
  std::vector<Filter> filters;
  TimeZone time_zone;  // for day labels
  size_t top = 10;     // rows in the model and project tables
  /// Days of forecast after the last day (0: none; from the last day itself when it is the day
  /// the report is generated on, still running), for `forecast_currency` (default: the currency
  /// with the largest total).
  int forecast_days = 0;
  std::string forecast_currency;
  std::optional<Timestamp> generated_at;  // default: now
  /// A to-date report's calendar period and its label ("month"): the total is projected to its
  /// end (project_spend), as of the report's last day. Unset: no projection.
  std::optional<std::pair<std::string, forecasting::DateRange>> project_to;
  /// The period to compare with, [from, to) (the one before the report's): its total, and the
  /// models and projects whose spend changed most since (`top` of each, the rest summed).
  std::optional<std::pair<Timestamp, Timestamp>> compare_to;
  /// The period's unusual days: the seasonal detector (weekly season) over the forecast's
  /// history of daily spend, in the main currency, with the models that moved each.
  bool anomalies = true;
  /// More top tables, one per key (organization, user, tag:KEY or tier): spend by team for a
  /// showback, say. Each keeps `top` rows and sums the others.
  std::vector<GroupKey> breakdowns;
  /// The breakdown (one of `breakdowns`) whose records without a value, spend that names no
  /// team, are spread over its rows with one (spread_shared, as `allocate_by` says): each row's
  /// shared and allocated cost, the table ordered and its top kept by the allocated cost.
  std::optional<GroupKey> allocate;
  SpreadBy allocate_by = SpreadBy::kCost;
};

/// Whether `key` can be a report's breakdown (ReportOptions::breakdowns): organization, user,
/// tag:KEY or tier (the report has its models, projects and days already).
Status check_breakdown(const GroupKey& key);

/// A day whose spend the seasonal anomaly detector flags, as `cost-ops anomalies` reports it.
struct UnusualDay {
  std::string date;
  double value = 0, expected = 0, score = 0;
  std::string severity;  // "low", "medium", "high"
  /// The models ("provider/model") whose spend moved the way the day did, against their median
  /// on the same weekday of the four weeks before; the largest change first, at most 3.
  std::vector<forecasting::SpendDriver> drivers;
};

/// The period a report is compared with, and what changed since.
struct Comparison {
  Timestamp from{}, to{};  // [from, to)
  AggregateRow total;      // the period's
  /// The changes' currency: the report's main currency (the forecast's when one is chosen).
  std::string currency;
  Decimal change;  // the report's total less the compared period's, in `currency`
  /// By model ("provider/model") and by project: value is the report's spend, baseline the
  /// compared period's; the largest changes first, the rest in `others`. Over each, top and
  /// others add up to the total's change.
  forecasting::Drivers models, projects;
};

/// The spend of a period (its total, and its rows by provider and model and by project, as
/// aggregated with `scope`'s filters and time zone) against that of [before.first,
/// before.second): the Comparison in `currency` with `top` changes of each grouping.
Result<Comparison> compare_with(const AggregateFn& source, const AggregateQuery& scope,
                                std::pair<Timestamp, Timestamp> before, const AggregateRow& total,
                                const std::vector<AggregateRow>& models,
                                const std::vector<AggregateRow>& projects,
                                const std::string& currency, size_t top);

/// A comparison as JSON: from, to, total, currency, change and change_percent (null when the
/// compared period spent nothing), and models and projects: {"largest": [{name, previous,
/// current, change}], "others": {parts, previous, current, change}} (others only when some
/// are), amounts exact decimal text.
nlohmann::json comparison_json(const Comparison& c);

struct DayRow {
  std::string date;  // "2026-10-01" in the report's time zone
  uint64_t records = 0;
  std::map<std::string, Decimal> cost;
};

struct ForecastRow {
  std::string date;
  double value = 0, lower_95 = 0, upper_95 = 0;
};

/// The groups a top table leaves out (Report::models, ::projects keep `top`), summed: with them
/// the table adds up to the total.
struct OtherRows {
  size_t count = 0;  // how many groups; 0: the table shows every one
  AggregateRow row;  // their sums (keys empty)
};

/// Keeps the `top` rows that cost the most in `currency`, largest first, and returns the others
/// summed. Errors when their cost overflows.
Result<OtherRows> keep_top(std::vector<AggregateRow>& rows, const std::string& currency,
                           size_t top);
/// A top table's row of the others: "1 other", "3 others".
std::string others_name(const OtherRows& others);
/// An unusual day's drivers as `cost-ops anomalies` and the report write them: name, and value,
/// usual and change as exact decimal text.
nlohmann::json drivers_json(std::span<const forecasting::SpendDriver> drivers);

/// Logged costs against the exact ones, as `price --summary` and `ingest` write them: records,
/// logged_cost, exact_cost, difference (exact decimal text), difference_percent (of the exact
/// cost; null when that is zero) and records_off.
nlohmann::json logged_costs_json(const engine::LoggedCosts& l);

/// A figure such as an alert threshold or an interval level in percent, as people write it
/// (printf's %g: "95", "12.5").
std::string figure_text(double v);
/// `part` in percent of `whole`, exactly (Decimal::as_percent_of), with `places` decimals:
/// "41.5"; with `sign`, as printf's %+.1f writes it ("+12.9", "-0.0"). nullopt when `whole` is
/// zero or the percentage is out of range.
std::optional<Decimal> percent_of(const Decimal& part, const Decimal& whole, int places);
std::optional<std::string> percent_text(const Decimal& part, const Decimal& whole, int places,
                                        bool sign = false);
/// `row`'s share of `total` in `currency`: "41.5%" ("-" when the total has none of it). The
/// row's allocated cost is taken (its cost where no shared cost was spread onto it or off it).
std::string share_text(const AggregateRow& row, const AggregateRow& total,
                       const std::string& currency);

/// A top table by another key (ReportOptions::breakdowns).
struct Breakdown {
  GroupKey key;
  std::vector<AggregateRow> rows;  // keys: the key's value; by cost, top N
  OtherRows others;
  /// Set on the breakdown ReportOptions::allocate names: how its shared cost was spread, and
  /// what was (rows and others have their `shared`; ordered by allocated cost).
  std::optional<SpreadBy> spread_by;
  SpreadTotals spread;
};

/// A budget's status as of the report's last day (`cost-ops report --budgets`), as `cost-ops
/// budget status` computes it.
struct BudgetLine {
  std::string name;
  std::string currency;
  std::string period;            // as the budget names it: "month", "2026-Q4", ...
  forecasting::DateRange range;  // the period's days as of `as_of`
  forecasting::Date as_of;
  Decimal amount;
  double level = 0.95;  // of the projection's interval
  forecasting::BudgetStatus status;
};

struct Report {
  std::string title;
  Timestamp generated{};
  std::optional<Timestamp> from, to;
  std::vector<Filter> filters;
  AggregateRow total;                  // keys empty
  std::vector<DayRow> days;            // every day from the first to the last with spend
  std::vector<AggregateRow> models;    // keys: provider, model; by cost, top N
  std::vector<AggregateRow> projects;  // keys: project; by cost, top N
  OtherRows other_models, other_projects;
  std::vector<Breakdown> breakdowns;  // in ReportOptions::breakdowns' order
  std::string currency;  // the top tables' order, and their shares of the total, are in it
  std::string forecast_currency;
  std::string forecast_model;
  std::vector<ForecastRow> forecast;
  std::optional<Projection> projection;
  std::optional<Comparison> comparison;
  std::vector<UnusualDay> anomalies;  // in anomaly_currency, oldest first
  std::string anomaly_currency;
  /// Set by the caller, which has the budgets (ReportGenerator::build leaves it empty).
  std::vector<BudgetLine> budgets;
  /// By provider and model (keys), the costs the period's records logged themselves against
  /// their exact prices (AggregateRow::logged), the largest logged first: set by the caller, which
  /// reads the records (report --logged; build leaves it empty). Rendered when not empty.
  std::vector<AggregateRow> logged;
  /// By provider and model (keys), each cost's input, output and other parts
  /// (AggregateRow::input_cost, ...), the dearest first: set by the caller, which reads the
  /// records (report --cost-split; build leaves it empty). Rendered when not empty.
  std::vector<AggregateRow> split;
};

/// The days of daily spend a report's forecast and unusual days read, ending with its last day.
inline constexpr int kForecastHistoryDays = 180;

/// Builds reports from an aggregation source. Thread-compatible.
class ReportGenerator {
 public:
  explicit ReportGenerator(AggregateFn source) : source_(std::move(source)) {}
  /// Runs the aggregations the report needs (total, per day, per model, per project) and the
  /// forecast. Errors come from the source, or the forecast (too little history is not an error:
  /// the forecast is left out).
  Result<Report> build(const ReportOptions& options) const;
  /// The report as text. Money is exact decimal text; HTML escapes every value.
  static std::string render(const Report& report, Format format);

 private:
  AggregateFn source_;
};

}  // namespace costops::report
