// CostCalculator: exact prices of usage against a catalog's resolved prices.
#pragma once

#include <array>
#include <cstdint>

#include "costops/domain/records.h"
#include "costops/domain/status.h"
#include "costops/pricing/catalog.h"

namespace costops::engine {

/// Result of pricing one usage with one PriceSet. Fixed capacity; building it never allocates.
struct PriceResult {
  static constexpr int kMaxLines = 32;
  struct Line {
    UnitId unit;
    int64_t quantity;  // leaf count billed at this unit's rate
    Decimal rate;      // price per kUnits[unit].per units (after tier selection)
    Decimal cost;
  };
  Decimal input;   // units with direction input
  Decimal output;  // units with direction output
  Decimal total;   // input + output + units without direction (requests, searches)
  int n_lines = 0;
  std::array<Line, kMaxLines> lines;  // valid: [0, n_lines)
};

/// Prices usage exactly. Stateless; thread-safe.
class CostCalculator {
 public:
  /// Prices `usage` with `prices`: each priced unit is billed for its leaf count at the rate of
  /// the tier chosen by the input tokens of one request (the highest tier whose start they
  /// exceed): the total input, or its mean per request when the usage counts more than one
  /// `requests`. `requests` defaults to 1 when priced and absent. Hot path: no allocation.
  /// Errors: kInconsistentUsage when parts exceed their whole (cache reads > input), naming the
  /// counts; kOutOfRange on overflow.
  static Status price(const pricing::PriceSet& prices, const Usage& usage, PriceResult* out) {
    return price(prices, usage, -1, out);
  }
  /// As above, with the tier chosen by `tier_input_tokens` instead when it is not negative (see
  /// UsageRecord::tier_input_tokens).
  static Status price(const pricing::PriceSet& prices, const Usage& usage,
                      int64_t tier_input_tokens, PriceResult* out);
  /// Takes contract discount `d`'s percentage off every line, rate and part of `*pr` (priced in
  /// `currency`), keeping the list costs in `*applied` (whose name's capacity a loop pricing
  /// record after record reuses): what price_record does with the discount the catalog has for
  /// the call.
  static Status apply_discount(const Discount& d, Currency currency, PriceResult* pr,
                               std::optional<AppliedDiscount>* applied);

  /// The whole job for one record: resolve provider and model in `catalog` (record timestamp,
  /// or `default_time` when it has none), select conditional/variant prices, price, and describe.
  /// Warnings (returned in the record): token classes with no price of their own that were
  /// billed at an ancestor's rate (e.g. cache reads at the input rate), and usage no price covers.
  static Result<CostRecord> price_record(const pricing::Catalog& catalog, const UsageRecord& record,
                                         Timestamp default_time);
  /// price_record into `*out`, reusing its strings' and vectors' capacity (for loops that price
  /// record after record). On error `*out` is unspecified.
  static Status price_record_into(const pricing::Catalog& catalog, const UsageRecord& record,
                                  Timestamp default_time, CostRecord* out);
};

/// The list cost of a call priced as `pr`, net of `applied` (nullptr: none): before the discount,
/// as a gateway logs it. CostRecord::list_cost() is the same for a priced record.
inline const Decimal& list_total(const PriceResult& pr, const AppliedDiscount* applied) {
  return applied != nullptr ? applied->list_total.amount : pr.total;
}

/// Warnings for pricing `record` with `selected` prices of `model`: units billed at an
/// ancestor's rate or not at all, and a requested service tier or batch price that the model
/// does not have. Empty in the common case; allocates only when there is something to say.
std::vector<std::string> record_warnings(const pricing::SelectedPrice& selected,
                                         const UsageRecord& record, std::string_view model);

/// The costs the input logged against the exact ones (domain/records.h).
using costops::LoggedCosts;

}  // namespace costops::engine
