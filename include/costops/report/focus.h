// Stored usage as a FOCUS cost and usage dataset (the FinOps Open Cost and Usage Specification,
// version 1.2): the CSV that FinOps tools load beside the clouds' own FOCUS exports.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "costops/domain/money.h"
#include "costops/domain/records.h"
#include "costops/domain/status.h"

namespace costops::report {

/// Sums priced records into FOCUS rows, one per UTC day (or hour), provider, catalog model,
/// model name as stored, organization, project, user, billing tier, tag set and currency, and
/// charge: input tokens, output tokens, and the other units billed (requests, searches) when
/// they cost anything. Every cost column is the record's cost as priced, summed exactly, but
/// ListCost, its cost before a contract discount (CostRecord::discount) where it had one.
/// Unpriced records have no cost to bill: they are counted, not exported.
struct FocusOptions {
  bool hourly = false;  // a charge period per hour rather than per day
  /// The tag keys written in Tags (and grouped by); nullopt: every key. Leaving out a key a
  /// record sets per request (a trace id) keeps the rows per group rather than per record.
  std::optional<std::vector<std::string>> tag_keys;
  bool users = true;  // group by user (x_User); false sums the users of a group
  /// Bills in another currency than the prices': each record's input, output and other cost
  /// converted at its UTC day's rate (engine::CurrencyConverter::convert, say). The costs are
  /// then in the converted currency (BillingCurrency), and PricingCurrency and
  /// PricingCurrencyEffectiveCost (FOCUS 1.2's columns for a charge priced in another currency)
  /// give the currency priced in and the cost in it. Unset: billed as priced, without them.
  std::function<Result<Money>(const Money&, std::chrono::sys_days)> convert;
};

class FocusDataset {
 public:
  /// Where the dataset's CSV text goes, piece by piece; an error stops the dataset.
  using Sink = std::function<Status(std::string_view)>;

  /// `provider_name` gives a catalog provider id's display name ("openai" -> "OpenAI"); the id
  /// itself when it returns "".
  FocusDataset(std::function<std::string(const std::string&)> provider_name, Sink sink,
               FocusOptions options = {});

  /// Sums `record` into its row (an unpriced one is counted). Records come oldest first, as
  /// Store::scan gives them: a record of a later charge period writes the rows of the one
  /// before (the header first), so that memory holds one period's rows. Errors: kOutOfRange
  /// when a row's sums would overflow, kInvalidArgument for a priced record of a charge period
  /// before the one summed, and the sink's.
  Status add(const PricedRecord& record);

  /// Writes the rows not written yet; the header row of the FOCUS column ids (then the x_
  /// columns of cost-ops) even when there are none. Rows come by charge period, then provider,
  /// model and the rest. Call once, after the last add.
  Status finish();

  uint64_t records() const { return records_; }    // priced records summed into rows
  uint64_t unpriced() const { return unpriced_; }  // records left out
  uint64_t rows() const { return rows_; }          // data rows written

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, std::string, std::string, std::string, std::string>;
  // provider, catalog model, model as stored, organization, project, user, tier, tags JSON,
  // billing currency, pricing currency (the charge period is period_)
  struct Sums {
    uint64_t records = 0, requests = 0;
    int64_t input_tokens = 0, output_tokens = 0;
    Decimal input_cost, output_cost, other_cost;        // billed
    Decimal priced_input, priced_output, priced_other;  // in the pricing currency
    Decimal list_input, list_output, list_other;        // billed, before contract discounts
  };
  // One row of a group: its description, quantity, unit, SKU part and cost (billed, and in the
  // pricing currency).
  struct Charge {
    const char* what;
    int64_t quantity;
    const char* unit;
    const char* sku;
    Decimal cost, priced, list;
  };
  // A group's rows: input and output tokens (each when it has tokens or cost), and the rest of
  // its cost (requests, searches) when there is any.
  static std::vector<Charge> charges(const Sums& s);
  // Writes the header (once) and period_'s rows, and empties groups_.
  Status flush();

  std::function<std::string(const std::string&)> provider_name_;
  Sink sink_;
  FocusOptions options_;
  Timestamp period_{};          // the charge period of groups_
  std::map<Key, Sums> groups_;  // its rows
  bool header_written_ = false;
  uint64_t records_ = 0, unpriced_ = 0, rows_ = 0;
};

}  // namespace costops::report
