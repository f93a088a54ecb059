// A spending budget: scope, period, amount and alert thresholds (stored by the stores, evaluated
// by forecasting::budget_status).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/decimal.h"
#include "costops/domain/status.h"

namespace costops {

struct Budget {
  std::string name;
  std::vector<Filter> scope;  // all must hold; empty: all spend
  /// "month", "quarter" or "year" (the calendar one containing the as-of date), "YYYY-MM",
  /// "YYYY-Qn", "YYYY", a day "YYYY-MM-DD", or "YYYY-MM-DD..YYYY-MM-DD" (inclusive).
  std::string period = "month";
  Decimal amount;
  std::string currency = "USD";
  std::vector<double> thresholds{50, 80, 100};  // percent of amount
};

/// A budget's name: check_stored_name's rules.
inline Status check_budget_name(std::string_view name) { return check_stored_name("budget", name); }

}  // namespace costops
