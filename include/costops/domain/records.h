// UsageRecord (what a call used) and CostRecord (what it cost), the two records every module
// exchanges.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/domain/money.h"
#include "costops/domain/time.h"
#include "costops/domain/usage.h"

namespace costops {

/// One LLM call's usage with its attribution. Only provider, model and usage are required.
struct UsageRecord {
  std::string id;  // empty: callers derive a content hash where they need a key
  Timestamp timestamp{};
  bool has_timestamp = false;
  std::string provider;
  std::string model;
  std::string api_flavor;    // genai-prices flavor used to read a native usage object or body
  std::string service_tier;  // "standard" (empty), "flex", "priority"
  bool batch = false;
  std::string organization_id;
  std::string project_id;
  std::string user_id;
  std::vector<std::pair<std::string, std::string>> tags;  // in input order, keys unique
  std::string metadata_json;                              // compact JSON object text, or empty
  std::string source;  // where the record came from ("usage.jsonl:42")
  Usage usage;
  // The input tokens of one request, which choose a long-context price tier, when the usage
  // cannot say: -1 (the default) takes the usage's input_tokens, divided by its `requests` when
  // it counts more than one (a row of a provider's usage report, a gateway's rollup).
  int64_t tier_input_tokens = -1;
  // Counts among a gateway line's fields (or a CSV row's columns) named as tokens but no usage
  // key ("prompt_cache_read_tokens=5000"): not priced, and said in the price's warnings.
  std::string unread_counts;
  // The cost the input logged for the call, as its gateway or tracer computed it (LiteLLM's
  // spend, Langfuse's costDetails.total, OpenRouter's usage.cost), in USD: compared with the exact
  // price, never priced by.
  std::optional<Decimal> logged_cost;
  // A logged cost the input wrote but not as a number ("n/a", "$0.12"): said in the price's
  // warnings, never taken for nothing.
  std::string unread_logged_cost;

  /// Adds the tag `key`=`value` unless the record has a tag `key` (its own value wins).
  void tag_if_absent(std::string_view key, std::string_view value) {
    for (const auto& t : tags)
      if (t.first == key) return;
    tags.emplace_back(key, value);
  }

  /// Resets every field, keeping string capacity (for reuse in loops).
  void clear() {
    for (std::string* s :
         {&id, &provider, &model, &api_flavor, &service_tier, &organization_id, &project_id,
          &user_id, &metadata_json, &source, &unread_counts, &unread_logged_cost})
      s->clear();
    timestamp = {};
    has_timestamp = false;
    batch = false;
    tags.clear();
    usage = Usage{};
    tier_input_tokens = -1;
    logged_cost.reset();
  }
};

/// What one unit of a usage cost.
struct UnitCost {
  UnitId unit = 0;
  int64_t quantity = 0;  // leaf count billed at this unit's rate
  Decimal rate;          // price per kUnits[unit].per units
  Decimal cost;
};

/// A contract discount a record's price has had (pricing::Discount): its name and percentage, and
/// the costs at list prices it was taken off.
struct AppliedDiscount {
  std::string name;
  Decimal percent;
  Money list_input, list_output, list_total;
  bool operator==(const AppliedDiscount&) const = default;
};

/// The price of one UsageRecord.
struct CostRecord {
  std::string usage_id;
  std::string provider;  // catalog provider id
  std::string model;     // matched catalog model id
  Money input_cost;
  Money output_cost;
  Money total_cost;  // input + output + units with no direction (requests, searches)
  std::vector<UnitCost> breakdown;
  std::string catalog_entry;  // "<catalog source>#<provider>/<model>"
  std::string
      price_version;  // which conditional price/variant applied: "from 2026-03-13", "flex, always"
  Timestamp timestamp{};  // the usage's timestamp, not the time of calculation
  std::vector<std::string> warnings;
  /// The contract discount the costs above are net of (their rates too); unset when none.
  std::optional<AppliedDiscount> discount;

  /// The cost at list prices: before the contract discount, when one priced the call (what a
  /// gateway that logs costs logs), else the total cost.
  const Money& list_cost() const { return discount ? discount->list_total : total_cost; }
};

/// A usage record with its price, or the reason it has none (it is then "unpriced", never $0).
struct PricedRecord {
  UsageRecord usage;
  std::optional<CostRecord> cost;
  std::string unpriced_reason;  // set when !cost
};

/// The input a record was read from, as ingest was given it: its `source` without the line.
inline std::string_view input_of(const UsageRecord& r) {
  return std::string_view(r.source).substr(0, r.source.rfind(':'));
}

/// The provider a record is counted under: the one it names, else the catalog provider that
/// priced it (a response body or a gateway line that names only its model), else "".
inline const std::string& provider_of(const PricedRecord& r) {
  return r.usage.provider.empty() && r.cost ? r.cost->provider : r.usage.provider;
}

/// How a call was billed, as the group key "tier" says it: "batch" for a batch call, else its
/// service tier ("flex", "priority", ...), "standard" for none (or "default", "auto").
inline std::string tier_of(const UsageRecord& r) {
  if (r.batch) return "batch";
  const std::string& t = r.service_tier;
  return t.empty() || t == "default" || t == "auto" ? "standard" : t;
}

/// The costs the input logged for its calls (UsageRecord::logged_cost: a gateway's or tracer's
/// own price, in USD) against their exact prices, summed exactly.
struct LoggedCosts {
  uint64_t records = 0;     // records that logged a cost, compared
  uint64_t off = 0;         // of them, those whose logged cost is off (is_off)
  uint64_t uncompared = 0;  // records that logged a cost, priced in another currency than USD
  Decimal logged, exact;

  /// Whether costs logged in USD, as gateways log them, compare with prices in `currency`.
  static bool comparable(Currency currency) { return currency == Currency::usd(); }
  /// Whether `logged` is off the exact price: more than 1% and at least a millionth of a unit
  /// away from it (gateways log floats, and some round to six decimals).
  static bool is_off(const Decimal& logged, const Decimal& exact);
  /// Counts one record's logged cost against its exact price in `currency` (when not comparable,
  /// as uncompared only); false when a sum leaves the range.
  [[nodiscard]] bool add(const Decimal& logged_cost, const Decimal& exact_cost, Currency currency);
  /// Adds `o`'s counts and sums; false when a sum leaves the range.
  [[nodiscard]] bool add(const LoggedCosts& o);

  bool operator==(const LoggedCosts&) const = default;
};

}  // namespace costops
