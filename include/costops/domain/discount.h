// A contract discount: a percentage off a provider's list prices (stored by the stores, applied by
// the catalog as it prices).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/status.h"
#include "costops/domain/time.h"

namespace costops {

/// A percentage off a provider's list prices (all its models, or those named), for the calls of
/// a span of UTC days. A call it covers costs its list cost less the percentage, unit by unit (its
/// input, output and other costs: per-request fees, searches), exactly (rounded half-even at 24
/// places, where a product has more). Where a model has a discount of its own and its provider
/// one for all models, the model's applies (pricing::Catalog::set_discounts).
struct Discount {
  std::string name;                 // unique among a store's discounts: "azure-ea"
  std::string provider;             // the catalog's provider id ("azure", "anthropic")
  std::vector<std::string> models;  // names the catalog resolves, or id patterns ("claude-*");
                                    // empty: every model the provider bills
  Decimal percent;                  // off the list prices: (0, 100]
  std::optional<std::chrono::sys_days> from, to;  // first and last day (UTC); unset: open
  bool operator==(const Discount&) const = default;

  /// A first or last day as the stores and the CLI write it: "2026-01-01", "" when open.
  static std::string day_text(const std::optional<std::chrono::sys_days>& day);
  /// day_text's inverse: "" is open; else a day YYYY-MM-DD. Errors (kInvalidArgument) quote
  /// the text.
  static Result<std::optional<std::chrono::sys_days>> parse_day(std::string_view text);
  /// Whether the discount's days hold `at`.
  bool active(Timestamp at) const;
  /// "15% off azure gpt-4o, gpt-4o-mini from 2026-01-01 to 2026-12-31" (or "all models",
  /// "always").
  std::string describe() const;
  /// What the stores check before keeping one (the catalog checks the rest): a name as
  /// check_stored_name asks, a provider, a percentage in (0, 100], days in order.
  Status check() const;
  /// Puts `d` at the end of `list`, in place of the discount of its name there: a discount
  /// given later (a --prices file's, one being added) replaces one of its name.
  static void put_by_name(std::vector<Discount>& list, Discount d);
};

}  // namespace costops
