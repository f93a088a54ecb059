// Budget status: spend so far, projected period total with an interval, probability of overrun,
// exhaustion date and threshold crossings, from a daily spend series.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/status.h"
#include "costops/forecasting/drivers.h"
#include "costops/forecasting/series.h"

namespace costops::forecasting {

/// An inclusive range of days.
struct DateRange {
  Date start, end;
  int days() const { return static_cast<int>((end - start).count()) + 1; }
};

/// Resolves a budget period spec (see costops::Budget::period) against `as_of`.
/// Errors (kInvalidArgument) quote the spec and list the accepted forms.
Result<DateRange> resolve_period(std::string_view spec, Date as_of);

/// The one conversion of forecasting's doubles back to money (CONVENTIONS): `v` rounded
/// half-even to kMoneyPlaces fractional digits, finer than any spend forecast means. Errors
/// (kOutOfRange) on a value that is not finite or beyond Decimal's range.
inline constexpr int kMoneyPlaces = 9;
Result<Decimal> to_money(double v);

/// `percent` % of `amount`, exact for a percentage of up to 6 fractional digits (it is rounded
/// to 6). Errors (kOutOfRange) on a percentage beyond +/-10^9 or a result beyond Decimal's range.
Result<Decimal> percent_of(Decimal amount, double percent);

struct BudgetOptions {
  Decimal amount;  // > 0
  DateRange period;
  Date as_of;  // data after this day is ignored
  std::vector<double> thresholds{50, 80, 100};
  double level = 0.95;  // of [projected_lower, projected_upper]
  int season = 7;
  /// The as-of day is still running (today): its spend so far counts as spent, the model is
  /// fitted to the days before it, and the rest of the day is projected as the day's forecast
  /// less that spend (never below zero), so a partial day neither drags the forecast nor goes
  /// missing from it. Ignored when the series has no day before the as-of day.
  bool as_of_partial = false;
};

struct ThresholdCrossing {
  double percent = 0;
  bool actual = false;  // crossed by spend so far; otherwise by the forecast
  Date date;
};

/// Amounts are money: `spent` is exact when the series has exact values (Series::exact, as read
/// from a CSV or the store), and the forecast's days enter the others through to_money.
struct BudgetStatus {
  Decimal spent;  // in the period, up to and including as_of
  Decimal projected_total;
  /// The interval at BudgetOptions' level; unset when the forecast has no error variance to give
  /// it (one day of history: has_error_variance).
  std::optional<Decimal> projected_lower, projected_upper;
  std::optional<double> probability_over;  // P(period total > amount), 0..1; unset likewise
  std::optional<Date> exhaustion_date;     // unset: not expected within the period
  bool exhausted = false;                  // already spent the whole amount
  /// spent / days elapsed * days in the period (half-even at Decimal's last digit); 0 before the
  /// period starts.
  Decimal run_rate_total;
  std::vector<ThresholdCrossing> thresholds_crossed;
  int days_elapsed = 0, days_remaining = 0;
  std::string model, reason;  // the forecast model (empty: the period has ended) and why
};

/// What moved a budget's numbers over the last `days` days: its projection, its spend, and (from
/// the caller, who has the parts) the parts of the spend that changed most.
struct BudgetChange {
  int days = 7;
  Date since;  // the as-of date `days` days earlier
  /// The same period's projected total as of `since` and how far it has moved since; unset when
  /// the series starts after `since`.
  std::optional<Decimal> projected_then, projected_change;
  /// The last whole day: the as-of day, or the day before when it is still running
  /// (BudgetOptions::as_of_partial).
  Date last_day;
  /// Spend in the `days` days up to last_day and in the `days` days before those.
  Decimal last, previous;
  /// Filled by the caller that has the parts (window_drivers over the same windows).
  Drivers drivers;
};

/// The change of a budget's projection and spend over `days` days, from the daily series
/// budget_status reads (`now` is its status, whose projection the earlier one is compared with).
/// Errors as budget_status's.
Result<BudgetChange> budget_change(const Series& daily, const BudgetOptions& options,
                                   const BudgetStatus& now, int days = 7);

/// Computes a budget's status from a daily series (values: spend per day). The forecast is the
/// automatically selected model (anomalies cleaned) fitted to the data up to as_of; forecasts
/// below zero count as zero. Errors (kInvalidArgument): a series that is not daily, as_of after
/// the series' last day or before its first, amount <= 0, exact values that are not the values;
/// (kOutOfRange) amounts beyond Decimal's range.
Result<BudgetStatus> budget_status(const Series& daily, const BudgetOptions& options);

/// A period's projection without a budget ("what will this month cost?"): budget_status's spend,
/// projected total with its interval, run rate, days, model and reason; options' amount and
/// thresholds are not read, and the figures that need them are left unset (probability, crossings,
/// exhaustion). Errors as budget_status's.
Result<BudgetStatus> project_period(const Series& daily, const BudgetOptions& options);

}  // namespace costops::forecasting
