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

/// A budget's name is how list, status and remove find it: not empty, no control characters
/// (a line break would split the list's row), no space at either end. The stores refuse others.
inline Status check_budget_name(std::string_view name) {
  if (name.empty()) return invalid_argument("a budget needs a name");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return invalid_argument("a budget name has no control characters (line breaks, tabs)");
    }
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return invalid_argument("budget name \"" + std::string(name) +
                            "\": begins or ends with a space");
  }
  return Status::ok();
}

}  // namespace costops
