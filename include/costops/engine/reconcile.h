// Reconciliation: a provider's bill (its cost report, day by day) against the spend cost-ops
// computed for the same days from stored usage.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/decimal.h"
#include "costops/domain/status.h"
#include "costops/domain/time.h"
#include "costops/pricing/catalog.h"

namespace costops::engine {

/// One line of a provider's bill: an amount it charged for one time bucket (a result row of its
/// cost report: OpenAI's /v1/organization/costs, Anthropic's /v1/organizations/cost_report).
struct BillLine {
  std::string provider;      // the catalog's provider id: "openai", "anthropic"
  Timestamp start{}, end{};  // the bucket, [start, end)
  Decimal amount;            // in `currency`, exact
  std::string currency;      // upper case: "USD"
  /// The model the line charges for, as the bill names it ("" when the report is not grouped by
  /// it, or the line is no model's: a tool's or a storage fee).
  std::string model;
  std::string project;  // OpenAI's project_id, Anthropic's workspace_id; "" when not grouped by it
  std::string item;     // what the line is, as the bill says: "gpt-4o-2024-08-06, input"
  std::string where;    // its place, for messages: "costs.json:3: data[0].results[1]"
  size_t bucket = 0;    // its bucket: an index into Bill::buckets
  bool operator==(const BillLine&) const = default;
};

/// A time bucket a bill covers: its lines (none when nothing was charged that day) say what the
/// provider charged in it, and the stored records in it are what cost-ops computed.
struct BillBucket {
  std::string provider;
  Timestamp start{}, end{};
  std::string where;      // its place, for messages: "costs.json:3: data[0]"
  uint64_t rejected = 0;  // its rows that were no bill line (the reader's rejects)
  bool operator==(const BillBucket&) const = default;
};

/// A provider's bill as read from its cost report pages.
struct Bill {
  std::vector<BillBucket> buckets;
  std::vector<BillLine> lines;  // each in one of the buckets (BillLine::bucket)
  /// Appends `other`'s buckets and lines (its lines' bucket indexes moved to match).
  void append(Bill other);
};

/// What the rows of a reconciliation are keyed by, beside the provider.
enum class ReconcileKey : uint8_t { kDay, kModel, kProject };
/// Parses a comma-separated "day,model,project" list (any of them, in any order; "" for none:
/// one row per provider). Errors name the valid keys.
Result<std::vector<ReconcileKey>> parse_reconcile_keys(std::string_view text);
/// "day", "model", "project".
std::string_view reconcile_key_name(ReconcileKey k);

struct ReconcileOptions {
  std::vector<ReconcileKey> by = {ReconcileKey::kDay};  // the rows' keys beside the provider
  /// A row is off when its difference is more than this percentage of the billed amount and more
  /// than `min_difference` (default: 1%, and a cent).
  Decimal tolerance_percent = Decimal::from_int(1);
  Decimal min_difference = Decimal::from_raw(Decimal::kScale / 100);
  /// Filters of the stored records compared (as query's: "project=proj_1", "tier!=priority"),
  /// beside the bill's provider; none by default. REQUIRES: no provider filter.
  std::vector<Filter> filters;
};

/// One row: what the bill charged and what the stored records cost, for a provider and keys.
struct ReconcileRow {
  std::string provider;
  std::vector<std::string> keys;  // per ReconcileOptions::by ("" for a line without a model)
  Decimal billed;                 // the bill's lines summed
  Decimal computed;               // the stored records' exact costs summed
  uint64_t bill_lines = 0;        // lines of the bill in the row
  uint64_t records = 0;           // stored records in the row (`unpriced` of them without a price)
  uint64_t unpriced = 0;
  std::vector<std::string> items;  // the bill's items in the row, when it has no model
  Decimal difference() const { return computed - billed; }
  /// The difference in percent of `billed` (2 places, half-even); nullopt when billed is 0.
  std::optional<Decimal> percent;
  bool off = false;  // beyond the tolerance (ReconcileOptions)
};

struct Reconciliation {
  std::string currency;              // the bill's
  std::vector<ReconcileRow> rows;    // by provider, then keys (days in order)
  std::vector<ReconcileRow> totals;  // one per provider, without keys
  std::vector<std::string> notes;    // what the reader should know (a line each)
  uint64_t off = 0;                  // rows off
};

/// Compares `bill` with the spend `stored` returns for the same providers and days. Each bucket of
/// the bill must be one UTC day (the reports' only width); stored records count on the days the
/// bill has a bucket for (with lines or without), and of their costs those in the bill's currency.
/// A day's bucket given again with the same lines (a page fetched twice, files whose dates
/// overlap) counts once; given with other lines (a day's rows split over pages), its lines add up;
/// a note says which. Model names are joined as `catalog` resolves them (a bill's
/// "gpt-4o-mini-2024-07-18" and a response's "gpt-4o-mini" are one model, and so are any two names
/// of one catalog model); names it does not
/// know, as they are written (ignoring case). Errors: a bill line in another currency than the
/// first's, a bucket that is not one UTC day (naming the line), a key the bill is not grouped by
/// (`model` without models: fetch the report grouped by line item or description), and the store's
/// errors.
Result<Reconciliation> reconcile(const Bill& bill, const AggregateFn& stored,
                                 const pricing::Catalog& catalog,
                                 const ReconcileOptions& options = {});

}  // namespace costops::engine
