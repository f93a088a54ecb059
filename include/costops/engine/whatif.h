// WhatIf: what stored usage would cost under another catalog, other prices, with some models'
// calls moved to others, at another day's prices, without prompt caching or at the standard
// tier; beside what it cost as stored, per group.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/records.h"
#include "costops/domain/status.h"
#include "costops/engine/exchange.h"
#include "costops/pricing/catalog.h"

namespace costops::engine {

/// Records of one model priced as another's calls: "FROM=TO".
///   FROM: a model name, matching every record whose name the catalog resolves to the same model
///         (`gpt-4o` takes in `gpt-4o-2024-08-06`, under any provider; `openai/gpt-4o` under
///         openai only), or that is written so; or a pattern, each '*' matching any run, on the
///         record's name as stored (`claude-3-opus*`).
///   TO:   a model name the catalog resolves. A record moves to its own provider's model of that
///         name when its provider has one (azure's gpt-4o to azure's gpt-4o-mini), else to the
///         model the name resolves to without a provider (`anthropic/claude-sonnet-4-5` says
///         which).
/// Usage is kept as it is: tokens the new model has no price of their own for are billed as the
/// catalog bills them (cache reads at the input rate, for one), so moving to a model without
/// prompt caching prices the cached tokens as input.
struct ModelSwap {
  std::string from, to;
  /// Parses "FROM=TO" (both non-empty, TO without '*').
  static Result<ModelSwap> parse(std::string_view text);
};

struct WhatIfOptions {
  std::vector<ModelSwap> swaps;  // the first whose FROM a record matches applies
  // Price every record at the prices in effect on this day (UTC), each at its own time of day
  // (as prices that change with the time of day want), not at its own day's.
  std::optional<Timestamp> as_of;
  // Price cache reads and writes as the uncached tokens they are part of (what prompt caching
  // saved, or cost: writes can be dearer than input).
  bool without_cache = false;
  // Price batch calls and calls of a service tier (flex, priority) at the standard prices (what
  // the batch API and the tiers saved, or cost).
  bool standard_tier = false;
  // Both costs of every record in this converter's currency, at the rates of the record's day in
  // the grouping's time zone (null: each in the currency it is priced in). Must outlive the
  // WhatIf.
  const CurrencyConverter* currency = nullptr;
};

/// One group: what its records cost as stored and in the what-if.
struct WhatIfRow {
  std::vector<std::string> keys;  // as AggregateRow's, of the records as stored (model: the old)
  uint64_t records = 0;
  uint64_t swapped = 0;                        // records a swap moved
  uint64_t unpriced = 0;                       // stored without a price
  uint64_t unpriced_whatif = 0;                // that the what-if cannot price
  std::map<std::string, Decimal> cost;         // as stored, per currency
  std::map<std::string, Decimal> whatif_cost;  // in the what-if, per currency
  // Over the records priced both ways in one currency: what they cost as stored, and the what-if's
  // cost less that (negative: a saving).
  uint64_t compared = 0;
  std::map<std::string, Decimal> compared_cost;
  std::map<std::string, Decimal> change;
};

/// How many records a swap moved, and to which catalog models ("provider/model" -> records).
struct SwapCount {
  ModelSwap swap;
  uint64_t records = 0;
  std::map<std::string, uint64_t> to_models;
};

/// Accumulates stored records into what-if groups. Not thread-safe; the catalog must outlive it.
class WhatIf {
 public:
  /// Checks the swaps against `catalog`: every TO must resolve (errors name the closest models).
  /// `grouping`'s group_by and time_zone are used (its filters are the caller's selection).
  static Result<WhatIf> make(const pricing::Catalog& catalog, AggregateQuery grouping,
                             WhatIfOptions options);

  /// Adds a stored record. When the what-if cannot price it, `*unpriced_reason` (when given) is
  /// set to why (and cleared otherwise). Errors on a money overflow, and with a converter on a
  /// missing rate (ExchangeRates::convert's error).
  Status add(const PricedRecord& stored, std::string* unpriced_reason = nullptr);

  /// The groups, by their keys; and all of them summed (keys empty).
  std::vector<WhatIfRow> rows() const;
  const WhatIfRow& total() const { return total_; }
  const std::vector<SwapCount>& swaps() const { return swaps_; }

 private:
  WhatIf(const pricing::Catalog& catalog, AggregateQuery grouping, WhatIfOptions options);
  /// The index of the swap a record matches, or -1.
  int swap_of(const UsageRecord& r) const;

  const pricing::Catalog* catalog_;
  AggregateQuery grouping_;
  WhatIfOptions options_;
  // Per swap: the catalog model id FROM names ("": none) and the provider it names ("": any), or
  // FROM as a pattern on model names.
  std::vector<std::string> from_ids_, from_providers_;
  std::vector<std::optional<Filter>> patterns_;
  std::vector<SwapCount> swaps_;
  std::map<std::vector<std::string>, WhatIfRow> groups_;
  WhatIfRow total_;
  UsageRecord scratch_;
  CostRecord priced_;
};

}  // namespace costops::engine
