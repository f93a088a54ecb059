// Time series for forecasting: dated values at a regular frequency, read from `date,value` CSV.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/status.h"

namespace costops::forecasting {

/// A calendar day (UTC).
using Date = std::chrono::sys_days;

/// The spacing of a series' dates.
enum class Frequency { kDaily, kWeekly, kMonthly, kQuarterly, kYearly };

/// "daily", "weekly", "monthly", "quarterly", "yearly".
std::string_view frequency_name(Frequency f);

/// How a series' input wrote its dates: days (2025-04-16), or periods by their first day: months
/// (2025-04), quarters (2025-Q2) or years (2025).
enum class DateStyle { kDay, kMonth, kQuarter, kYear };

/// A regular series, oldest first: `values[i]` belongs to `dates[i]`, and consecutive dates are
/// one `frequency` step apart.
struct Series {
  std::vector<Date> dates;
  std::vector<double> values;
  /// The values as exact decimals, one per value, when the input had them (a CSV's decimal
  /// text, stored spend); empty otherwise. A filled value is interpolated here exactly too
  /// (half-even at Decimal's last digit). Budgets count spend from these.
  std::vector<Decimal> exact;
  Frequency frequency = Frequency::kDaily;
  /// What was done to make the input regular (gaps filled), as sentences; empty when nothing.
  std::vector<std::string> notes;
  /// The indexes of the values filled in (not observed), in order.
  std::vector<size_t> filled;
  /// How the input wrote its dates (each the same way), for output that names them as it did.
  DateStyle date_style = DateStyle::kDay;

  size_t size() const { return values.size(); }
};

/// "2025-04-16". Errors (kInvalidArgument) quote the text.
Result<Date> parse_date(std::string_view text);
/// "2025-04-16".
std::string format_date(Date d);
/// `d` written in `style`: "2025-04-16", "2025-04", "2025-Q2" (the quarter `d` is in) or "2025".
std::string format_date(Date d, DateStyle style);

/// The date `steps` periods after `d` (months keep the day of month, clamped to the month's end).
Date advance(Date d, Frequency f, int steps);

/// The usual season length of a frequency: 7 for daily, 12 for monthly, 4 for quarterly,
/// 52 for weekly, 0 (none) for yearly.
int default_season(Frequency f);

/// Where a series' values came from, for errors that name them: the file, each value's line and
/// the names of the date and value columns.
struct SeriesOrigin {
  std::string file;
  std::vector<size_t> lines;  // one per value
  std::string date_field, value_field;
};

/// Builds a regular series from dated values in any order (values not in date order are noted in
/// `notes`). The frequency is inferred from the smallest spacing between dates; dates missing at
/// that frequency are filled by linear interpolation and reported in `notes`. Errors: no values, a
/// repeated date, a non-finite value, spacing that is not a whole number of days/months, or more
/// than half the points missing. With `origin`, an error about one value names its file, line and
/// field (`spend.csv:7: field "date": ...`, a repeated date with the line it first appeared on),
/// and the others the file. `exact`, empty or one per value, becomes the series' exact values.
Result<Series> make_series(std::vector<Date> dates, std::vector<double> values,
                           const SeriesOrigin* origin = nullptr, std::vector<Decimal> exact = {});

/// Daily spend from amounts per day: every day from the first in `by_day` through `last` (days
/// after it left out), a day missing from `by_day` counted as 0 (no records: no spend); exact
/// values too. Empty when no day of `by_day` is at or before `last`.
Series zero_filled_daily(const std::map<Date, Decimal>& by_day, Date last);

/// Parses CSV text with a header naming a date column ("date", "day", "ds" or "timestamp") and a
/// value column ("value", "y", "cost" or "spend"; or the only other column). The values are
/// exact too when every one fits a Decimal (24 fractional digits). Dates written as periods
/// (every one the same way) set the series' date_style. Errors name
/// `source`, the line and the field: `spend.csv:14: field "value": expected a number, got "n/a"`.
/// UTF-16 text (told by its byte order mark) is read as UTF-8.
Result<Series> parse_series_csv(std::string_view text, std::string_view source);

/// Reads and parses a CSV file (see parse_series_csv).
Result<Series> read_series_csv(const std::string& path);

}  // namespace costops::forecasting
