// Cost reports (the architecture's `export` module; `export` is a C++ keyword, so the namespace
// is costops::report): totals, daily spend, top models and projects, an optional forecast,
// rendered as CSV, JSON, JSON Lines, Markdown or a self-contained HTML page with SVG charts.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/status.h"

namespace costops::report {

enum class Format { kCsv, kJson, kJsonl, kMarkdown, kHtml };

/// "csv", "json", "jsonl", "markdown", "html".
std::string_view format_name(Format f);
/// The inverse of format_name (also "md"). Errors list the valid names.
Result<Format> parse_format(std::string_view name);

/// `s` as one CSV field (RFC 4180): as is, or quoted with its quotes doubled when it holds a
/// comma, a quote or a line break.
std::string csv_field(std::string_view s);

/// Where reports get their numbers: a Store's aggregate(), or engine::Aggregator::run over
/// records in memory.
using AggregateFn = std::function<Result<std::vector<AggregateRow>>(const AggregateQuery&)>;

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
};

struct DayRow {
  std::string date;  // "2026-10-01" in the report's time zone
  uint64_t records = 0;
  std::map<std::string, Decimal> cost;
};

struct ForecastRow {
  std::string date;
  double value = 0, lower_95 = 0, upper_95 = 0;
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
  std::string forecast_currency;
  std::string forecast_model;
  std::vector<ForecastRow> forecast;
};

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
