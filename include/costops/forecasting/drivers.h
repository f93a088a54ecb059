// What drove a change in spend: of the parts of a total (provider/model pairs, say), those whose
// spend moved most, as exact money.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/status.h"
#include "costops/forecasting/series.h"

namespace costops::forecasting {

/// A part's spend against its baseline.
struct SpendDriver {
  std::string name;                 // what the spend belongs to, such as "openai/gpt-4o"
  Decimal value, baseline, change;  // change = value - baseline
};

/// The parts that changed most, and the rest summed, so that with them the changes add up to the
/// total's change.
struct Drivers {
  std::vector<SpendDriver> top;              // the largest change (either way) first
  SpendDriver others{"others", {}, {}, {}};  // the other parts that changed, summed
  size_t other_parts = 0;                    // how many those are
};

/// `name`'s spend `value` against `baseline`, with their difference as change. Errors when it
/// overflows.
Result<SpendDriver> spend_change(std::string name, Decimal value, Decimal baseline);

/// Of `parts`, those whose spend changed, the largest change (either way) first, at most `limit`,
/// and the others that changed summed: the top and others add up to the parts' total change.
Result<Drivers> largest_changes(std::vector<SpendDriver> parts, size_t limit);

/// A part of a total: its name and daily spend. Days outside its series count as no spend.
using SpendPart = std::pair<std::string, Series>;

/// The spend of `s` on the days from..to, as money: exact values when the series has them, else
/// its values through to_money (budget.h). Days outside the series count as zero.
Result<Decimal> spend_between(const Series& s, Date from, Date to);

/// One series' spend in the `days` days up to `last_day` (value) against the `days` days before
/// those (baseline).
Result<SpendDriver> window_change(const std::string& name, const Series& s, Date last_day,
                                  int days);

/// Week against week: each part's spend in the `days` days up to `last_day` (value) against the
/// `days` days before those (baseline). The parts whose spend changed, the largest change either
/// way first, at most `limit`, and the others that changed summed: over parts that make up a
/// total, top and others add up to the total's change exactly.
Result<Drivers> window_drivers(const std::vector<SpendPart>& parts, Date last_day, int days,
                               size_t limit = 5);

/// One day against its usual: each part's spend on `day` (value) against the median of its spend
/// on the same day of the `seasons` seasons before (the `season` days before when season < 2)
/// as baseline. The parts that moved the way `up` says (up: spent more than usual; otherwise
/// less), the largest change first, at most `limit`.
Result<std::vector<SpendDriver>> day_drivers(const std::vector<SpendPart>& parts, Date day,
                                             int season, bool up, size_t limit = 3,
                                             int seasons = 4);

/// The parts that moved an anomalous day: day_drivers the way the day moved (`value` against
/// `expected`, the detector's), less those that explain under 1% of its deviation (noise beside
/// it). `cost-ops anomalies` and the report's unusual days both name these.
Result<std::vector<SpendDriver>> anomaly_drivers(const std::vector<SpendPart>& parts, Date day,
                                                 int season, double value, double expected);

}  // namespace costops::forecasting
