// What changes between two pricing catalogs: a new release of the catalog against the one in use,
// or one project's prices against another's, model by model as usage would be priced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/time.h"
#include "costops/pricing/catalog.h"

namespace costops::pricing {

/// One difference. Prices are those in effect at the time compared, in the catalogs' currency per
/// kUnits[unit].per units (1M tokens, 1K requests).
struct PriceDifference {
  enum class Kind : uint8_t {
    kChanged,  // a price of a model both catalogs price: one row per price that differs
    kRemoved,  // a model of `from` that `to` does not resolve
    kAdded,    // a model of `to` that no model of `from` resolves to
  };
  Kind kind = Kind::kChanged;
  std::string provider;  // the provider's id: `from`'s, or `to`'s for kAdded
  std::string model;     // the model's id: `from`'s, or `to`'s for kAdded
  /// kChanged: the id of the model `to` resolves `model` to, when it is another.
  std::string to_model;
  /// kChanged: the price's registry key ("input_mtok"), or a long-context tier's, with its
  /// threshold ("input_mtok>200000"); a variant's prefixed by its name ("batch:input_mtok",
  /// "flex:output_mtok").
  std::string price;
  /// kChanged: each catalog's price, nullopt where that catalog has none.
  std::optional<Decimal> from_price, to_price;

  bool operator==(const PriceDifference&) const = default;
};

struct CatalogDifferences {
  /// kChanged and kRemoved rows in `from`'s order, then kAdded ones in `to`'s.
  std::vector<PriceDifference> rows;
  size_t compared = 0;  // models of `from` looked up in `to`
  size_t same = 0;      // ... whose prices are the same in both
  size_t changed = 0;   // ... with a price that differs
  size_t removed = 0;   // ... that `to` does not resolve
  size_t added = 0;     // models of `to` no model of `from` resolves to
};

/// Compares the prices in effect at `at` of every model of `from` (of `only`, a provider of
/// `from`, when given) with those of the model `to` resolves its provider and id to, as it would
/// resolve usage of it (Catalog::resolve): the standard prices, and the batch and service-tier
/// prices both models have (their own, or derived by their providers' price factors) or one has
/// of its own (the other then bills such calls at its standard prices: its prices are missing).
/// REQUIRES: `from` and `to` price in the same currency; `only` is null or one of `from`'s.
CatalogDifferences diff_catalogs(const Catalog& from, const Catalog& to, Timestamp at,
                                 const Provider* only = nullptr);

}  // namespace costops::pricing
